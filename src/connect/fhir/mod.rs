//! FHIR R4 over HTTP: the mapping between the canonical model and FHIR JSON, and the adapter that speaks it.

pub mod auth;
mod body;
pub mod capability;
pub mod claim_response;
mod client;
pub(crate) mod lenient;
pub(crate) mod read;
pub mod resources;

pub use client::{Connection, FhirAdapter, RetryCount};

/// The media type FHIR R4 JSON travels as.
pub const FHIR_JSON: &str = "application/fhir+json";
