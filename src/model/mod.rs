//! Canonical records every system is read into, whatever its wire format, so that diff and score compare like with like.

mod appointment;
mod capabilities;
mod charge;
mod claim;
mod coverage;
mod date;
mod encounter;
#[cfg(test)]
pub mod fixtures;
mod module;
mod patient;
mod remittance;
mod role;
#[cfg(test)]
pub mod strategies;

pub use appointment::Appointment;
pub use capabilities::Capabilities;
pub use charge::Charge;
pub use claim::{Claim, ClaimLine};
pub use coverage::{Coverage, Relationship};
pub use date::{Date, DateTime};
pub use encounter::{Diagnosis, Encounter, ServiceLine};
pub use module::Module;
pub use patient::{Address, HumanName, Identifier, Patient, Sex};
pub use remittance::{Adjudication, Adjustment, ClaimDecision, Remittance};
pub use role::Role;
