//! A scenario: one patient's register-to-claim flow, as the steps staff and clinicians would take.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Located, Step};
use crate::model::Patient;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "handoff scenario", description = "A register-to-claim flow for one patient.")]
pub struct Scenario {
    /// A short, unique name; it labels every finding.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The patient as the front desk would key them in.
    pub patient: Patient,
    pub steps: Vec<Located<Step>>,
}
