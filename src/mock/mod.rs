//! Vendor simulators: real FHIR servers on loopback, one store or two joined by an interface that can be told to make the mistakes real interfaces make, and a transport that can be told to fail.

mod adjudication;
mod billing;
mod capability;
mod defects;
mod faults;
mod inbound;
mod interface;
mod listen;
mod payer;
mod search;
mod server;
mod simulator;
mod store;
mod submission;

pub use billing::{FEE_PER_UNIT, build_claim};
pub use capability::{OPERATIONS, RESOURCES};
pub use defects::Defects;
pub use faults::{FaultCount, FaultTally};
pub use payer::{Answers, DEFAULT_PAYER_ID, PayerDesk, Refused};
pub use simulator::{Extras, Purge, RunningSimulator, SimulatorError, start, start_with};
pub use store::{Change, Store, StoreError};
pub use submission::{Exchange, claim_interchange};
