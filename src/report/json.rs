//! The JSON report: `report.json`, and `handoff run --format json` on stdout.

use super::RunReport;

pub fn render(report: &RunReport) -> String {
    // The report is plain data: serialising it cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RunReport)).unwrap_or_default()
}
