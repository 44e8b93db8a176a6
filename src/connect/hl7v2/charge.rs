//! FT1 ⇄ [`Charge`]: one billed service with its codes, units, place and date of service and rendering provider.

use crate::model::Charge;

use super::diagnosis::icd10;
use super::provider::provider;
use super::reader::Located;
use super::values::{format_date, format_number, parse_date, parse_number};
use super::{Field, ReadError, Repetition, Segment};

/// HL7 table 0017: a charge.
const CHARGE: &str = "CG";
/// HL7 table 0396 names: CPT-4 is `C4`; HCPCS Level II is `HCPCS`.
pub const CPT: &str = "C4";
pub const HCPCS: &str = "HCPCS";

/// HCPCS Level II codes start with a letter; CPT codes with a digit.
fn procedure_coding_system(code: &str) -> &'static str {
    if code.starts_with(|c: char| c.is_ascii_alphabetic()) { HCPCS } else { CPT }
}

/// FT1 for one charge, `set_id` counting from 1 within the message.
///
/// The CMS place-of-service code goes in FT1-16.1 (PL point of care): 2.5.1 has no field for it, and this is
/// where most PM interfaces look.
pub fn ft1(set_id: usize, charge: &Charge) -> Segment {
    let procedure = Field::from_components([charge.code.as_str(), "", procedure_coding_system(&charge.code)]);
    Segment::new("FT1")
        .with(1, set_id.to_string())
        .with(4, format_date(charge.date_of_service))
        .with(6, CHARGE)
        .with(7, procedure.clone())
        .with(10, format_number(charge.units))
        .with(16, charge.place_of_service.as_str())
        .with(19, Field::from_repetitions(charge.diagnoses.iter().map(|d| icd10(d))))
        .with(20, provider(&charge.rendering_npi))
        .with(25, procedure)
        .with(26, Field::from_repetitions(charge.modifiers.iter().map(|m| Repetition::from_components([m.as_str()]))))
}

/// The charge an FT1 posts. The procedure code is read from FT1-25, or FT1-7 when FT1-25 is empty; a missing
/// quantity is one unit.
pub fn read_ft1(ft1: Located<'_>) -> Result<Charge, ReadError> {
    let segment = ft1.segment;
    let code = match segment.component(25, 1) {
        "" => ft1.required(7, 1, "the CPT or HCPCS code of the service (FT1-25 or FT1-7)")?,
        code => code,
    };
    let date_text = ft1.required(4, 1, "the date of service as YYYYMMDD")?;
    let date_of_service =
        parse_date(date_text).ok_or_else(|| ft1.invalid(4, None, date_text, "the date of service as YYYYMMDD"))?;
    let units = match segment.value(10) {
        "" => 1.0,
        text => parse_number(text).ok_or_else(|| ft1.invalid(10, None, text, "the number of units"))?,
    };
    let codes = |field: usize| -> Vec<String> {
        segment
            .repetitions(field)
            .iter()
            .map(|r| r.component(1))
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    Ok(Charge {
        code: code.to_string(),
        modifiers: codes(26),
        units,
        diagnoses: codes(19),
        place_of_service: segment.component(16, 1).to_string(),
        date_of_service,
        rendering_npi: segment.component(20, 1).to_string(),
    })
}
