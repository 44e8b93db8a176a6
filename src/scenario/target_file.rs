//! A target: one vendor setup under test — real endpoints, or a simulator profile from `mocks/`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Fault, Located, Within};

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
    /// Faults in the transport: errors, hangs and resets the systems answer with, whatever the data (docs/faults.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Located<Fault>>,
    /// Seeds the faults that fire at a `rate`: the same seed fires them on the same requests, run after run.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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

/// A planted defect: a mistake real interfaces make, named so the harness can be shown to catch it (docs/defects.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Defect {
    /// The receiving system keeps only the first `max_chars` characters of the family name.
    TruncateFamilyName { max_chars: usize },
    /// Names arrive in capitals.
    FoldCase,
    /// Only the first given name is carried.
    DropMiddleName,
    /// Phone numbers arrive as bare digits.
    ReformatPhone,
    /// Address lines arrive with USPS abbreviations (`Avenue` → `AVE`).
    AbbreviateAddress,
    /// Day and month of birth are swapped (when both are 12 or less).
    SwapBirthDayMonth,
    /// Only the primary coverage is carried.
    LoseSecondaryCoverage,
    /// An update creates a second patient instead of changing the first.
    DuplicatePatientOnUpdate,
    /// The receiving system keeps none of the sender's patient identifiers.
    NoCrossReference,
    /// Every message waits this much longer than the interface's own delay.
    Delay { extra: Within },
    /// Every `n`th message the interface carries is lost.
    LoseOneIn { n: usize },
    /// A patient update is applied before the change it follows, leaving the older values in place.
    ApplyUpdatesOutOfOrder,
    /// This modifier is dropped from every charge.
    DropModifier { modifier: String },
    /// Only the first `keep` modifiers of each charge are carried.
    DropModifiersAfter { keep: usize },
    /// Only the first `count` diagnoses of an encounter are carried.
    CarryFirstDiagnoses { count: usize },
    /// Each charge points at the diagnosis after the one documented.
    ShiftDiagnosisPointers,
    /// Fractional units are rounded to whole units.
    RoundUnits,
    /// Units above `max` are cut to `max`.
    CapUnits { max: f64 },
    /// Every charge arrives with this place of service.
    DefaultPlaceOfService { code: String },
    /// The rendering NPI is replaced by the practice's billing NPI.
    BillingNpiAsRendering { npi: String },
    /// Every charge arrives twice.
    DuplicateCharge,
    /// The date of service is replaced by the date the charge was posted.
    PostingDateAsServiceDate,
}

impl Defect {
    pub fn name(&self) -> &'static str {
        match self {
            Defect::TruncateFamilyName { .. } => "truncate_family_name",
            Defect::FoldCase => "fold_case",
            Defect::DropMiddleName => "drop_middle_name",
            Defect::ReformatPhone => "reformat_phone",
            Defect::AbbreviateAddress => "abbreviate_address",
            Defect::SwapBirthDayMonth => "swap_birth_day_month",
            Defect::LoseSecondaryCoverage => "lose_secondary_coverage",
            Defect::DuplicatePatientOnUpdate => "duplicate_patient_on_update",
            Defect::NoCrossReference => "no_cross_reference",
            Defect::Delay { .. } => "delay",
            Defect::LoseOneIn { .. } => "lose_one_in",
            Defect::ApplyUpdatesOutOfOrder => "apply_updates_out_of_order",
            Defect::DropModifier { .. } => "drop_modifier",
            Defect::DropModifiersAfter { .. } => "drop_modifiers_after",
            Defect::CarryFirstDiagnoses { .. } => "carry_first_diagnoses",
            Defect::ShiftDiagnosisPointers => "shift_diagnosis_pointers",
            Defect::RoundUnits => "round_units",
            Defect::CapUnits { .. } => "cap_units",
            Defect::DefaultPlaceOfService { .. } => "default_place_of_service",
            Defect::BillingNpiAsRendering { .. } => "billing_npi_as_rendering",
            Defect::DuplicateCharge => "duplicate_charge",
            Defect::PostingDateAsServiceDate => "posting_date_as_service_date",
        }
    }
}
