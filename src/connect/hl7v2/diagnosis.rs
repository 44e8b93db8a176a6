//! DG1 ⇄ [`Diagnosis`]: one ICD-10-CM code per segment, ranked by DG1-15.

use crate::model::Diagnosis;

use super::reader::Located;
use super::{Field, ReadError, Repetition, Segment};

/// HL7 table 0396 name for ICD-10; 2.5.1 has no separate code for the US clinical modification.
pub const ICD10: &str = "I10";
/// HL7 table 0052: a final diagnosis, as billed.
const FINAL: &str = "F";

/// CE for an ICD-10-CM code: `code^^I10`.
pub fn icd10(code: &str) -> Repetition {
    Repetition::from_components([code, "", ICD10])
}

/// DG1 for the diagnosis ranked `rank` (1 is principal); the rank is both the set id and DG1-15 priority.
pub fn dg1(rank: usize, diagnosis: &Diagnosis) -> Segment {
    Segment::new("DG1")
        .with(1, rank.to_string())
        .with(3, Field::from_repetitions([icd10(&diagnosis.code)]))
        .with(6, FINAL)
        .with(15, rank.to_string())
}

/// A diagnosis and its DG1-15 priority, when given; ranking is left to the caller, who sees every DG1.
pub fn read_dg1(dg1: Located<'_>) -> Result<(Diagnosis, Option<u32>), ReadError> {
    let code = dg1.required(3, 1, "the ICD-10-CM code (code^^I10)")?;
    let priority = match dg1.segment.value(15) {
        "" => None,
        text => Some(
            text.parse::<u32>()
                .map_err(|_| dg1.invalid(15, None, text, "the diagnosis priority, 1 for the principal"))?,
        ),
    };
    Ok((Diagnosis { code: code.to_string() }, priority))
}
