//! Medically Unlikely Edits: the most units of a service one patient can plausibly get from one practitioner.

use std::collections::HashMap;

use super::ncci::{PackedMap, pack, unpack};
use super::scrub::{LineRef, SameDay};
use super::{Carc, ProcedureCode, RuleBreak, RuleId, ScrubInput};

/// The MUE Adjudication Indicator: whether the limit counts one line or the whole date of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MueIndicator {
    /// 1: each claim line is judged alone (units on separate lines with 59/76/77/91 are each within the limit).
    Line,
    /// 2: a date-of-service edit set by policy; never bypassed.
    DateOfServicePolicy,
    /// 3: a date-of-service edit from clinical data; an appeal with records can overturn it.
    DateOfServiceClinical,
}

impl MueIndicator {
    pub fn digit(self) -> u8 {
        match self {
            MueIndicator::Line => 1,
            MueIndicator::DateOfServicePolicy => 2,
            MueIndicator::DateOfServiceClinical => 3,
        }
    }

    pub fn from_digit(digit: u8) -> Option<MueIndicator> {
        match digit {
            1 => Some(MueIndicator::Line),
            2 => Some(MueIndicator::DateOfServicePolicy),
            3 => Some(MueIndicator::DateOfServiceClinical),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MueEdit {
    pub max_units: u32,
    pub indicator: MueIndicator,
}

/// The practitioner MUE table, keyed by code.
#[derive(Debug, Clone, Default)]
pub struct MueTable {
    edits: PackedMap<MueEdit>,
}

impl MueTable {
    pub fn new() -> MueTable {
        MueTable::default()
    }

    /// Replaces any earlier value for `code`: a file lists each code once.
    pub fn insert(&mut self, code: ProcedureCode, edit: MueEdit) {
        self.edits.insert(pack(code), edit);
    }

    pub fn get(&self, code: ProcedureCode) -> Option<MueEdit> {
        self.edits.get(&pack(code)).copied()
    }

    pub fn len(&self) -> usize {
        self.edits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    pub fn rows(&self) -> impl Iterator<Item = (ProcedureCode, MueEdit)> + '_ {
        self.edits.iter().map(|(k, e)| (unpack(*k), *e))
    }
}

// Medicare denies MUE excess with CARC 151 (with RARC N362); some commercial payers use 119 or 16 instead, so the CARC here
// predicts a Medicare remittance.
pub(super) fn check(inputs: &[ScrubInput<'_>], days: &SameDay<'_>, table: &MueTable, out: &mut [Vec<RuleBreak>]) {
    let line_at = |(c, l): LineRef| &inputs[c].claim.lines[l];
    // Line edits: each line on its own.
    for (claim_index, input) in inputs.iter().enumerate() {
        for (line_index, line) in input.claim.lines.iter().enumerate() {
            let Some(code) = ProcedureCode::parse(&line.code) else { continue };
            let Some(edit) = table.get(code).filter(|e| e.indicator == MueIndicator::Line) else { continue };
            if line.units > f64::from(edit.max_units) {
                out[claim_index].push(RuleBreak::error(
                    RuleId::MUE_LINE,
                    Carc::CO_151,
                    Some(line_index + 1),
                    line.charge,
                    format!(
                        "{} units of `{code}` on one line; the MUE allows {} per line (the whole line is denied)",
                        line.units, edit.max_units
                    ),
                ));
            }
        }
    }
    // Date-of-service edits: every unit of the code the patient had that day, on any line of any claim in the batch.
    for ((_, date), refs) in days {
        let mut by_code: HashMap<ProcedureCode, (MueEdit, Vec<LineRef>)> = HashMap::new();
        for &at in refs {
            let Some(code) = ProcedureCode::parse(&line_at(at).code) else { continue };
            let Some(edit) = table.get(code).filter(|e| e.indicator != MueIndicator::Line) else { continue };
            by_code.entry(code).or_insert_with(|| (edit, Vec::new())).1.push(at);
        }
        for (code, (edit, lines)) in by_code {
            let units: f64 = lines.iter().map(|at| line_at(*at).units).sum();
            if units <= f64::from(edit.max_units) {
                continue;
            }
            // A date-of-service MUE denies every unit of the code that day, so each line's charge is at risk.
            for &(claim_index, line_index) in &lines {
                out[claim_index].push(RuleBreak::error(
                    RuleId::MUE_DATE_OF_SERVICE,
                    Carc::CO_151,
                    Some(line_index + 1),
                    line_at((claim_index, line_index)).charge,
                    format!(
                        "{units} units of `{code}` on {date} across {} line(s); the MUE allows {} per day \
                         (adjudication indicator {})",
                        lines.len(),
                        edit.max_units,
                        edit.indicator.digit()
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{claim, context_with_tables, line};
    use crate::rules::{scrub, scrub_batch};

    fn only(breaks: &[RuleBreak], rule: RuleId) -> Vec<RuleBreak> {
        breaks.iter().filter(|b| b.rule == rule).cloned().collect()
    }

    fn units(code: &str, units: f64, charge: f64) -> crate::model::ClaimLine {
        let mut l = line(code, &[], charge);
        l.units = units;
        l
    }

    #[test]
    fn line_edit_counts_each_line_alone() {
        // The fixture gives 20610 an MUE of 2 with indicator 1.
        let c = claim(vec![units("20610", 3.0, 270.0)]);
        let found = only(&scrub(&c, context_with_tables()), RuleId::MUE_LINE);
        assert_eq!(
            (found.len(), found[0].carc, found[0].line, found[0].charge_at_risk),
            (1, Carc::CO_151, Some(1), 270.0)
        );
        let c = claim(vec![units("20610", 2.0, 180.0), units("20610", 2.0, 180.0)]);
        assert!(only(&scrub(&c, context_with_tables()), RuleId::MUE_LINE).is_empty());
    }

    #[test]
    fn date_of_service_edit_sums_lines() {
        // The fixture gives 36415 an MUE of 2 with indicator 2.
        let c = claim(vec![units("36415", 1.0, 10.0), units("36415", 2.0, 20.0)]);
        let found = only(&scrub(&c, context_with_tables()), RuleId::MUE_DATE_OF_SERVICE);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].carc, found[0].line, found[0].charge_at_risk), (Carc::CO_151, Some(1), 10.0));
        assert_eq!((found[1].line, found[1].charge_at_risk), (Some(2), 20.0));
        let c = claim(vec![units("36415", 1.0, 10.0), units("36415", 1.0, 10.0)]);
        assert!(only(&scrub(&c, context_with_tables()), RuleId::MUE_DATE_OF_SERVICE).is_empty());
    }

    #[test]
    fn date_of_service_edit_sums_across_claims_of_the_same_patient_and_day() {
        // 99213 has an MUE of 1 with indicator 3 in the fixture.
        let morning = claim(vec![units("99213", 1.0, 100.0)]);
        let evening = claim(vec![units("99213", 1.0, 100.0)]);
        let results = scrub_batch(&[(&morning).into(), (&evening).into()], context_with_tables());
        for result in &results {
            let found = only(result, RuleId::MUE_DATE_OF_SERVICE);
            assert_eq!((found.len(), found[0].line, found[0].charge_at_risk), (1, Some(1), 100.0));
        }
        let mut next_day = evening.clone();
        next_day.lines[0].date_of_service = "2026-03-11".parse().unwrap();
        let results = scrub_batch(&[(&morning).into(), (&next_day).into()], context_with_tables());
        assert!(results.iter().all(|r| only(r, RuleId::MUE_DATE_OF_SERVICE).is_empty()));
    }
}
