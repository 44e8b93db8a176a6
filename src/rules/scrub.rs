//! The scrubber's entry points: one claim, or a batch whose date-of-service edits reach across claims.

use std::collections::HashMap;

use crate::model::{Claim, Date};

use super::{RuleBreak, ScrubContext, icd10, mue, ncci, npi, pos, procedure, structure};

/// A claim with what the scrubber needs that the canonical [`Claim`] does not carry.
#[derive(Debug, Clone, Copy)]
pub struct ScrubInput<'a> {
    pub claim: &'a Claim,
    /// The 837P HI qualifier of the diagnoses as sent: `ABK`/`ABF` for ICD-10-CM, `BK`/`BF` for ICD-9-CM.
    pub diagnosis_qualifier: Option<&'a str>,
    /// Who the claim is for, when the member id alone does not say (a patient id shared across payers).
    pub patient: Option<&'a str>,
}

impl<'a> ScrubInput<'a> {
    pub fn new(claim: &'a Claim) -> ScrubInput<'a> {
        ScrubInput { claim, diagnosis_qualifier: None, patient: None }
    }

    /// The beneficiary NCCI and MUE edits group by; a member id only means something within its payer.
    pub(super) fn beneficiary(&self) -> (&'a str, &'a str) {
        match self.patient {
            Some(patient) => ("", patient),
            None => (self.claim.payer.as_str(), self.claim.member_id.as_str()),
        }
    }
}

impl<'a> From<&'a Claim> for ScrubInput<'a> {
    fn from(claim: &'a Claim) -> ScrubInput<'a> {
        ScrubInput::new(claim)
    }
}

/// Every rule the claim breaks, in line order; rules whose tables are missing are in [`ScrubContext::not_run`].
pub fn scrub(claim: &Claim, context: &ScrubContext) -> Vec<RuleBreak> {
    scrub_input(&ScrubInput::new(claim), context)
}

pub fn scrub_input(input: &ScrubInput<'_>, context: &ScrubContext) -> Vec<RuleBreak> {
    scrub_batch(std::slice::from_ref(input), context).pop().unwrap_or_default()
}

/// Scrubs claims together so NCCI and date-of-service MUE edits see every line the same patient had that day, whichever
/// claim it is on. The result has one list per input, in input order.
pub fn scrub_batch(inputs: &[ScrubInput<'_>], context: &ScrubContext) -> Vec<Vec<RuleBreak>> {
    let mut results: Vec<Vec<RuleBreak>> = inputs
        .iter()
        .map(|input| {
            let mut out = Vec::new();
            structure::check(input, &mut out);
            icd10::check(input, &context.icd, &mut out);
            procedure::check(input, &mut out);
            npi::check(input, &mut out);
            pos::check(input, &mut out);
            out
        })
        .collect();
    if context.ptp.is_some() || context.mue.is_some() {
        let days = same_day_lines(inputs);
        if let Some(ptp) = &context.ptp {
            ncci::check(inputs, &days, ptp, &mut results);
        }
        if let Some(table) = &context.mue {
            mue::check(inputs, &days, table, &mut results);
        }
    }
    for breaks in &mut results {
        // Claim-level breaks first, then by line; stable, so each line keeps the order the rules ran in.
        breaks.sort_by_key(|b| b.line);
    }
    results
}

/// Where one service line sits in the batch: claim index and 0-based line index.
pub(super) type LineRef = (usize, usize);

/// Lines grouped by beneficiary and date of service, the unit both NCCI and date-of-service MUEs judge.
pub(super) type SameDay<'a> = HashMap<((&'a str, &'a str), Date), Vec<LineRef>>;

fn same_day_lines<'a>(inputs: &[ScrubInput<'a>]) -> SameDay<'a> {
    let mut days: SameDay<'a> = HashMap::new();
    for (claim_index, input) in inputs.iter().enumerate() {
        let beneficiary = input.beneficiary();
        for (line_index, line) in input.claim.lines.iter().enumerate() {
            days.entry((beneficiary, line.date_of_service)).or_default().push((claim_index, line_index));
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{claim, context, context_with_tables, line};
    use crate::rules::{RuleId, Severity};

    #[test]
    fn without_tables_ncci_and_mue_are_reported_as_not_run() {
        assert_eq!(context().not_run(), vec![RuleId::NCCI_PTP, RuleId::MUE_LINE, RuleId::MUE_DATE_OF_SERVICE]);
        assert_eq!(context_with_tables().not_run(), vec![]);
        // The same claim breaks NCCI only when the table is there to say so.
        let c = claim(vec![line("20611", &[], 150.0), line("20610", &[], 90.0)]);
        assert_eq!(scrub(&c, context()), vec![]);
        assert_eq!(scrub(&c, context_with_tables()).len(), 1);
    }

    #[test]
    fn breaks_come_claim_level_first_then_by_line() {
        let mut c = claim(vec![line("99213", &["XS"], 100.0), line("9921", &[], 40.0)]);
        c.total_charge = 1.0;
        let breaks = scrub(&c, context());
        let lines: Vec<_> = breaks.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![None, Some(1), Some(2)], "{breaks:?}");
        assert!(breaks.iter().all(|b| b.severity == Severity::Error));
    }

    #[test]
    fn rule_ids_are_unique_and_serialise_as_strings() {
        let mut ids: Vec<_> = RuleId::ALL.iter().map(RuleId::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RuleId::ALL.len());
        let c = claim(vec![line("99213", &["25"], 100.0)]);
        let json = serde_json::to_value(&scrub(&c, context())[0]).unwrap();
        assert_eq!(json["rule"], "modifier.25_no_procedure");
        assert_eq!(json["carc"], "CO-4");
        assert_eq!(json["severity"], "error");
    }
}
