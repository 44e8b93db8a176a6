//! handoff: drives EMR and practice-management systems through register-to-claim flows, diffs what each holds, and scores how well they work together.
//!
//! Data flows one way: scenario → engine → adapters → observations → diff → score → report.

// Errors here are diagnostics and HTTP responses on cold paths; boxing each one would buy nothing measurable.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod connect;
pub mod diff;
pub mod engine;
pub mod exit;
pub mod mock;
pub mod model;
pub mod reconcile;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod score;
pub mod synth;
