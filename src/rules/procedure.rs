//! CPT/HCPCS code form and the modifier rules a payer applies before it looks at the service itself.

use std::fmt;

use crate::model::{ClaimLine, Date};

use super::{Carc, RuleBreak, RuleId, ScrubInput};

/// A CPT or HCPCS code packed into five bytes, the key of the NCCI and MUE tables: copying and hashing it is cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcedureCode([u8; 5]);

impl ProcedureCode {
    /// A placeholder that no table holds.
    pub(crate) const ZERO: ProcedureCode = ProcedureCode(*b"00000");

    /// Any five upper-case letters or digits; tables hold whatever CMS lists, so this is looser than [`is_valid_procedure_code`].
    pub fn parse(code: &str) -> Option<ProcedureCode> {
        let bytes: [u8; 5] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()).then_some(ProcedureCode(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters and digits get in through `parse`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for ProcedureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CPT Category I (five digits), four digits and a letter, or HCPCS Level II (a letter A–V and four digits).
///
/// Besides Category II (`F`) and III (`T`), CPT uses the four-digits-and-a-letter form for proprietary laboratory analyses
/// (`U`), multianalyte assays (`M`) and vaccine administration (`A`, as in `0001A`); NCCI tables list all of them, so
/// rejecting them would predict denials that never come.
pub fn is_valid_procedure_code(code: &str) -> bool {
    match code.as_bytes() {
        [a, b, c, d, e] if [a, b, c, d].iter().all(|x| x.is_ascii_digit()) => {
            e.is_ascii_digit() || matches!(e, b'F' | b'T' | b'U' | b'M' | b'A')
        }
        [letter, rest @ ..] if (b'A'..=b'V').contains(letter) && rest.len() == 4 => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Two upper-case letters or digits, as the 837P SV101-3..6 elements carry them.
pub fn is_valid_modifier(modifier: &str) -> bool {
    modifier.len() == 2 && modifier.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Evaluation and management visits, the only services modifier 25 may sit on.
pub fn is_em_code(code: &str) -> bool {
    // The annual wellness visits and the Welcome to Medicare exam are E/M services billed under HCPCS codes.
    const HCPCS_EM: [&str; 3] = ["G0402", "G0438", "G0439"];
    if HCPCS_EM.contains(&code) {
        return true;
    }
    code.len() == 5 && code.parse::<u32>().is_ok_and(|n| (99202..=99499).contains(&n))
}

/// The 837P has room for four modifiers per service line.
const MAX_MODIFIERS: usize = 4;

/// Modifiers that claim a service is distinct from another; on an E/M visit the right modifier is 25, and payers deny these.
const DISTINCT_MODIFIERS: [&str; 5] = ["59", "XE", "XP", "XS", "XU"];

/// The X{EPSU} subsets of modifier 59 took effect on this date (CMS Transmittal 1422, CR 8863).
fn x_modifiers_from() -> Date {
    Date(jiff::civil::date(2015, 1, 1))
}

pub(super) fn check(input: &ScrubInput<'_>, out: &mut Vec<RuleBreak>) {
    let lines = &input.claim.lines;
    for (index, line) in lines.iter().enumerate() {
        let at = Some(index + 1);
        if !is_valid_procedure_code(&line.code) {
            out.push(RuleBreak::error(
                RuleId::PROCEDURE_CODE_FORM,
                Carc::CO_16,
                at,
                line.charge,
                format!(
                    "`{}` is not a CPT or HCPCS code; expected five digits (99213), four digits and F or T (3074F), \
                     or a letter A–V and four digits (G0439)",
                    line.code
                ),
            ));
        }
        check_modifiers(lines, index, line, out);
    }
}

fn check_modifiers(lines: &[ClaimLine], index: usize, line: &ClaimLine, out: &mut Vec<RuleBreak>) {
    let at = Some(index + 1);
    let mut push = |rule, message| out.push(RuleBreak::error(rule, Carc::CO_4, at, line.charge, message));
    if line.modifiers.len() > MAX_MODIFIERS {
        push(
            RuleId::MODIFIER_TOO_MANY,
            format!("{} modifiers on `{}`; a service line carries at most 4", line.modifiers.len(), line.code),
        );
    }
    for modifier in &line.modifiers {
        if !is_valid_modifier(modifier) {
            push(RuleId::MODIFIER_FORM, format!("modifier `{modifier}` is not two letters or digits (25, LT, XS)"));
        }
    }
    let em = is_em_code(&line.code);
    let has = |m: &str| line.modifiers.iter().any(|x| x == m);
    /// Preventive medicine visits (99381–99397) and Medicare wellness visits (G0402, G0438, G0439).
    fn is_preventive(code: &str) -> bool {
        matches!(code.parse::<u32>(), Ok(99381..=99397)) || matches!(code, "G0402" | "G0438" | "G0439")
    }
    if has("25") {
        if !em {
            push(
                RuleId::MODIFIER_25_NOT_EM,
                format!(
                    "modifier 25 on `{}`, which is not an E/M visit; 25 belongs on the visit (99202–99499)",
                    line.code
                ),
            );
        } else if !lines.iter().enumerate().any(|(other, l)| {
            other != index
                && l.date_of_service == line.date_of_service
                && (!is_em_code(&l.code) || is_preventive(&l.code))
        }) {
            // 25 says the visit was separate from a same-day procedure, or from a preventive visit (CMS allows a
            // problem-oriented E/M beside a preventive one); with neither it claims something the claim does not show.
            push(
                RuleId::MODIFIER_25_NO_PROCEDURE,
                format!(
                    "modifier 25 on `{}` but no procedure or preventive visit on {} on this claim; drop 25 or add the service",
                    line.code, line.date_of_service
                ),
            );
        }
    }
    if em && let Some(modifier) = DISTINCT_MODIFIERS.iter().find(|m| has(m)) {
        push(
            RuleId::MODIFIER_DISTINCT_ON_EM,
            format!("modifier {modifier} on the E/M visit `{}`; use 25 for a separate visit", line.code),
        );
    }
    if line.date_of_service < x_modifiers_from()
        && let Some(modifier) = DISTINCT_MODIFIERS[1..].iter().find(|m| has(m))
    {
        push(
            RuleId::MODIFIER_X_BEFORE_2015,
            format!(
                "modifier {modifier} on {}, before the X modifiers took effect on 2015-01-01; use 59",
                line.date_of_service
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{claim, context, line};
    use crate::rules::scrub;

    fn breaks_of(claim: &crate::model::Claim, rule: RuleId) -> Vec<RuleBreak> {
        scrub(claim, context()).into_iter().filter(|b| b.rule == rule).collect()
    }

    #[test]
    fn code_forms() {
        for good in ["99213", "3074F", "0075T", "0001U", "G0439", "J1885", "V2020", "0001A"] {
            assert!(is_valid_procedure_code(good), "{good}");
        }
        for bad in ["9921", "992133", "W1234", "G043", "3074X", "g0439", "99 13", "ABCDE"] {
            assert!(!is_valid_procedure_code(bad), "{bad}");
        }
    }

    #[test]
    fn bad_code_form_is_co16_on_its_line() {
        let c = claim(vec![line("99213", &[], 100.0), line("9921X", &[], 40.0)]);
        let found = breaks_of(&c, RuleId::PROCEDURE_CODE_FORM);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].carc, found[0].line, found[0].charge_at_risk), (Carc::CO_16, Some(2), 40.0));
        assert!(breaks_of(&claim(vec![line("G0439", &[], 10.0)]), RuleId::PROCEDURE_CODE_FORM).is_empty());
    }

    #[test]
    fn modifier_form_and_count() {
        let c = claim(vec![line("20610", &["LT", "5"], 90.0), line("20611", &["LT", "59", "XS", "76", "77"], 30.0)]);
        let form = breaks_of(&c, RuleId::MODIFIER_FORM);
        assert_eq!(form.len(), 1);
        assert_eq!((form[0].carc, form[0].line, form[0].charge_at_risk), (Carc::CO_4, Some(1), 90.0));
        let many = breaks_of(&c, RuleId::MODIFIER_TOO_MANY);
        assert_eq!(many.len(), 1);
        assert_eq!((many[0].carc, many[0].line, many[0].charge_at_risk), (Carc::CO_4, Some(2), 30.0));
        let ok = claim(vec![line("20610", &["LT", "59", "76", "77"], 90.0)]);
        assert!(breaks_of(&ok, RuleId::MODIFIER_FORM).is_empty());
        assert!(breaks_of(&ok, RuleId::MODIFIER_TOO_MANY).is_empty());
    }

    #[test]
    fn modifier_25_only_on_em_with_a_same_day_procedure() {
        let not_em = claim(vec![line("99213", &[], 100.0), line("20610", &["25"], 90.0)]);
        let found = breaks_of(&not_em, RuleId::MODIFIER_25_NOT_EM);
        assert_eq!(
            (found.len(), found[0].carc, found[0].line, found[0].charge_at_risk),
            (1, Carc::CO_4, Some(2), 90.0)
        );

        let alone = claim(vec![line("99214", &["25"], 150.0)]);
        let found = breaks_of(&alone, RuleId::MODIFIER_25_NO_PROCEDURE);
        assert_eq!(
            (found.len(), found[0].carc, found[0].line, found[0].charge_at_risk),
            (1, Carc::CO_4, Some(1), 150.0)
        );

        let mut other_day = line("20610", &[], 90.0);
        other_day.date_of_service = "2026-03-11".parse().unwrap();
        assert_eq!(
            breaks_of(&claim(vec![line("99214", &["25"], 150.0), other_day]), RuleId::MODIFIER_25_NO_PROCEDURE).len(),
            1
        );

        let good = claim(vec![line("99214", &["25"], 150.0), line("20610", &[], 90.0)]);
        assert!(breaks_of(&good, RuleId::MODIFIER_25_NO_PROCEDURE).is_empty());

        // A problem visit beside a same-day preventive visit is the other use CMS allows.
        let preventive = claim(vec![line("99396", &[], 180.0), line("99213", &["25"], 110.0)]);
        assert!(breaks_of(&preventive, RuleId::MODIFIER_25_NO_PROCEDURE).is_empty());
        let two_visits = claim(vec![line("99212", &[], 80.0), line("99213", &["25"], 110.0)]);
        assert_eq!(breaks_of(&two_visits, RuleId::MODIFIER_25_NO_PROCEDURE).len(), 1);
        assert!(breaks_of(&good, RuleId::MODIFIER_25_NOT_EM).is_empty());
    }

    #[test]
    fn distinct_modifiers_not_on_em() {
        let c = claim(vec![line("99213", &["XS"], 100.0), line("20610", &[], 90.0)]);
        let found = breaks_of(&c, RuleId::MODIFIER_DISTINCT_ON_EM);
        assert_eq!(
            (found.len(), found[0].carc, found[0].line, found[0].charge_at_risk),
            (1, Carc::CO_4, Some(1), 100.0)
        );
        let ok = claim(vec![line("99213", &[], 100.0), line("20610", &["59"], 90.0)]);
        assert!(breaks_of(&ok, RuleId::MODIFIER_DISTINCT_ON_EM).is_empty());
    }

    #[test]
    fn x_modifiers_from_2015() {
        let mut early = line("20610", &["XU"], 90.0);
        early.date_of_service = "2014-12-31".parse().unwrap();
        let c = claim(vec![early.clone()]);
        let found = breaks_of(&c, RuleId::MODIFIER_X_BEFORE_2015);
        assert_eq!(
            (found.len(), found[0].carc, found[0].line, found[0].charge_at_risk),
            (1, Carc::CO_4, Some(1), 90.0)
        );
        early.date_of_service = "2015-01-01".parse().unwrap();
        assert!(breaks_of(&claim(vec![early]), RuleId::MODIFIER_X_BEFORE_2015).is_empty());
    }
}
