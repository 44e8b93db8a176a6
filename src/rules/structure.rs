//! 837P limits a claim must fit before a clearinghouse accepts it: diagnosis and line counts, pointers, the total.

use super::{Carc, RuleBreak, RuleId, ScrubInput};

/// The 837P HI segment carries twelve diagnoses (one principal, eleven others).
const MAX_DIAGNOSES: usize = 12;
/// SV107 has four pointer slots.
const MAX_POINTERS: usize = 4;
/// The 837P allows 50 service lines per claim (loop 2400 repeat).
const MAX_LINES: usize = 50;

pub(super) fn check(input: &ScrubInput<'_>, out: &mut Vec<RuleBreak>) {
    let claim = input.claim;
    let lines_total: f64 = claim.lines.iter().map(|l| l.charge).sum();
    // A clearinghouse rejects the whole claim for these, so every line's charge is at risk.
    let mut claim_break = |rule, message| out.push(RuleBreak::error(rule, Carc::CO_16, None, lines_total, message));
    if claim.diagnoses.first().is_none_or(|d| d.trim().is_empty()) {
        claim_break(
            RuleId::CLAIM_NO_PRINCIPAL_DIAGNOSIS,
            "the claim has no principal diagnosis; the first diagnosis is the principal one".to_string(),
        );
    }
    if claim.diagnoses.len() > MAX_DIAGNOSES {
        claim_break(
            RuleId::CLAIM_TOO_MANY_DIAGNOSES,
            format!("{} diagnoses; an 837P claim carries at most 12, so split the claim", claim.diagnoses.len()),
        );
    }
    if claim.lines.len() > MAX_LINES {
        claim_break(
            RuleId::CLAIM_TOO_MANY_LINES,
            format!("{} service lines; an 837P claim carries at most 50, so split the claim", claim.lines.len()),
        );
    }
    // Compared in cents: charges are money, and summing f64 dollars leaves fractions of a cent.
    if (claim.total_charge * 100.0).round() != (lines_total * 100.0).round() {
        claim_break(
            RuleId::CLAIM_TOTAL_MISMATCH,
            format!("the claim total {:.2} is not the sum of its line charges {lines_total:.2}", claim.total_charge),
        );
    }
    for (index, line) in claim.lines.iter().enumerate() {
        let at = Some(index + 1);
        if line.dx_pointers.len() > MAX_POINTERS {
            out.push(RuleBreak::error(
                RuleId::CLAIM_TOO_MANY_POINTERS,
                Carc::CO_16,
                at,
                line.charge,
                format!("{} diagnosis pointers; a service line carries at most 4", line.dx_pointers.len()),
            ));
        }
        let dangling = line.dx_pointers.iter().find(|p| **p == 0 || usize::from(**p) > claim.diagnoses.len());
        let message = match dangling {
            Some(pointer) => Some(format!(
                "diagnosis pointer {pointer} points at no diagnosis; the claim has {}, numbered from 1",
                claim.diagnoses.len()
            )),
            None if line.dx_pointers.is_empty() => {
                Some("the line points at no diagnosis; every service line needs at least one pointer".to_string())
            }
            None => None,
        };
        if let Some(message) = message {
            out.push(RuleBreak::error(RuleId::CLAIM_POINTER_OUT_OF_RANGE, Carc::CO_16, at, line.charge, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{claim, context, line};
    use crate::rules::scrub;

    fn only(c: &crate::model::Claim, rule: RuleId) -> Vec<RuleBreak> {
        scrub(c, context()).into_iter().filter(|b| b.rule == rule).collect()
    }

    fn good() -> crate::model::Claim {
        claim(vec![line("99213", &[], 100.0), line("83036", &[], 25.5)])
    }

    #[test]
    fn a_well_formed_claim_breaks_no_structure_rule() {
        assert_eq!(scrub(&good(), context()), vec![]);
    }

    #[test]
    fn principal_diagnosis_required() {
        let mut c = good();
        c.diagnoses.clear();
        let found = only(&c, RuleId::CLAIM_NO_PRINCIPAL_DIAGNOSIS);
        assert_eq!((found.len(), found[0].carc, found[0].line, found[0].charge_at_risk), (1, Carc::CO_16, None, 125.5));
    }

    #[test]
    fn at_most_twelve_diagnoses() {
        let mut c = good();
        c.diagnoses = ["E11.65", "I10", "E78.5", "N18.30", "E66.9", "Z79.4", "R73.03", "J45.909", "K21.9", "M54.50"]
            .into_iter()
            .chain(["G47.33", "F41.1"])
            .map(String::from)
            .collect();
        assert!(only(&c, RuleId::CLAIM_TOO_MANY_DIAGNOSES).is_empty());
        c.diagnoses.push("F32.A".into());
        let found = only(&c, RuleId::CLAIM_TOO_MANY_DIAGNOSES);
        assert_eq!((found.len(), found[0].carc, found[0].line, found[0].charge_at_risk), (1, Carc::CO_16, None, 125.5));
    }

    #[test]
    fn at_most_fifty_lines() {
        let c = claim((0..50).map(|_| line("83036", &[], 1.0)).collect());
        assert!(only(&c, RuleId::CLAIM_TOO_MANY_LINES).is_empty());
        let c = claim((0..51).map(|_| line("83036", &[], 1.0)).collect());
        let found = only(&c, RuleId::CLAIM_TOO_MANY_LINES);
        assert_eq!((found.len(), found[0].carc, found[0].line, found[0].charge_at_risk), (1, Carc::CO_16, None, 51.0));
    }

    #[test]
    fn total_must_equal_the_lines() {
        let mut c = claim(vec![line("99213", &[], 0.1), line("83036", &[], 0.2)]);
        assert!(only(&c, RuleId::CLAIM_TOTAL_MISMATCH).is_empty(), "0.1 + 0.2 is 0.30 in cents");
        c.total_charge = 0.31;
        let found = only(&c, RuleId::CLAIM_TOTAL_MISMATCH);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].carc, found[0].line), (Carc::CO_16, None));
        assert!((found[0].charge_at_risk - 0.3).abs() < 1e-9);
    }

    #[test]
    fn pointers_at_most_four_and_in_range() {
        let mut c = good();
        c.diagnoses = ["E11.65", "I10", "E78.5", "N18.30", "E66.9"].map(String::from).to_vec();
        c.lines[0].dx_pointers = vec![1, 2, 3, 4, 5];
        c.lines[1].dx_pointers = vec![1, 6];
        let many = only(&c, RuleId::CLAIM_TOO_MANY_POINTERS);
        assert_eq!((many.len(), many[0].carc, many[0].line, many[0].charge_at_risk), (1, Carc::CO_16, Some(1), 100.0));
        let range = only(&c, RuleId::CLAIM_POINTER_OUT_OF_RANGE);
        assert_eq!(
            (range.len(), range[0].carc, range[0].line, range[0].charge_at_risk),
            (1, Carc::CO_16, Some(2), 25.5)
        );

        c.lines[0].dx_pointers = vec![1, 2, 3, 4];
        c.lines[1].dx_pointers = vec![];
        assert!(only(&c, RuleId::CLAIM_TOO_MANY_POINTERS).is_empty());
        let range = only(&c, RuleId::CLAIM_POINTER_OUT_OF_RANGE);
        assert_eq!((range.len(), range[0].line), (1, Some(2)), "a line with no pointer");
        c.lines[1].dx_pointers = vec![0];
        assert_eq!(only(&c, RuleId::CLAIM_POINTER_OUT_OF_RANGE).len(), 1, "pointers count from 1");
    }
}
