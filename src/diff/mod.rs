//! Comparing what systems hold: normalisers, field-by-field record comparison, and the lineage of each billing element from chart to claim and on to the payer's answer. No I/O.

mod compare;
mod finding;
mod lineage;
mod normalise;
mod remittance;

pub use compare::{
    Comparison, FieldDiff, classify, compare_appointment, compare_coverage, compare_coverages, compare_patient, exact,
    patient_fields, postal,
};
pub use finding::{Category, Denial, Finding, FindingKind, RuleEvidence};
pub use lineage::{ElementTrace, Hop, HopRecords, Lineage, trace};
pub use normalise::{address_line, phone, text};
pub use remittance::{ServiceOutcome, trace_to_remittance};
