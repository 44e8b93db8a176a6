//! The terminal scorecard: targets side by side, then each target's findings.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde_json::Value;

use super::{RunReport, TargetReport};
use crate::score::{LatencyStats, TopologyVerdict};

pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "handoff run {} — {} scenario(s) × {} target(s) in {:.1}s\n\n",
        report.run_id,
        report.scenarios.len(),
        report.targets.len(),
        report.duration_ms as f64 / 1000.0
    ));
    out.push_str(&scorecard(report).to_string());
    out.push('\n');
    for target in &report.targets {
        out.push('\n');
        out.push_str(&findings(target));
    }
    out
}

fn new_table() -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(140);
    table
}

fn pct(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

fn latency(stats: Option<&LatencyStats>) -> String {
    stats.map(|s| format!("{} / {} / {} ms", s.p50_ms, s.p95_ms, s.max_ms)).unwrap_or_else(|| "—".into())
}

fn verdict(v: TopologyVerdict) -> &'static str {
    match v {
        TopologyVerdict::SharedRecord => "shared record",
        TopologyVerdict::Interfaced => "interfaced",
        TopologyVerdict::BatchSynced => "batch-synced",
        TopologyVerdict::Unknown => "unknown",
    }
}

fn scorecard(report: &RunReport) -> Table {
    let mut table = new_table();
    let mut header = vec![Cell::new("")];
    header.extend(report.targets.iter().map(|t| Cell::new(&t.name)));
    table.set_header(header);
    type Row = (&'static str, fn(&TargetReport) -> String);
    let rows: [Row; 10] = [
        ("Sync gap % (↓ better)", |t| pct(t.scores.sync_gap_pct)),
        ("Handoff accuracy % (↑ better)", |t| pct(t.scores.handoff_accuracy_pct)),
        ("Duplicate entry % (↓ better)", |t| pct(t.scores.duplicate_entry_pct)),
        ("Topology (inferred)", |t| verdict(t.topology.verdict).into()),
        ("Patient sync p50 / p95 / max", |t| latency(t.latency.get("patient"))),
        ("Charges to PM p50 / p95 / max", |t| latency(t.latency.get("charge"))),
        ("Scenarios passed", |t| format!("{} / {}", t.flows.iter().filter(|f| f.passed).count(), t.flows.len())),
        ("Findings", |t| t.findings.iter().filter(|f| f.counts).count().to_string()),
        ("Paid for twice ($/provider/mo)", paid_twice),
        ("Offered by neither", missing),
    ];
    for (label, value) in rows {
        let mut row = vec![Cell::new(label)];
        row.extend(report.targets.iter().map(|t| Cell::new(value(t)).set_alignment(CellAlignment::Right)));
        table.add_row(row);
    }
    table
}

fn paid_twice(t: &TargetReport) -> String {
    let r = &t.redundancy;
    if !r.known {
        return "unknown".into();
    }
    if r.paid_twice.is_empty() {
        return "none".into();
    }
    let names: Vec<&str> = r.paid_twice.iter().map(|p| p.module.label()).collect();
    format!("{} — ${:.0}", names.join(", "), r.monthly_paid_twice)
}

fn missing(t: &TargetReport) -> String {
    let r = &t.redundancy;
    match (r.known, r.missing.is_empty()) {
        (false, _) => "unknown".into(),
        (true, true) => "none".into(),
        (true, false) => r.missing.iter().map(|m| m.label()).collect::<Vec<_>>().join(", "),
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn findings(target: &TargetReport) -> String {
    if let Some(why) = &target.setup_error {
        return format!("{}: could not be set up: {why}\n", target.name);
    }
    if target.findings.is_empty() {
        return format!("{}: no findings\n", target.name);
    }
    let mut table = new_table();
    table.set_header(vec!["scenario", "step", "finding", "system", "field", "expected", "actual"]);
    for f in &target.findings {
        let field = match &f.hop {
            Some(hop) => format!("{}.{} (at {hop})", f.record, f.field),
            None if f.field.is_empty() => f.record.clone(),
            None => format!("{}.{}", f.record, f.field),
        };
        let what = format!(
            "{} {}",
            serde_json::to_value(f.category).ok().as_ref().map(shown).unwrap_or_default(),
            f.kind.as_str()
        );
        let actual = if f.expected.is_null() && f.actual.is_null() { f.message.clone() } else { shown(&f.actual) };
        table.add_row(vec![
            f.scenario.clone(),
            format!("{} {}", f.step, f.action),
            what,
            f.system.to_string(),
            field,
            shown(&f.expected),
            actual,
        ]);
    }
    format!("{} — findings\n{table}\n", target.name)
}
