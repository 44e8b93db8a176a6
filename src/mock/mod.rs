//! Vendor simulators: real FHIR servers on loopback, one store or two joined by an interface that can be told to make the mistakes real interfaces make.

mod billing;
mod capability;
mod defects;
mod interface;
mod search;
mod server;
mod simulator;
mod store;

pub use billing::build_claim;
pub use defects::Defects;
pub use simulator::{RunningSimulator, SimulatorError, start};
pub use store::{Change, Store, StoreError};
