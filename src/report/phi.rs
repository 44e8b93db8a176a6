//! Keeping protected health information out of reports about real systems: patient demographics and member ids
//! are replaced by `[redacted]` unless the user asks to see them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RunReport, TargetKind};

pub const REDACTED: &str = "[redacted]";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhiPolicy {
    /// Patient values in findings about real systems are replaced by `[redacted]`; simulated patients are shown.
    Redacted,
    /// Every value is shown, as the user asked (`--show-phi`).
    Shown,
}

/// Whether a finding's values identify a patient: demographics, identifiers, coverage, the claim's member id.
pub fn is_phi(record: &str, field: &str) -> bool {
    matches!(record, "patient" | "coverage") || field == "member_id"
}

impl RunReport {
    /// Redacts PHI in every finding about a real system; simulator targets hold only synthetic patients.
    pub fn redact_phi(&mut self) {
        self.phi = PhiPolicy::Redacted;
        for target in self.targets.iter_mut().filter(|t| t.kind == TargetKind::Systems) {
            // Every value redacted in a finding is also taken out of any text that quotes it, such as a step's message.
            let mut quoted: Vec<String> = Vec::new();
            for finding in target.findings.iter_mut().filter(|f| is_phi(&f.record, &f.field)) {
                for value in [&mut finding.expected, &mut finding.actual] {
                    if let Value::String(text) = value
                        && !text.is_empty()
                    {
                        quoted.push(std::mem::take(text));
                    }
                    if value.is_string() || value.is_number() {
                        *value = Value::String(REDACTED.into());
                    }
                }
            }
            // Longest first, so a value that contains another (a full name and its cut-off start) goes whole.
            quoted.sort_by_key(|q| std::cmp::Reverse(q.len()));
            quoted.dedup();
            let redact = |text: &mut String| {
                for q in &quoted {
                    if text.contains(q.as_str()) {
                        *text = text.replace(q.as_str(), REDACTED);
                    }
                }
            };
            target.findings.iter_mut().for_each(|f| redact(&mut f.message));
            target
                .flows
                .iter_mut()
                .flat_map(|f| f.steps.iter_mut())
                .filter_map(|s| s.message.as_mut())
                .for_each(redact);
        }
    }
}
