//! Seeded synthetic patients and visits, so scenarios can run over many realistic patients instead of one.
//!
//! Nothing here does I/O except [`IcdCodeSet::load`]; output depends only on the seed and the patient's index.

mod address;
mod age;
mod coverage;
mod diagnoses;
mod draw;
mod generator;
mod icd;
mod mbi;
mod names;
mod phone;
mod scenario;
#[cfg(test)]
mod tests;
mod visit;

pub use age::REFERENCE_DATE;
pub(crate) use draw::Draw;
pub use generator::{SynthError, SyntheticPatient, SyntheticPatients};
pub use icd::{IcdCodeSet, IcdError};
pub use mbi::{MbiClass, MbiError, is_valid_mbi, validate_mbi};
pub use visit::{GeneratedVisit, VisitKind};
