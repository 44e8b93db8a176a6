//! handoff: drives EMR and practice-management systems through register-to-claim flows, diffs what each holds, and scores how well they work together.
//!
//! Data flows one way: scenario → engine → adapters → observations → diff → score → report.

pub mod cli;
pub mod connect;
pub mod diff;
pub mod engine;
pub mod exit;
pub mod mock;
pub mod model;
pub mod report;
pub mod scenario;
pub mod score;
