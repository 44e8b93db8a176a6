//! ICD-10-CM diagnoses: each must exist and be billable in the release that governs the date of service.

use crate::model::Date;

use super::{Carc, IcdRelease, RuleBreak, RuleId, ScrubInput};

/// ICD-10-CM replaced ICD-9-CM for dates of service from 2015-10-01.
fn icd10_from() -> Date {
    Date(jiff::civil::date(2015, 10, 1))
}

/// The 837P HI qualifiers that say the diagnoses are ICD-9-CM (principal, other).
const ICD9_QUALIFIERS: [&str; 2] = ["BK", "BF"];

pub(super) fn check(input: &ScrubInput<'_>, release: &IcdRelease, out: &mut Vec<RuleBreak>) {
    let claim = input.claim;
    let icd9_qualifier = input.diagnosis_qualifier.is_some_and(|q| ICD9_QUALIFIERS.contains(&q.trim()));
    let mut uncovered: Option<Date> = None;
    for (index, code) in claim.diagnoses.iter().enumerate() {
        let code = code.trim();
        if code.is_empty() {
            // A blank principal is the structure rule's to report; a blank later one is a hole an 837P cannot carry.
            continue;
        }
        let pointer = index + 1;
        // Lines that point at this diagnosis; an unpointed diagnosis still goes out on the claim, dated by every line.
        let mut lines: Vec<usize> = (0..claim.lines.len())
            .filter(|l| claim.lines[*l].dx_pointers.iter().any(|p| usize::from(*p) == pointer))
            .collect();
        let pointed = !lines.is_empty();
        if !pointed {
            lines = (0..claim.lines.len()).collect();
        }
        let Some(latest) = lines.iter().map(|l| claim.lines[*l].date_of_service).max() else {
            continue;
        };
        // An unpointed diagnosis gets the whole claim rejected; a pointed one costs the lines that rely on it.
        let at_risk = |among: &[usize]| -> f64 {
            if pointed { among.iter().map(|l| claim.lines[*l].charge).sum() } else { claim.total_charge }
        };
        let first_line = pointed.then(|| lines[0] + 1);
        let looks_icd9 = code.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if (icd9_qualifier || looks_icd9) && latest >= icd10_from() {
            let why =
                if icd9_qualifier { "the diagnosis qualifier says ICD-9-CM" } else { "it is shaped like ICD-9-CM" };
            out.push(RuleBreak::error(
                RuleId::ICD10_ICD9_AFTER_CUTOVER,
                Carc::CO_16,
                first_line,
                at_risk(&lines),
                format!(
                    "diagnosis {pointer} `{code}`: {why}, but the date of service {latest} is after 2015-09-30, \
                     when ICD-10-CM became required; send ICD-10-CM codes with qualifier ABK/ABF"
                ),
            ));
            continue;
        }
        let covered: Vec<usize> =
            lines.iter().copied().filter(|l| release.covers(claim.lines[*l].date_of_service)).collect();
        if covered.len() < lines.len() {
            let date = lines.iter().map(|l| claim.lines[*l].date_of_service).find(|d| !release.covers(*d));
            uncovered = uncovered.or(date);
        }
        if covered.is_empty() {
            continue;
        }
        let (rule, carc, what) = if !release.codes.contains(code) {
            (RuleId::ICD10_UNKNOWN, Carc::CO_16, "is not an ICD-10-CM code")
        } else if !release.codes.is_billable(code) {
            // Payers answer a category header (a truncated code) with CO-11, as they do a diagnosis that does not fit.
            (
                RuleId::ICD10_NOT_BILLABLE,
                Carc::CO_11,
                "is a category, not a billable code; code to the highest specificity",
            )
        } else {
            continue;
        };
        out.push(RuleBreak::error(
            rule,
            carc,
            first_line,
            at_risk(&covered),
            format!("diagnosis {pointer} `{code}` {what} (ICD-10-CM FY{})", release.fiscal_year),
        ));
    }
    if let Some(date) = uncovered {
        let range = match (release.valid_from(), release.valid_to()) {
            (Some(from), Some(to)) => format!("{from} to {to}"),
            _ => format!("FY{}", release.fiscal_year),
        };
        out.push(RuleBreak::warning(
            RuleId::ICD10_DATE_NOT_COVERED,
            Carc::CO_16,
            None,
            format!(
                "the date of service {date} is outside the loaded ICD-10-CM FY{} code set ({range}); \
                 diagnoses on those dates were not checked — load the code set for that fiscal year",
                release.fiscal_year
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Claim;
    use crate::rules::fixtures::{claim, context, line};
    use crate::rules::{Severity, scrub, scrub_input};

    fn only(breaks: Vec<RuleBreak>, rule: RuleId) -> Vec<RuleBreak> {
        breaks.into_iter().filter(|b| b.rule == rule).collect()
    }

    fn with_dx(dx: &[&str]) -> Claim {
        let mut c = claim(vec![line("99213", &[], 100.0), line("83036", &[], 25.0)]);
        c.diagnoses = dx.iter().map(|d| d.to_string()).collect();
        c.lines[0].dx_pointers = vec![1, 2];
        c.lines[1].dx_pointers = vec![2];
        c
    }

    #[test]
    fn billable_codes_pass_with_or_without_dot() {
        assert_eq!(scrub(&with_dx(&["E11.65", "I10"]), context()), vec![]);
        assert_eq!(scrub(&with_dx(&["E1165", "I10"]), context()), vec![]);
    }

    #[test]
    fn unknown_code_is_co16_on_the_lines_that_point_at_it() {
        let found = only(scrub(&with_dx(&["E11.65", "Q99.99"]), context()), RuleId::ICD10_UNKNOWN);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].carc, found[0].line, found[0].charge_at_risk), (Carc::CO_16, Some(1), 125.0));
    }

    #[test]
    fn category_header_is_not_billable_co11() {
        let found = only(scrub(&with_dx(&["E11", "I10"]), context()), RuleId::ICD10_NOT_BILLABLE);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].carc, found[0].line, found[0].charge_at_risk), (Carc::CO_11, Some(1), 100.0));
    }

    #[test]
    fn unpointed_bad_diagnosis_risks_the_whole_claim() {
        let mut c = with_dx(&["E11.65", "I10", "E11"]);
        c.lines[0].dx_pointers = vec![1];
        let found = only(scrub(&c, context()), RuleId::ICD10_NOT_BILLABLE);
        assert_eq!((found.len(), found[0].line, found[0].charge_at_risk), (1, None, 125.0));
    }

    #[test]
    fn a_date_outside_the_release_warns_instead_of_failing() {
        let mut c = with_dx(&["E11.65", "U07.1"]);
        for l in &mut c.lines {
            l.date_of_service = "2024-05-01".parse().unwrap();
        }
        let breaks = scrub(&c, context());
        assert_eq!(breaks.len(), 1, "{breaks:?}");
        assert_eq!((breaks[0].rule, breaks[0].severity), (RuleId::ICD10_DATE_NOT_COVERED, Severity::Warning));
        assert_eq!((breaks[0].line, breaks[0].charge_at_risk), (None, 0.0));
        assert!(breaks[0].message.contains("2025-10-01 to 2026-09-30"), "{}", breaks[0].message);

        c.diagnoses[1] = "Q99.99".into();
        assert!(only(scrub(&c, context()), RuleId::ICD10_UNKNOWN).is_empty(), "no verdict outside the release");
        assert!(only(scrub(&with_dx(&["E11.65", "I10"]), context()), RuleId::ICD10_DATE_NOT_COVERED).is_empty());
    }

    #[test]
    fn release_bounds() {
        let release = &context().icd;
        assert!(release.covers("2025-10-01".parse().unwrap()));
        assert!(release.covers("2026-09-30".parse().unwrap()));
        assert!(!release.covers("2025-09-30".parse().unwrap()));
        assert!(!release.covers("2026-10-01".parse().unwrap()));
    }

    #[test]
    fn icd9_after_the_cutover_is_an_error() {
        let c = with_dx(&["250.00", "I10"]);
        let found = only(scrub(&c, context()), RuleId::ICD10_ICD9_AFTER_CUTOVER);
        assert_eq!(
            (found.len(), found[0].carc, found[0].line, found[0].charge_at_risk),
            (1, Carc::CO_16, Some(1), 100.0)
        );

        let c = with_dx(&["E11.65", "I10"]);
        let input = ScrubInput { diagnosis_qualifier: Some("BK"), ..ScrubInput::new(&c) };
        let found = only(scrub_input(&input, context()), RuleId::ICD10_ICD9_AFTER_CUTOVER);
        assert_eq!(found.len(), 2, "both diagnoses are sent as ICD-9");
        let input = ScrubInput { diagnosis_qualifier: Some("ABK"), ..ScrubInput::new(&c) };
        assert!(only(scrub_input(&input, context()), RuleId::ICD10_ICD9_AFTER_CUTOVER).is_empty());

        let mut old = with_dx(&["250.00", "401.9"]);
        for l in &mut old.lines {
            l.date_of_service = "2015-09-30".parse().unwrap();
        }
        let breaks = scrub(&old, context());
        assert!(only(breaks.clone(), RuleId::ICD10_ICD9_AFTER_CUTOVER).is_empty());
        assert!(breaks.iter().all(|b| b.severity == Severity::Warning), "{breaks:?}");
    }
}
