//! A target: one vendor setup under test — real endpoints, or a simulator profile from `mocks/`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::{Fault, Located, Within};
use crate::model::{Module, Role};

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
    pub systems: Option<Located<Systems>>,
    /// A simulated vendor setup the harness starts on loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulator: Option<Located<Simulator>>,
    /// The products that make up this setup, the roles each plays, and what each module costs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<Located<Product>>,
}

/// One product the practice would buy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub name: String,
    /// The roles this product plays: `[emr]`, `[pm]`, or both for a suite.
    pub roles: Vec<Role>,
    /// Each module it includes, with its price in US dollars per provider per month (0 when included at no charge).
    pub modules: BTreeMap<Module, f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Systems {
    pub emr: Located<SystemSpec>,
    pub pm: Located<SystemSpec>,
}

/// One role's system, and every channel it is reached through: a real practice's PM often has a FHIR API, an
/// inbound HL7 port and claim exports at once. At least one channel.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemSpec {
    /// The system's FHIR R4 API: everything it serves is read and written there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir: Option<Located<FhirSystem>>,
    /// The system's HL7 v2.5.1 interface: its inbound port, and a port where the harness stands in for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hl7v2: Option<Located<Hl7v2System>>,
    /// The folders where the system exports its X12 claim batches and receives what payers send back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x12: Option<Located<X12System>>,
}

impl SystemSpec {
    /// The channels present, by their key in the file, for messages.
    pub fn channels(&self) -> Vec<&'static str> {
        let present = [("fhir", self.fhir.is_some()), ("hl7v2", self.hl7v2.is_some()), ("x12", self.x12.is_some())];
        present.into_iter().filter(|(_, p)| *p).map(|(name, _)| name).collect()
    }
}

/// An HL7 v2.5.1 interface over MLLP.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hl7v2System {
    /// `host:port` of the system's inbound interface: registrations (ADT^A04/A08), appointments (SIU^S12) and
    /// charges (DFT^P03) for this role are sent there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_to: Option<Located<String>>,
    /// `address:port` on this machine where the harness takes this role's inbound messages itself, for the whole
    /// run: point the other system's outbound interface here (an EMR's DFT^P03 charges, a PM's ADT and SIU); each
    /// message is acknowledged and read as what this role holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<Located<String>>,
    /// MSH-3 of the messages sent (default `HANDOFF`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_application: Option<String>,
    /// MSH-4 (default `HANDOFF`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_facility: Option<String>,
    /// MSH-5, as the receiving interface routes on it (default empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_application: Option<String>,
    /// MSH-6 (default empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_facility: Option<String>,
    /// How long to wait for each ACK (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Within>,
}

/// A pair of folders the system exchanges X12 005010 files through. Relative paths are read from the target
/// file's folder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct X12System {
    /// Where the system exports its 837P claim batches (`*.x12`, `*.837`, `*.txt`; one or more interchanges
    /// each): the claims as they went to the payer.
    pub outbox: Located<String>,
    /// Where the 999 and 277CA acknowledgments the payer or clearinghouse sent back are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<Located<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FhirSystem {
    /// The FHIR R4 base, for example `https://sandbox.vendor.example/fhir/r4`.
    pub base_url: String,
    /// How to authenticate. Secrets come from environment variables or files, never from this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// A PEM file of CA certificates to trust besides the system's own (for a vendor sandbox with a private CA).
    /// Relative paths are read from the target file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// How long one request may take (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Within>,
    /// How many times a request answered 429 or 503 is tried again, honouring `Retry-After` (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
}

/// How the harness proves who it is to a FHIR server.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// A bearer token, read from an environment variable or a file.
    Bearer(SecretSource),
    /// HTTP Basic; the password read from an environment variable or a file.
    Basic {
        username: String,
        #[serde(flatten)]
        password: SecretSource,
    },
    /// SMART Backend Services: a signed JWT client assertion exchanged for an access token (client_credentials).
    SmartBackend(SmartBackend),
}

/// Where a secret is: exactly one of an environment variable or a file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// Relative paths are read from the target file's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmartBackend {
    pub client_id: String,
    /// The PEM private key (PKCS#8) the client registered the public half of. Relative to the target file.
    pub key_file: String,
    /// `RS384` or `ES384`, as SMART Backend Services requires.
    pub algorithm: JwtAlgorithm,
    /// The key id registered with the server, sent as the JWT `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// For example `system/Patient.rs system/Coverage.rs`.
    pub scope: String,
    /// The token endpoint; discovered from `.well-known/smart-configuration` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JwtAlgorithm {
    RS384,
    ES384,
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
    /// The payer the PM sends its claims to (docs/payer.md); without it, the default payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Located<super::Payer>>,
    /// How many patients each system holds at most: past that, the oldest patient is forgotten with everything
    /// about it (its coverage, appointments, encounters, diagnoses, charges, claims and their X12), and the payer
    /// keeps its answers to this many claims. Without it, a simulator keeps every record for the run's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_patients: Option<std::num::NonZeroUsize>,
    /// When the run that starts this simulator finishes a flow, each system forgets that flow's patient as
    /// `retain_patients` forgets one: a long soak then holds only the flows under way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forget_finished_flows: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// One database behind both roles.
    Shared,
    /// Two databases joined by an interface that carries each change as it happens.
    Interfaced,
    /// Two databases under one brand, synced by a batch job (an EMR bolted onto an older PM).
    Batch,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// How long the interface takes to carry a message across.
    #[serde(default = "no_delay")]
    pub delay: Within,
    /// For `batch`: how often the sync job runs; everything changed since the last run goes across together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_every: Option<Within>,
    /// What the interface carries; anything left out must be keyed by hand in the other system.
    #[serde(default = "Carried::everything")]
    pub carries: Vec<Carried>,
}

fn no_delay() -> Within {
    Within(std::time::Duration::ZERO)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Carried {
    /// Registrations and demographic updates, to the EMR.
    Patients,
    /// Insurance, to the EMR.
    Coverage,
    /// Appointments, to the EMR.
    Appointments,
    /// Signed charges with their diagnoses, to the PM.
    Charges,
}

impl Carried {
    pub const ALL: [Carried; 4] = [Carried::Patients, Carried::Coverage, Carried::Appointments, Carried::Charges];

    fn everything() -> Vec<Carried> {
        Carried::ALL.to_vec()
    }

    /// The FHIR resource a carried kind travels as.
    pub fn resource_type(self) -> &'static str {
        match self {
            Carried::Patients => "Patient",
            Carried::Coverage => "Coverage",
            Carried::Appointments => "Appointment",
            Carried::Charges => "ChargeItem",
        }
    }
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
