//! The files users write: scenarios (what to do) and targets (whom to do it to), their JSON Schemas, and loading them with errors that point at the line.

mod diagnostic;
mod fault;
mod file_kind;
mod load;
mod located;
mod payer;
#[cfg(test)]
mod properties;
mod scenario_file;
mod step;
mod target_file;
mod within;

pub use diagnostic::InputError;
pub use fault::{Fault, FaultRole, Firing, HttpMethod, Nak, NakCode, RequestMatch, Throttle, Trigger};
pub use file_kind::{DocumentKind, detect_kind};
pub use load::{load_scenario, load_target, parse_scenario, parse_target, parse_yaml, read_file, yaml_options};
pub use located::Located;
pub use payer::{Payer, PayerDenial, parse_carc};
pub use scenario_file::Scenario;
pub use step::{
    BuildClaim, Document, ExpectCharges, ExpectClaim, ExpectRemittance, ExpectSynced, RecordKind, Register, Schedule,
    ServiceSpec, Step, UpdatePatient,
};
pub use target_file::{
    Auth, Carried, Defect, FhirSystem, Hl7v2System, Interface, JwtAlgorithm, Product, SecretSource, Simulator,
    SmartBackend, SystemSpec, Systems, Target, Topology, X12System,
};
pub use within::Within;
