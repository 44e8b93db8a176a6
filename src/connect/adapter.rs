//! The adapter trait: apply an action to a system, fetch what it holds. The engine never asks which kind of adapter it has.

use async_trait::async_trait;

use super::AdapterError;
use crate::model::{
    Appointment, Capabilities, Charge, Claim, Coverage, Date, Encounter, Identifier, Patient, Remittance,
};

/// Something staff or a clinician does in a system.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Register a patient (with their coverage); `tracking` lets the harness find the record again anywhere.
    Register {
        patient: &'a Patient,
        tracking: &'a Identifier,
    },
    UpdatePatient {
        id: &'a str,
        patient: &'a Patient,
        tracking: &'a Identifier,
    },
    Schedule {
        patient_id: &'a str,
        appointment: &'a Appointment,
    },
    /// Document and sign a visit: diagnoses, services, and the charges they produce.
    Document {
        patient_id: &'a str,
        encounter: &'a Encounter,
    },
    BuildClaim {
        patient_id: &'a str,
    },
    /// Key charges into the PM by hand, because they did not arrive from the EMR.
    PostCharges {
        patient_id: &'a str,
        charges: &'a [Charge],
    },
}

impl Action<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Register { .. } => "register",
            Action::UpdatePatient { .. } => "update_patient",
            Action::Schedule { .. } => "schedule",
            Action::Document { .. } => "document",
            Action::BuildClaim { .. } => "build_claim",
            Action::PostCharges { .. } => "post_charges",
        }
    }
}

/// What an action left behind: the id the system gave the record it made, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub id: Option<String>,
}

/// A question about what a system holds for one patient.
#[derive(Debug, Clone, Copy)]
pub enum Query<'a> {
    /// What the system says it can do (FHIR: its CapabilityStatement).
    Capabilities,
    PatientByIdentifier(&'a Identifier),
    /// Everyone born on a day: where identifiers were not carried, staff match on demographics.
    PatientsBornOn(Date),
    Coverage {
        patient_id: &'a str,
    },
    Appointments {
        patient_id: &'a str,
    },
    /// The last visit documented for the patient, with its diagnoses and services.
    Documentation {
        patient_id: &'a str,
    },
    Charges {
        patient_id: &'a str,
    },
    Claims {
        patient_id: &'a str,
    },
    /// What came back about the patient's claims from payers and clearinghouses (999, 277CA), and claim files
    /// that could not be read.
    ClaimNotices {
        patient_id: &'a str,
    },
    /// What the payer answered about the patient's claims (FHIR: ClaimResponse; X12: the 835).
    Remittance {
        patient_id: &'a str,
    },
}

/// A record with the identity and version the system gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub id: String,
    pub version: Option<String>,
    /// When the system last changed the record, as it reports it (FHIR `meta.lastUpdated`).
    pub last_updated: Option<String>,
    pub value: T,
}

/// The answer to a [`Query`], in the canonical model.
#[derive(Debug, Clone, PartialEq)]
pub enum Records {
    Capabilities(Capabilities),
    Patients(Vec<Versioned<Patient>>),
    Coverages(Vec<Versioned<Coverage>>),
    Appointments(Vec<Versioned<Appointment>>),
    Documentation(Option<Versioned<Encounter>>),
    Charges(Vec<Versioned<Charge>>),
    Claims(Vec<Versioned<Claim>>),
    ClaimNotices(Vec<ClaimNotice>),
    Remittances(Vec<Versioned<Remittance>>),
}

/// Something about the claim exchange that the harness must report, whatever the claim holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimNotice {
    /// A payer or clearinghouse refused the claim: `by` is the transaction that says so (`999`, `277CA`).
    Rejected { claim_id: String, by: &'static str, file: String, reason: String },
    /// A file in the exchange folders is not a transaction the harness can read; `reason` names the segment.
    Unreadable { file: String, reason: String },
}

#[async_trait]
pub trait Adapter: Send + Sync {
    /// Where the system is, for reports (never with credentials).
    fn endpoint(&self) -> String;
    async fn apply(&self, action: Action<'_>) -> Result<Applied, AdapterError>;
    async fn fetch(&self, query: Query<'_>) -> Result<Records, AdapterError>;
}
