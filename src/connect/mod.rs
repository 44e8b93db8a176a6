//! Adapters: the one way the engine reaches a system, real or simulated. Each knows one wire format and nothing of scoring.

mod adapter;
mod connections;
mod error;
pub mod fhir;
pub mod hl7v2;
pub(crate) mod http;
pub mod system;
pub mod wire;
pub mod x12;

pub use adapter::{Action, Adapter, Applied, ClaimNotice, Query, Records, Versioned};
pub use error::AdapterError;
