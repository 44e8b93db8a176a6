//! A short Markdown summary, fit for a pull-request comment or a CI step summary.

use std::fmt::Write;

use super::RunReport;

/// At most this many findings are listed per target; the rest are counted.
const LISTED: usize = 10;

pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let pct = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into());
    let _ = writeln!(out, "## handoff: {} scenario(s) × {} target(s)\n", report.scenarios.len(), report.targets.len());
    if let Some(incomplete) = &report.incomplete {
        let _ = writeln!(out, "> **{}**\n", super::table::incomplete_notice(incomplete));
    }
    let _ = writeln!(
        out,
        "| target | sync gap % ↓ | handoff accuracy % ↑ | duplicate entry % ↓ | clean claims % ↑ | first-pass paid % ↑ | \
         denials predicted % ↑ | topology | scenarios passed |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|---:|");
    for t in &report.targets {
        let passed = t.flows.iter().filter(|f| f.passed).count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {passed} / {} |",
            t.name,
            pct(t.scores.sync_gap_pct),
            pct(t.scores.handoff_accuracy_pct),
            pct(t.scores.duplicate_entry_pct),
            pct(t.scores.clean_claim_pct),
            pct(t.scores.first_pass_paid_pct),
            pct(t.scores.denials_predicted_pct),
            t.topology.verdict.label(),
            t.flows.len()
        );
    }
    if let Some(baseline) = &report.baseline {
        let c = &baseline.comparison;
        let verdict = if c.got_worse() {
            format!("**{} regression(s)**", c.regressions.len())
        } else {
            "nothing got worse".into()
        };
        let _ = writeln!(
            out,
            "\nAgainst the baseline `{}`: {verdict}, {} improvement(s).",
            baseline.file,
            c.improvements.len()
        );
        for r in c.regressions.iter().take(LISTED) {
            let _ = writeln!(out, "- worse: **{}** {}", r.target, r.what.replace('\n', " "));
        }
        if c.regressions.len() > LISTED {
            let _ = writeln!(out, "- … and {} more in report.json", c.regressions.len() - LISTED);
        }
    }
    for t in &report.targets {
        let counted: Vec<_> = t.findings.iter().filter(|f| f.counts).collect();
        if let Some(why) = &t.setup_error {
            let _ = writeln!(out, "\n**{}** could not be set up: {why}", t.name);
            continue;
        }
        if counted.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n<details><summary><b>{}</b>: {} finding(s)</summary>\n", t.name, counted.len());
        for f in counted.iter().take(LISTED) {
            let _ =
                writeln!(out, "- `{}` step {} ({}): {}", f.scenario, f.step, f.action, f.message.replace('\n', " "));
        }
        if counted.len() > LISTED {
            let _ = writeln!(out, "- … and {} more in report.json", counted.len() - LISTED);
        }
        let _ = writeln!(out, "\n</details>");
    }
    for t in report.targets.iter().filter(|t| t.faults.is_some()) {
        let summary = t.faults.as_ref().map(|f| f.summary()).unwrap_or_default();
        let _ = writeln!(out, "\n**{}** faults planted by the simulator: {summary}", t.name);
    }
    if !report.rules_not_run.is_empty() {
        let _ = writeln!(out, "\nRule checks not run (no CMS tables imported): {}", report.rules_not_run.join(", "));
    }
    out
}
