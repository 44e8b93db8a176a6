//! Offline reconciliation of patient exports: an EMR's and a PM's CSV exports matched patient by patient and
//! compared field by field, with the findings, scores and reports of a live run; and the generator of paired
//! exports with planted discrepancies and their ground truth that tests it; `billing` does the same for the EMR's
//! documented encounters, the PM's claims and the payer's remittances. No I/O beyond the readers it is given, but
//! for the look at a file's first bytes that tells a billing export from a patient export.

pub mod batch;
pub mod billing;
pub mod blocks;
pub mod columns;
pub mod compared;
pub mod csv;
pub mod duplicates;
pub mod export;
#[cfg(test)]
mod fixtures;
pub mod hl7log;
pub mod index;
pub mod matching;
pub mod ndjson;
pub mod parallel;
pub mod plant;
pub mod reconciler;
pub mod record;
pub mod x12;

pub use blocks::Reopen;
pub use columns::{COLUMNS, Column, ColumnMap, Layout};
pub use export::{CsvExport, Fields, InputProblem, PatientExport, Source};
pub use plant::{Discrepancy, Planted, Planter};
pub use reconciler::{Reconciliation, Summary, reconcile};
