//! A professional claim as the PM would send it (the 837P / FHIR Claim content that matters to the payer).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Date;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Claim {
    pub id: String,
    pub payer: String,
    pub member_id: String,
    /// ICD-10-CM codes in claim order; the first is the principal diagnosis.
    pub diagnoses: Vec<String>,
    pub lines: Vec<ClaimLine>,
    pub total_charge: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimLine {
    pub code: String,
    pub modifiers: Vec<String>,
    pub units: f64,
    /// 1-based pointers into the claim's diagnoses.
    pub dx_pointers: Vec<u8>,
    pub place_of_service: String,
    pub date_of_service: Date,
    pub rendering_npi: String,
    pub charge: f64,
}

impl Claim {
    pub fn line_diagnoses(&self, line: &ClaimLine) -> Vec<String> {
        line.dx_pointers.iter().filter_map(|p| self.diagnoses.get(usize::from(*p).checked_sub(1)?)).cloned().collect()
    }
}
