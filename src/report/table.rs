//! The terminal scorecard: targets side by side, then each target's findings.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{RunReport, TargetReport, shown};
use crate::score::LatencyStats;

/// Whether the scorecard may colour its cells: the CLI says yes only on a terminal and never with `NO_COLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Never,
    Always,
}

impl Colour {
    /// Colour for stdout as the user runs the command: a terminal, and `NO_COLOR` unset or empty (no-color.org).
    pub fn for_stdout() -> Colour {
        let asked_not = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if !asked_not && std::io::IsTerminal::is_terminal(&std::io::stdout()) { Colour::Always } else { Colour::Never }
    }
}

/// The scorecard and findings without colour, as files and pipes get them.
pub fn render(report: &RunReport) -> String {
    render_with(report, Colour::Never)
}

pub fn render_with(report: &RunReport, colour: Colour) -> String {
    let mut out = String::new();
    let seconds = report.duration_ms as f64 / 1000.0;
    out.push_str(&match (report.command(), &report.targets[..]) {
        ("reconcile", [exports]) => {
            format!("handoff reconcile {} — {} in {seconds:.1}s\n\n", report.run_id, exports.name)
        }
        _ => format!(
            "handoff run {} — {} scenario(s) × {} target(s) in {seconds:.1}s\n\n",
            report.run_id,
            report.scenarios.len(),
            report.targets.len(),
        ),
    });
    if let Some(incomplete) = &report.incomplete {
        out.push_str(&incomplete_notice(incomplete));
        out.push_str("\n\n");
    }
    out.push_str(&scorecard(report, colour).to_string());
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
        out.push_str(&findings(target, colour));
    }
    if let Some(baseline) = &report.baseline {
        out.push('\n');
        out.push_str(&baseline.comparison.render(&baseline.file));
    }
    out
}

/// What every format says first about a run that was stopped.
pub fn incomplete_notice(incomplete: &super::Incomplete) -> String {
    format!(
        "INCOMPLETE: {}; {} flow(s) did not finish (their steps say where they stopped), everything that finished is reported.",
        incomplete.reason, incomplete.unfinished_flows
    )
}

pub(super) fn new_table(colour: Colour) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(140);
    // comfy-table would decide by itself whether stdout is a terminal; the caller has already decided.
    match colour {
        Colour::Always => table.enforce_styling(),
        Colour::Never => table.force_no_tty(),
    };
    table
}

/// Green when a value is as good as it can be, red when it is not; none when nothing was measured.
fn judged(text: String, ideal: Option<bool>) -> Cell {
    let cell = Cell::new(text).set_alignment(CellAlignment::Right);
    match ideal {
        Some(true) => cell.fg(Color::Green),
        Some(false) => cell.fg(Color::Red),
        None => cell,
    }
}

fn pct(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

fn latency(stats: Option<&LatencyStats>) -> String {
    stats.map(|s| format!("{} / {} / {} ms", s.p50_ms, s.p95_ms, s.max_ms)).unwrap_or_else(|| "—".into())
}

fn scorecard(report: &RunReport, colour: Colour) -> Table {
    let mut table = new_table(colour);
    let mut header = vec![Cell::new("")];
    header.extend(report.targets.iter().map(|t| Cell::new(&t.name)));
    table.set_header(header);
    type Row = (&'static str, fn(&TargetReport) -> Cell);
    let rows: [Row; 14] = [
        ("Sync gap % (↓ better)", |t| judged(pct(t.scores.sync_gap_pct), t.scores.sync_gap_pct.map(|v| v == 0.0))),
        ("Handoff accuracy % (↑ better)", |t| {
            judged(pct(t.scores.handoff_accuracy_pct), t.scores.handoff_accuracy_pct.map(|v| v == 100.0))
        }),
        ("Duplicate entry % (↓ better)", |t| {
            judged(pct(t.scores.duplicate_entry_pct), t.scores.duplicate_entry_pct.map(|v| v == 0.0))
        }),
        ("Clean claims % (↑ better)", |t| {
            judged(pct(t.scores.clean_claim_pct), t.scores.clean_claim_pct.map(|v| v == 100.0))
        }),
        ("First-pass paid % (↑ better)", |t| {
            judged(pct(t.scores.first_pass_paid_pct), t.scores.first_pass_paid_pct.map(|v| v == 100.0))
        }),
        ("Denials predicted % (↑ better)", |t| {
            judged(pct(t.scores.denials_predicted_pct), t.scores.denials_predicted_pct.map(|v| v == 100.0))
        }),
        ("Paid / charged", |t| judged(paid_of_charged(t), None)),
        ("Topology (inferred)", |t| judged(t.topology.verdict.label().into(), None)),
        ("Patient sync p50 / p95 / max", |t| judged(latency(t.latency.get("patient")), None)),
        ("Charges to PM p50 / p95 / max", |t| judged(latency(t.latency.get("charge")), None)),
        ("Scenarios passed", |t| {
            let passed = t.flows.iter().filter(|f| f.passed).count();
            judged(format!("{passed} / {}", t.flows.len()), Some(passed == t.flows.len()))
        }),
        ("Findings", |t| {
            let counted = t.findings.iter().filter(|f| f.counts).count();
            judged(counted.to_string(), Some(counted == 0))
        }),
        ("Paid for twice ($/provider/mo)", |t| {
            judged(paid_twice(t), t.redundancy.known.then_some(t.redundancy.paid_twice.is_empty()))
        }),
        ("Offered by neither", |t| judged(missing(t), t.redundancy.known.then_some(t.redundancy.missing.is_empty()))),
    ];
    for (label, value) in rows {
        let mut row = vec![Cell::new(label)];
        row.extend(report.targets.iter().map(value));
        table.add_row(row);
    }
    // Only simulators plant faults; a run with none has no row for them.
    if report.targets.iter().any(|t| t.faults.is_some()) {
        let mut row = vec![Cell::new("Faults planted (simulator)")];
        row.extend(report.targets.iter().map(|t| match &t.faults {
            Some(f) => judged(f.summary(), Some(f.unaccounted == 0)),
            None => judged("—".into(), None),
        }));
        table.add_row(row);
    }
    table
}

/// What the payer paid against what was charged, in dollars and as a share.
fn paid_of_charged(t: &TargetReport) -> String {
    match t.scores.paid_of_charged_pct {
        None => "—".into(),
        Some(pct) => format!(
            "${:.2} / ${:.2} ({pct:.1}%)",
            t.tallies.paid_cents as f64 / 100.0,
            t.tallies.charged_cents as f64 / 100.0
        ),
    }
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

fn grouped(target: &TargetReport, colour: Colour) -> String {
    let mut groups: std::collections::BTreeMap<(String, String, String), (usize, usize)> = Default::default();
    for f in &target.findings {
        let what = format!("{} {}", f.category.as_str(), f.kind.as_str());
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
    let mut table = new_table(colour);
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

fn findings(target: &TargetReport, colour: Colour) -> String {
    if let Some(why) = &target.setup_error {
        return format!("{}: could not be set up: {why}\n", target.name);
    }
    if target.findings.is_empty() {
        return format!("{}: no findings\n", target.name);
    }
    if target.findings.len() > MAX_LISTED {
        return grouped(target, colour);
    }
    let mut table = new_table(colour);
    table.set_header(vec!["scenario", "step", "finding", "system", "field", "expected", "actual"]);
    for f in &target.findings {
        let field = match &f.hop {
            Some(hop) => format!("{}.{} (at {hop})", f.record, f.field),
            None if f.field.is_empty() => f.record.clone(),
            None => format!("{}.{}", f.record, f.field),
        };
        let what = format!("{} {}", f.category.as_str(), f.kind.as_str());
        let actual = if f.expected.is_null() && f.actual.is_null() { f.message.clone() } else { shown(&f.actual) };
        // Differences of form only are reported but agree: they are not painted as failures.
        let what = if f.counts { Cell::new(what).fg(Color::Red) } else { Cell::new(what).fg(Color::Yellow) };
        table.add_row(vec![
            Cell::new(&f.scenario),
            Cell::new(format!("{} {}", f.step, f.action)),
            what,
            Cell::new(f.system),
            Cell::new(field),
            Cell::new(shown(&f.expected)),
            Cell::new(actual),
        ]);
    }
    format!("{} — findings\n{table}\n", target.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{TargetOutcome, TargetSystems};

    fn quiet_target() -> RunReport {
        let outcome = TargetOutcome {
            name: "integrated-suite".into(),
            source: "mocks/integrated-suite.yaml".into(),
            kind: TargetSystems::Simulator,
            emr_endpoint: None,
            pm_endpoint: None,
            flows: Vec::new(),
            setup_error: None,
            capabilities: Default::default(),
            capability_errors: Vec::new(),
            faults: None,
            retried: 0,
        };
        let now = jiff::Timestamp::now();
        RunReport::new("run", now, now, Vec::new(), vec![outcome])
    }

    #[test]
    fn colour_only_when_the_caller_allows_it() {
        let report = quiet_target();
        let plain = render_with(&report, Colour::Never);
        assert!(!plain.contains('\u{1b}'), "{plain}");
        assert_eq!(plain, render(&report));
        let coloured = render_with(&report, Colour::Always);
        // The same table, painted: no finding and every scenario passed are green.
        assert!(coloured.contains("\u{1b}["), "{coloured}");
        assert_eq!(strip_ansi(&coloured), plain);
    }

    fn strip_ansi(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
