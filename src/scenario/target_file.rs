//! A target: one vendor setup under test — real endpoints, or a simulator profile from `mocks/`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Located, Within};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "handoff target",
    description = "One vendor setup: real systems under `systems`, or an embedded simulator under `simulator`."
)]
pub struct Target {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Real endpoints for each role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub systems: Option<Systems>,
    /// A simulated vendor setup the harness starts on loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulator: Option<Located<Simulator>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Systems {
    pub emr: SystemSpec,
    pub pm: SystemSpec,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SystemSpec {
    Fhir(FhirSystem),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FhirSystem {
    /// The FHIR R4 base, for example `https://sandbox.vendor.example/fhir/r4`.
    pub base_url: String,
    /// The name of an environment variable holding a bearer token (never the token itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_env: Option<String>,
    /// How long one request may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Within>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Simulator {
    pub topology: Topology,
    /// How the two stores are joined; only for `interfaced`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<Interface>,
    /// Faults planted in the data the interface carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Located<Defect>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// One database behind both roles.
    Shared,
    /// Two databases joined by an interface.
    Interfaced,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// How long the interface takes to carry a message across.
    pub delay: Within,
}

/// A planted defect: what a real interface gets wrong, named so the harness can be shown to catch it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Defect {
    /// The receiving system keeps only the first `max_chars` characters of the family name.
    TruncateFamilyName { max_chars: usize },
    /// Only the first `keep` modifiers of each charge are carried.
    DropModifiersAfter { keep: usize },
    /// Only the first `count` diagnoses of an encounter are carried.
    CarryFirstDiagnoses { count: usize },
}

impl Defect {
    pub fn name(&self) -> &'static str {
        match self {
            Defect::TruncateFamilyName { .. } => "truncate_family_name",
            Defect::DropModifiersAfter { .. } => "drop_modifiers_after",
            Defect::CarryFirstDiagnoses { .. } => "carry_first_diagnoses",
        }
    }
}
