//! Reports: one run model built from the engine's outcomes, and one module per format. Reporters read a finished run; they never call a system.

pub mod artifacts;
pub mod baseline;
mod faults;
#[cfg(test)]
mod fixtures;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
mod phi;
mod run_report;
pub mod table;
pub mod test_report;
pub mod vendor_comparison;

pub use faults::{FaultFired, FaultReport};
pub use phi::{PhiPolicy, REDACTED, is_phi};
pub use run_report::{
    BaselineComparison, Endpoints, FlowReport, Incomplete, REPORT_VERSION, RunReport, TargetKind, TargetReport,
};

/// A finding's value as a person reads it: text as it is, nothing as a dash, anything else as JSON.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
