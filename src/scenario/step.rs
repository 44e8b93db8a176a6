//! The actions and expectations a scenario is made of.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Located, Within};
use crate::model::{Address, Date, DateTime, HumanName, Role};

/// One line of a scenario: an action staff take in a system, or something the harness expects to be true.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Register the scenario's patient and their coverage.
    Register(Register),
    /// Change the patient's demographics where they were registered.
    UpdatePatient(UpdatePatient),
    /// Book the visit.
    Schedule(Schedule),
    /// The clinician documents and signs the visit: diagnoses and services.
    Document(Document),
    /// Build the claim from the charges the PM holds.
    BuildClaim(BuildClaim),
    /// Expect a record to be in another system, and to agree field by field, within a window.
    ExpectSynced(ExpectSynced),
    /// Expect a charge for every documented service to reach the PM within a window.
    ExpectCharges(ExpectCharges),
    /// Expect the claim to carry exactly what was documented.
    ExpectClaim(ExpectClaim),
    /// Expect the payer's answer to the claim within a window, and trace each documented service to what it paid.
    ExpectRemittance(ExpectRemittance),
}

impl Step {
    pub fn label(&self) -> &'static str {
        match self {
            Step::Register(_) => "register",
            Step::UpdatePatient(_) => "update_patient",
            Step::Schedule(_) => "schedule",
            Step::Document(_) => "document",
            Step::BuildClaim(_) => "build_claim",
            Step::ExpectSynced(_) => "expect_synced",
            Step::ExpectCharges(_) => "expect_charges",
            Step::ExpectClaim(_) => "expect_claim",
            Step::ExpectRemittance(_) => "expect_remittance",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    pub at: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePatient {
    pub at: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<HumanName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub at: Role,
    pub provider_npi: String,
    pub start: DateTime,
    pub minutes: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub at: Role,
    /// Defaults to the day of the scheduled visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_service: Option<Date>,
    /// CMS place-of-service code (`11` office, `22` outpatient hospital, ...).
    pub place_of_service: String,
    /// Defaults to the provider the visit was scheduled with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendering_npi: Option<String>,
    /// ICD-10-CM codes, principal first.
    pub diagnoses: Vec<String>,
    pub services: Vec<Located<ServiceSpec>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// CPT or HCPCS Level II code (codes only: CPT descriptors are AMA-licensed).
    pub code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<String>,
    #[serde(default = "one_unit")]
    pub units: f64,
    /// 1-based pointers into `diagnoses`, at most four.
    pub dx: Vec<u8>,
}

fn one_unit() -> f64 {
    1.0
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildClaim {
    pub at: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Patient,
    Coverage,
    Appointment,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Patient => "patient",
            RecordKind::Coverage => "coverage",
            RecordKind::Appointment => "appointment",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSynced {
    pub record: RecordKind,
    /// The system that should have received the record.
    pub at: Role,
    pub within: Within,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectCharges {
    pub at: Role,
    pub within: Within,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectClaim {
    #[serde(default = "pm")]
    pub at: Role,
    /// What the claim is held against; `documented` is the only source in format v1.
    #[serde(default)]
    pub matches: ClaimSource,
    /// Also check the claim against coding and billing rules before it would be sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrub: Option<RuleSet>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectRemittance {
    /// The system that holds the remittance: the PM, which sent the claim.
    #[serde(default = "pm")]
    pub at: Role,
    /// How long after the claim was built the payer's answer may take to arrive.
    pub within: Within,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleSet {
    /// CMS rules: ICD-10-CM billable on the date of service, CPT/HCPCS and modifier form, NPI, place of service,
    /// 837P limits, and the NCCI and MUE tables when imported (`handoff rules import`).
    Cms,
}

fn pm() -> Role {
    Role::Pm
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimSource {
    #[default]
    Documented,
}
