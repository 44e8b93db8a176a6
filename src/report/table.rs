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
    if report.phi == super::PhiPolicy::Shown && report.targets.iter().any(|t| t.kind == super::TargetKind::Systems) {
        out.push_str("Patient values are shown (--show-phi): handle this output as protected health information.\n");
    }
    if !report.rules_not_run.is_empty() {
        out.push_str(&format!(
            "Rule checks not run (import the CMS tables with `handoff rules import`): {}\n",
            report.rules_not_run.join(", ")
        ));
    }
    for target in &report.targets {
        out.push('\n');
        out.push_str(&findings(target));
    }
    if let Some(baseline) = &report.baseline {
        out.push('\n');
        out.push_str(&baseline.comparison.render(&baseline.file));
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
    let rows: [Row; 11] = [
        ("Sync gap % (↓ better)", |t| pct(t.scores.sync_gap_pct)),
        ("Handoff accuracy % (↑ better)", |t| pct(t.scores.handoff_accuracy_pct)),
        ("Duplicate entry % (↓ better)", |t| pct(t.scores.duplicate_entry_pct)),
        ("Clean claims % (↑ better)", |t| pct(t.scores.clean_claim_pct)),
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

/// Past this many, findings are counted by kind and field rather than listed; report.json keeps each one.
const MAX_LISTED: usize = 40;

fn grouped(target: &TargetReport) -> String {
    let mut groups: std::collections::BTreeMap<(String, String, String), (usize, usize)> = Default::default();
    for f in &target.findings {
        let what = format!(
            "{} {}",
            serde_json::to_value(f.category).ok().as_ref().map(shown).unwrap_or_default(),
            f.kind.as_str()
        );
        // `line[3].dx[2]` and `line[1].dx[2]` are the same kind of field for a summary.
        let field = format!("{}.{}", f.record, f.field)
            .split('.')
            .map(|part| part.split('[').next().unwrap_or(part))
            .collect::<Vec<_>>()
            .join(".");
        let entry = groups.entry((what, f.system.to_string(), field.trim_end_matches('.').to_string())).or_default();
        entry.0 += 1;
        entry.1 += usize::from(f.counts);
    }
    let mut rows: Vec<_> = groups.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let mut table = new_table();
    table.set_header(vec!["finding", "system", "field", "count"]);
    for ((what, system, field), (count, _)) in rows {
        table.add_row(vec![what, system, field, count.to_string()]);
    }
    format!(
        "{} — {} findings in {} flows, by kind (each one is in report.json)\n{table}\n",
        target.name,
        target.findings.len(),
        target.flows.len()
    )
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
    if target.findings.len() > MAX_LISTED {
        return grouped(target);
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
