//! A charge as the PM holds it after the visit, before a claim is built.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Date;

/// A PM charge carries the diagnosis codes themselves (as HL7 FT1-19 does), not pointers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Charge {
    pub code: String,
    pub modifiers: Vec<String>,
    pub units: f64,
    pub diagnoses: Vec<String>,
    pub place_of_service: String,
    pub date_of_service: Date,
    pub rendering_npi: String,
}

impl Charge {
    /// The 1-based positions of the charge's diagnosis codes in `diagnoses`, as a claim line or service line
    /// points at them; a code not on the list has no pointer.
    pub fn pointers_into(&self, diagnoses: &[String]) -> Vec<u8> {
        self.diagnoses
            .iter()
            .filter_map(|c| diagnoses.iter().position(|d| d == c))
            .filter_map(|p| u8::try_from(p + 1).ok())
            .collect()
    }
}
