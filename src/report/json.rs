//! The JSON report: `report.json`, and `handoff run --format json` on stdout.

use super::RunReport;

pub fn render(report: &RunReport) -> String {
    // The report is plain data: serialising it cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// [`render`], written as it is serialised: a run of 10,000 flows never holds its report as one string.
pub fn write(report: &RunReport, out: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(out, report).map_err(std::io::Error::other)
}

pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RunReport)).unwrap_or_default()
}
