//! The HTML report: one self-contained page (inline CSS, inline SVG charts, no script, no network request) for
//! people choosing or checking a vendor setup: scores, sync latency, findings by category, billing lineage,
//! topology, redundancy, and every finding with both of its values.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::{PhiPolicy, RunReport, TargetKind, TargetReport, shown};
use crate::diff::{Category, Finding};
use crate::engine::StepStatus;
use crate::score::LatencyStats;

/// Width of every chart, in SVG user units; the page scales it down on narrow screens.
const CHART_WIDTH: f64 = 1120.0;
/// Past this many findings a target's findings start folded, so the page opens on its charts.
const FOLD_FINDINGS_OVER: usize = 60;
/// Lineage rows drawn per target; the findings table below it lists every one.
const LINEAGE_ROWS: usize = 40;

pub fn render(report: &RunReport) -> String {
    let mut page = String::with_capacity(64 * 1024);
    page.push_str(HEAD_START);
    let _ = writeln!(page, "<title>handoff report {}</title>", esc(&report.run_id));
    let _ = writeln!(page, "<style>{CSS}</style>\n</head>\n<body>");
    header(&mut page, report);
    nav(&mut page, report);
    page.push_str("<main>\n");
    score_section(&mut page, report);
    latency_section(&mut page, report);
    category_section(&mut page, report);
    for (i, target) in report.targets.iter().enumerate() {
        target_section(&mut page, i, target);
    }
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// The Content-Security-Policy forbids every fetch, so even a value that slipped past escaping could not call out.
const HEAD_START: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--line:#d8dde6;--band:#f4f6f9;--bad:#c0392b;--good:#2f9e6e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
header{background:#1d2330;color:#fff;padding:18px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:#c9d1e0}
.notice{display:inline-block;margin-top:6px;padding:2px 10px;border-radius:4px;background:#3a4356;color:#fff}
.notice.phi{background:#9b2c20}
nav{padding:8px 32px;background:var(--band);border-bottom:1px solid var(--line)}
nav a{margin-right:16px;color:#2456a4;text-decoration:none}
main{padding:4px 32px 40px;max-width:1220px}
h2{font-size:19px;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
figure{margin:8px 0 4px}
figcaption{color:var(--muted);font-size:12.5px;margin-top:2px}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:inherit;font-size:12px;fill:var(--fg)}
svg text.muted{fill:var(--muted)}
svg text.head{font-weight:600}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600}
tbody th{background:none}
table.wide{width:100%}
td.nowrap{white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.msg{max-width:420px}
code{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12.5px;background:#eef1f5;padding:0 3px;border-radius:3px;overflow-wrap:break-word}
header code{background:#3a4356;color:#fff}
.none{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:600;margin-right:6px;background:#e6e9ef}
.badge.pass{background:#dff3e9;color:#1e6b4a}
.badge.fail{background:#fbe3e0;color:#9b2c20}
.muted{color:var(--muted)}
details{margin:6px 0}
summary{cursor:pointer;font-weight:600;margin:4px 0}
"#;

fn header(page: &mut String, report: &RunReport) {
    let _ = writeln!(page, "<header>\n<h1>handoff report</h1>");
    let _ = writeln!(
        page,
        "<p>run <code>{}</code> — {} scenario(s) × {} target(s), started {}, took {:.1} s</p>",
        esc(&report.run_id),
        report.scenarios.len(),
        report.targets.len(),
        esc(&readable_time(&report.started_at)),
        report.duration_ms as f64 / 1000.0
    );
    let real = report.targets.iter().any(|t| t.kind == TargetKind::Systems);
    let phi = match (real, report.phi) {
        (false, _) => "<span class=\"notice\">Every target is a simulator: its patients are synthetic.</span>",
        (true, PhiPolicy::Redacted) => {
            "<span class=\"notice\">Patient names, birth dates, member ids, addresses and phones from real systems \
             are redacted; <code>--show-phi</code> shows them.</span>"
        }
        (true, PhiPolicy::Shown) => {
            "<span class=\"notice phi\">Patient values from real systems are shown (--show-phi): \
             handle this page as protected health information.</span>"
        }
    };
    let _ = writeln!(page, "<p>{phi}</p>");
    if let Some(incomplete) = &report.incomplete {
        let _ = writeln!(
            page,
            "<p><span class=\"notice phi\">{}</span></p>",
            esc(&super::table::incomplete_notice(incomplete))
        );
    }
    if !report.rules_not_run.is_empty() {
        let _ = writeln!(
            page,
            "<p>Rule checks not run (import the CMS tables with <code>handoff rules import</code>): {}</p>",
            esc(&report.rules_not_run.join(", "))
        );
    }
    page.push_str("</header>\n");
}

/// `2026-11-27 06:02:33 UTC` for a person; a time that does not parse is shown as it is.
fn readable_time(timestamp: &str) -> String {
    timestamp
        .parse::<jiff::Timestamp>()
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| timestamp.to_string())
}

fn nav(page: &mut String, report: &RunReport) {
    page.push_str("<nav aria-label=\"sections\"><a href=\"#scores\">Scores</a><a href=\"#latency\">Sync latency</a>");
    page.push_str("<a href=\"#categories\">Findings by category</a>");
    for (i, t) in report.targets.iter().enumerate() {
        let _ = write!(page, "<a href=\"#target-{i}\">{}</a>", esc(&t.name));
    }
    page.push_str("</nav>\n");
}

/// One score as the charts and tables show it.
struct Metric {
    label: &'static str,
    better: &'static str,
    colour: &'static str,
    value: fn(&TargetReport) -> Option<f64>,
}

const METRICS: [Metric; 5] = [
    Metric { label: "Sync gap %", better: "↓", colour: "#d9822b", value: |t| t.scores.sync_gap_pct },
    Metric { label: "Handoff accuracy %", better: "↑", colour: "#2b7bb9", value: |t| t.scores.handoff_accuracy_pct },
    Metric { label: "Clean claims %", better: "↑", colour: "#2f9e6e", value: |t| t.scores.clean_claim_pct },
    Metric { label: "Duplicate entry %", better: "↓", colour: "#8e5bb5", value: |t| t.scores.duplicate_entry_pct },
    Metric { label: "First-pass paid %", better: "↑", colour: "#1f8a8a", value: |t| t.scores.first_pass_paid_pct },
];

fn score_section(page: &mut String, report: &RunReport) {
    page.push_str("<section id=\"scores\">\n<h2>Scores per target</h2>\n<figure>\n");
    let label_width = 210.0;
    let panel = (CHART_WIDTH - label_width) / METRICS.len() as f64;
    let track = panel - 70.0;
    let row = 28.0;
    let height = 40.0 + row * report.targets.len() as f64;
    let mut svg = Svg::new(height, "Scores per target", &score_summary(report));
    for (m, metric) in METRICS.iter().enumerate() {
        let x = label_width + m as f64 * panel;
        svg.text(x, 16.0, "start", "head", &format!("{} ({} better)", metric.label, metric.better));
        for (i, t) in report.targets.iter().enumerate() {
            let y = 30.0 + i as f64 * row;
            svg.rect(x, y, track, 16.0, "#eceff4");
            match (metric.value)(t) {
                Some(v) => {
                    svg.rect(x, y, track * v.clamp(0.0, 100.0) / 100.0, 16.0, metric.colour);
                    svg.text(x + track + 6.0, y + 12.5, "start", "", &format!("{v:.1}"));
                }
                None => svg.text(x + track + 6.0, y + 12.5, "start", "muted", "—"),
            }
        }
    }
    for (i, t) in report.targets.iter().enumerate() {
        svg.text(0.0, 30.0 + i as f64 * row + 12.5, "start", "head", &t.name);
    }
    page.push_str(&svg.finish());
    page.push_str(
        "<figcaption>Each bar is a percentage of 0–100; a dash means the run measured nothing to compute it from. \
         The same numbers are in the table below.</figcaption>\n</figure>\n",
    );
    page.push_str("<table class=\"wide\">\n<thead><tr><th scope=\"col\">target</th>");
    for metric in &METRICS {
        let _ = write!(page, "<th scope=\"col\" class=\"num\">{} {}</th>", metric.label, metric.better);
    }
    page.push_str(
        "<th scope=\"col\">topology</th><th scope=\"col\" class=\"num\">scenarios passed</th>\
         <th scope=\"col\" class=\"num\">findings</th><th scope=\"col\" class=\"num\">paid twice $/provider/mo</th>\
         </tr></thead>\n<tbody>\n",
    );
    for (i, t) in report.targets.iter().enumerate() {
        let _ = write!(page, "<tr><th scope=\"row\"><a href=\"#target-{i}\">{}</a></th>", esc(&t.name));
        for metric in &METRICS {
            let _ = write!(page, "<td class=\"num\">{}</td>", pct((metric.value)(t)));
        }
        let passed = t.flows.iter().filter(|f| f.passed).count();
        let paid_twice =
            if t.redundancy.known { format!("{:.0}", t.redundancy.monthly_paid_twice) } else { "—".into() };
        let _ = writeln!(
            page,
            "<td class=\"nowrap\">{}</td><td class=\"num\">{passed} / {}</td><td class=\"num\">{}</td><td class=\"num\">{paid_twice}</td></tr>",
            t.topology.verdict.label(),
            t.flows.len(),
            counted(t).count()
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

fn score_summary(report: &RunReport) -> String {
    report
        .targets
        .iter()
        .map(|t| {
            let values: Vec<String> = METRICS.iter().map(|m| format!("{} {}", m.label, pct((m.value)(t)))).collect();
            format!("{}: {}", t.name, values.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Record kinds in the order a flow meets them; any other kind follows, alphabetically.
fn record_kinds(report: &RunReport) -> Vec<String> {
    const FLOW_ORDER: [&str; 4] = ["patient", "coverage", "appointment", "charge"];
    let mut kinds: Vec<String> = report.targets.iter().flat_map(|t| t.latency.keys().cloned()).collect();
    kinds.sort_by_key(|k| (FLOW_ORDER.iter().position(|o| o == k).unwrap_or(FLOW_ORDER.len()), k.clone()));
    kinds.dedup();
    kinds
}

fn latency_section(page: &mut String, report: &RunReport) {
    page.push_str("<section id=\"latency\">\n<h2>Sync latency</h2>\n");
    let kinds = record_kinds(report);
    if kinds.is_empty() {
        page.push_str("<p>No record was seen to sync, so no latency was measured.</p>\n</section>\n");
        return;
    }
    let rows: Vec<(&str, &TargetReport, Option<&LatencyStats>)> =
        kinds.iter().flat_map(|k| report.targets.iter().map(move |t| (k.as_str(), t, t.latency.get(k)))).collect();
    let slowest = rows.iter().filter_map(|(_, _, s)| s.map(|s| s.max_ms)).max().unwrap_or(0);
    let scale_max = nice_ceiling(slowest.max(1) as f64);
    let (label_width, value_width, row, group_gap) = (230.0, 190.0, 22.0, 24.0);
    let plot = CHART_WIDTH - label_width - value_width;
    let x_of = |ms: u64| label_width + plot * (ms as f64 / scale_max).min(1.0);
    let height = 34.0 + rows.len() as f64 * row + kinds.len() as f64 * group_gap;
    let summary = rows
        .iter()
        .filter_map(|(k, t, s)| s.map(|s| format!("{k} to {}: {}", t.name, latency_text(s))))
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = Svg::new(height, "Sync latency per record kind and target: p50, p95 and slowest", &summary);
    let intervals = axis_intervals(scale_max);
    for tick in 0..=intervals {
        let ms = scale_max * f64::from(tick) / f64::from(intervals);
        let x = label_width + plot * f64::from(tick) / f64::from(intervals);
        svg.line(x, 20.0, x, height - 4.0, "#e3e7ee", 1.0);
        svg.text(x, 14.0, "middle", "muted", &format!("{ms:.0} ms"));
    }
    let mut y = 24.0;
    for kind in &kinds {
        y += group_gap;
        svg.text(0.0, y - 6.0, "start", "head", kind);
        for t in &report.targets {
            svg.text(16.0, y + 13.0, "start", "", &t.name);
            match t.latency.get(kind) {
                Some(s) => {
                    svg.rect(label_width, y + 3.0, x_of(s.p50_ms) - label_width, 12.0, "#2b7bb9");
                    svg.rect(x_of(s.p50_ms), y + 3.0, x_of(s.p95_ms) - x_of(s.p50_ms), 12.0, "#9cc3e4");
                    svg.line(x_of(s.p95_ms), y + 9.0, x_of(s.max_ms), y + 9.0, "#1d2330", 1.0);
                    svg.line(x_of(s.max_ms), y + 4.0, x_of(s.max_ms), y + 14.0, "#1d2330", 1.5);
                    svg.text(x_of(s.max_ms) + 8.0, y + 13.0, "start", "", &latency_text(s));
                }
                None => svg.text(label_width + 4.0, y + 13.0, "start", "muted", "not measured"),
            }
            y += row;
        }
    }
    let _ = write!(page, "<figure>\n{}", svg.finish());
    page.push_str(
        "<figcaption>From the write in one system to the record being readable in the other. Dark bar: median \
         (p50); light bar: up to p95; whisker: the slowest. Labels read p50 / p95 / max.</figcaption>\n</figure>\n",
    );
    page.push_str(
        "<details><summary>Latency as a table</summary>\n<table>\n<thead><tr><th scope=\"col\">record</th>\
         <th scope=\"col\">target</th><th scope=\"col\" class=\"num\">samples</th><th scope=\"col\" class=\"num\">p50 ms</th>\
         <th scope=\"col\" class=\"num\">p95 ms</th><th scope=\"col\" class=\"num\">max ms</th></tr></thead>\n<tbody>\n",
    );
    for (kind, t, stats) in rows.iter().filter_map(|(k, t, s)| Some((k, t, (*s)?))) {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(kind),
            esc(&t.name),
            stats.count,
            stats.p50_ms,
            stats.p95_ms,
            stats.max_ms
        );
    }
    page.push_str("</tbody>\n</table>\n</details>\n</section>\n");
}

fn latency_text(s: &LatencyStats) -> String {
    format!("{} / {} / {} ms", s.p50_ms, s.p95_ms, s.max_ms)
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v`, so axis ticks fall on round numbers.
fn nice_ceiling(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|c| *c >= v).unwrap_or(10.0 * magnitude)
}

/// How many equal steps divide an axis ending at a `nice_ceiling`, so each tick is round too: 5 for 1 and 5 × 10ⁿ
/// (steps of 0.2 and 1 × 10ⁿ), 4 for 2 × 10ⁿ (steps of 0.5 × 10ⁿ).
fn axis_intervals(nice_max: f64) -> u32 {
    let leading = nice_max / 10f64.powf(nice_max.log10().floor());
    if (leading - 2.0).abs() < 1e-9 { 4 } else { 5 }
}

const CATEGORY_COLOURS: [(Category, &str); 6] = [
    (Category::Sync, "#d9822b"),
    (Category::Handoff, "#c0392b"),
    (Category::Redundancy, "#8e5bb5"),
    (Category::Rule, "#b58900"),
    (Category::System, "#5b6475"),
    (Category::Payment, "#1f8a8a"),
];

fn category_section(page: &mut String, report: &RunReport) {
    page.push_str("<section id=\"categories\">\n<h2>Findings by category</h2>\n");
    let tallies: Vec<BTreeMap<Category, usize>> = report
        .targets
        .iter()
        .map(|t| {
            let mut by = BTreeMap::new();
            for f in counted(t) {
                *by.entry(f.category).or_insert(0) += 1;
            }
            by
        })
        .collect();
    let most = tallies.iter().map(|by| by.values().sum::<usize>()).max().unwrap_or(0).max(1);
    let (label_width, value_width, row) = (210.0, 420.0, 28.0);
    let plot = CHART_WIDTH - label_width - value_width;
    let height = 36.0 + row * report.targets.len() as f64;
    let summary = report
        .targets
        .iter()
        .zip(&tallies)
        .map(|(t, by)| format!("{}: {}", t.name, category_counts(by)))
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = Svg::new(height, "Counted findings per target, by category", &summary);
    let mut legend_x = label_width;
    for (category, colour) in CATEGORY_COLOURS {
        svg.rect(legend_x, 4.0, 12.0, 12.0, colour);
        svg.text(legend_x + 17.0, 14.5, "start", "", category.as_str());
        legend_x += 110.0;
    }
    for (i, (t, by)) in report.targets.iter().zip(&tallies).enumerate() {
        let y = 30.0 + i as f64 * row;
        svg.text(0.0, y + 12.5, "start", "head", &t.name);
        let mut x = label_width;
        for (category, colour) in CATEGORY_COLOURS {
            let n = by.get(&category).copied().unwrap_or(0);
            let w = plot * n as f64 / most as f64;
            svg.rect(x, y, w, 16.0, colour);
            x += w;
        }
        let label = if by.is_empty() { "none".to_string() } else { category_counts(by) };
        svg.text(x + 8.0, y + 12.5, "start", if by.is_empty() { "muted" } else { "" }, &label);
    }
    let _ = write!(page, "<figure>\n{}", svg.finish());
    page.push_str(
        "<figcaption>Findings that count against a score. Differences of form only (case, spacing, phone format) \
         are listed under each target but not counted here.</figcaption>\n</figure>\n</section>\n",
    );
}

fn category_counts(by: &BTreeMap<Category, usize>) -> String {
    let total: usize = by.values().sum();
    let parts: Vec<String> = by.iter().map(|(c, n)| format!("{} {n}", c.as_str())).collect();
    if parts.is_empty() { "none".into() } else { format!("{total}: {}", parts.join(", ")) }
}

fn target_section(page: &mut String, i: usize, t: &TargetReport) {
    let passed = t.flows.iter().filter(|f| f.passed).count();
    let _ = writeln!(page, "<section id=\"target-{i}\">\n<h2>{}</h2>", esc(&t.name));
    let state = if passed == t.flows.len() && t.setup_error.is_none() { "pass" } else { "fail" };
    let _ = writeln!(
        page,
        "<p><span class=\"badge {state}\">{passed} / {} scenarios passed</span><span class=\"badge\">{}</span>\
         <span class=\"badge\">{} findings</span></p>",
        t.flows.len(),
        t.topology.verdict.label(),
        counted(t).count()
    );
    let kind = match t.kind {
        TargetKind::Simulator => "simulator",
        TargetKind::Systems => "real systems",
    };
    let endpoint = |e: &Option<String>| e.as_deref().map(|e| format!("<code>{}</code>", esc(e)));
    let _ = writeln!(
        page,
        "<p class=\"muted\">{kind} from <code>{}</code>; EMR at {}, PM at {}</p>",
        esc(&t.source),
        endpoint(&t.endpoints.emr).unwrap_or_else(|| "—".into()),
        endpoint(&t.endpoints.pm).unwrap_or_else(|| "—".into())
    );
    if let Some(why) = &t.setup_error {
        let _ = writeln!(page, "<p><strong>Could not be set up:</strong> {}</p>\n</section>", esc(why));
        return;
    }
    let _ = writeln!(page, "<h3>Topology: {}</h3>\n<p>{}</p>", t.topology.verdict.label(), esc(&t.topology.evidence));
    if let Some(faults) = &t.faults {
        let _ = writeln!(page, "<h3>Faults the simulator planted</h3>\n<p>{}</p>", esc(&faults.summary()));
    }
    redundancy(page, t);
    lineage(page, t);
    flows(page, t);
    findings(page, t);
    page.push_str("</section>\n");
}

fn redundancy(page: &mut String, t: &TargetReport) {
    page.push_str("<h3>Redundancy</h3>\n");
    let r = &t.redundancy;
    if !r.known {
        page.push_str("<p>Neither system published its modules and the target declares none.</p>\n");
    } else if r.paid_twice.is_empty() {
        page.push_str("<p>No function is paid for twice.</p>\n");
    } else {
        page.push_str(
            "<table>\n<thead><tr><th scope=\"col\">function paid twice</th><th scope=\"col\">offered by</th>\
             <th scope=\"col\" class=\"num\">extra $/provider/mo</th></tr></thead>\n<tbody>\n",
        );
        for p in &r.paid_twice {
            let offers: Vec<String> = p
                .offers
                .iter()
                .map(|o| {
                    let price = o.monthly.map(|m| format!(" ${m:.0}")).unwrap_or_default();
                    format!("{} ({}){price}", esc(o.product.as_deref().unwrap_or("unnamed product")), o.role)
                })
                .collect();
            let extra = p.extra_monthly.map(|e| format!("{e:.0}")).unwrap_or_else(|| "unknown".into());
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{extra}</td></tr>",
                p.module.label(),
                offers.join("; ")
            );
        }
        let _ = writeln!(
            page,
            "</tbody>\n<tfoot><tr><th scope=\"row\" colspan=\"2\">paid twice per month</th>\
             <td class=\"num\">{:.0}</td></tr></tfoot>\n</table>",
            r.monthly_paid_twice
        );
    }
    if r.known {
        let missing: Vec<&str> = r.missing.iter().map(|m| m.label()).collect();
        let total = r.monthly_total.map(|m| format!("${m:.0} per provider per month")).unwrap_or("unknown".into());
        let _ = writeln!(
            page,
            "<p>Offered by neither product: {}. All modules together: {total}.</p>",
            if missing.is_empty() { "none".into() } else { missing.join(", ") }
        );
    }
    for e in &t.capability_errors {
        let _ = writeln!(page, "<p class=\"muted\">{}</p>", esc(e));
    }
}

/// The places a billing element passes on its way to the claim, in order.
const HOPS: [(&str, &str); 4] = [
    ("emr.documentation", "EMR chart"),
    ("pm.encounter", "PM encounter"),
    ("pm.charge", "PM charge"),
    ("pm.claim", "claim"),
];

/// The hops an element passes: service lines go through the PM's charges, diagnoses through its encounter, and
/// coverage elements are read from the claim alone.
fn path_of(field: &str) -> &'static [usize] {
    if field.starts_with("line[") {
        &[0, 2, 3]
    } else if field.starts_with("diagnosis[") {
        &[0, 1, 3]
    } else {
        &[0, 3]
    }
}

fn lineage(page: &mut String, t: &TargetReport) {
    page.push_str("<h3>Billing lineage: chart to claim</h3>\n");
    let tallies = &t.tallies;
    let traced: Vec<&Finding> =
        t.findings.iter().filter(|f| f.category == Category::Handoff && f.hop.is_some()).collect();
    let _ = writeln!(
        page,
        "<p>{} of {} documented billing elements (codes, modifiers, units, diagnosis pointers, place and date of \
         service, rendering NPI, diagnoses, member id, payer) reached the claim exactly.</p>",
        tallies.handoff_exact, tallies.handoff_elements
    );
    if traced.is_empty() {
        return;
    }
    let mut by_scenario: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in traced.iter().take(LINEAGE_ROWS) {
        match by_scenario.iter_mut().find(|(s, _)| *s == f.scenario) {
            Some((_, list)) => list.push(f),
            None => by_scenario.push((&f.scenario, vec![f])),
        }
    }
    let rows = traced.len().min(LINEAGE_ROWS);
    let (row, first_hop, hop_step) = (24.0, 300.0, 140.0);
    let height = 44.0 + row * (rows + by_scenario.len()) as f64;
    let summary = traced
        .iter()
        .take(LINEAGE_ROWS)
        .map(|f| format!("{} {}: {}", f.scenario, f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = Svg::new(height, "Where each billing element that did not reach the claim changed", &summary);
    for (h, (code, label)) in HOPS.iter().enumerate() {
        let x = first_hop + h as f64 * hop_step;
        svg.text(x, 14.0, "middle", "head", label);
        svg.text(x, 28.0, "middle", "muted", code);
    }
    let mut y = 36.0;
    for (scenario, list) in &by_scenario {
        y += row;
        svg.text(0.0, y - 4.0, "start", "head", scenario);
        for f in list {
            y += row;
            let mid = y - 8.0;
            svg.text(16.0, mid + 4.0, "start", "", &f.field);
            let changed_at = HOPS.iter().position(|(code, _)| Some(*code) == f.hop.as_deref()).unwrap_or(3);
            let path = path_of(&f.field);
            let xs: Vec<f64> = path.iter().map(|&h| first_hop + h as f64 * hop_step).collect();
            if let (Some(first), Some(last)) = (xs.first(), xs.last()) {
                svg.line(*first, mid, *last, mid, "#b9c0cc", 2.0);
            }
            for (h, x) in (0..HOPS.len()).map(|h| (h, first_hop + h as f64 * hop_step)) {
                let (fill, radius) = if !path.contains(&h) {
                    ("#ffffff", 3.0)
                } else if h < changed_at {
                    ("#2f9e6e", 7.0)
                } else if h == changed_at {
                    ("#c0392b", 7.0)
                } else {
                    ("#f1b0a8", 7.0)
                };
                svg.circle(x, mid, radius, fill);
            }
            let what = format!(
                "{} → {} ({} at {})",
                clip(&shown(&f.expected)),
                clip(&shown(&f.actual)),
                f.kind.as_str(),
                HOPS[changed_at].0
            );
            svg.text(first_hop + 3.0 * hop_step + 24.0, mid + 4.0, "start", "", &what);
        }
    }
    let _ = write!(page, "<figure>\n{}", svg.finish());
    let more = traced.len().saturating_sub(LINEAGE_ROWS);
    let more = if more > 0 { format!(" {more} more are in the findings below.") } else { String::new() };
    let _ = writeln!(
        page,
        "<figcaption>Green: the documented value; red: the first place it changed or went missing; pale red: \
         after that. A small hollow dot is a place the element does not pass.{more}</figcaption>\n</figure>"
    );
}

fn flows(page: &mut String, t: &TargetReport) {
    let failed = t.flows.iter().filter(|f| !f.passed).count();
    let _ = writeln!(
        page,
        "<details{}><summary>Scenarios: {} passed, {failed} failed</summary>\n<table>\n<thead><tr>\
         <th scope=\"col\">scenario</th><th scope=\"col\">result</th><th scope=\"col\">steps that did not pass</th>\
         </tr></thead>\n<tbody>",
        if t.flows.len() <= FOLD_FINDINGS_OVER { " open" } else { "" },
        t.flows.len() - failed
    );
    for flow in &t.flows {
        let not_passed: Vec<String> = flow
            .steps
            .iter()
            .filter(|s| s.status != StepStatus::Passed)
            .map(|s| {
                let status = serde_json::to_value(s.status).ok().and_then(|v| v.as_str().map(str::to_string));
                let message = s.message.as_deref().map(|m| format!(": {}", esc(m))).unwrap_or_default();
                format!("step {} {} {}{message}", s.step, esc(&s.action), status.unwrap_or_default())
            })
            .collect();
        let (class, result) = if flow.passed { ("pass", "passed") } else { ("fail", "failed") };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td><span class=\"badge {class}\">{result}</span></td><td>{}</td></tr>",
            esc(&flow.scenario),
            not_passed.join("<br>")
        );
    }
    page.push_str("</tbody>\n</table>\n</details>\n");
}

fn findings(page: &mut String, t: &TargetReport) {
    let total = t.findings.len();
    let counted_n = counted(t).count();
    let _ = writeln!(page, "<h3>Findings ({counted_n} counted, {} of form only)</h3>", total - counted_n);
    if total == 0 {
        page.push_str("<p>None: everything expected arrived, and arrived the same.</p>\n");
        return;
    }
    for (category, _) in CATEGORY_COLOURS {
        let list: Vec<&Finding> = t.findings.iter().filter(|f| f.category == category).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            page,
            "<details{}><summary>{} ({})</summary>\n<table class=\"wide\">\n<thead><tr><th scope=\"col\">scenario</th>\
             <th scope=\"col\">step</th><th scope=\"col\">kind</th><th scope=\"col\">system</th>\
             <th scope=\"col\">field</th><th scope=\"col\">expected</th><th scope=\"col\">actual</th>\
             <th scope=\"col\">what happened</th></tr></thead>\n<tbody>",
            if total <= FOLD_FINDINGS_OVER { " open" } else { "" },
            category.as_str(),
            list.len()
        );
        for f in list {
            let field = if f.field.is_empty() { f.record.clone() } else { format!("{}.{}", f.record, f.field) };
            let hop = f.hop.as_deref().map(|h| format!("<br><span class=\"muted\">at {}</span>", esc(h)));
            let kind = if f.counts { esc(f.kind.as_str()) } else { format!("{} (not counted)", esc(f.kind.as_str())) };
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{} {}</td><td>{kind}</td><td>{}</td><td><code>{}</code>{}</td>\
                 <td>{}</td><td>{}</td><td class=\"msg\">{}</td></tr>",
                esc(&f.scenario),
                f.step,
                esc(&f.action),
                f.system,
                esc(&field),
                hop.unwrap_or_default(),
                value_cell(&f.expected),
                value_cell(&f.actual),
                esc(&f.message)
            );
        }
        page.push_str("</tbody>\n</table>\n</details>\n");
    }
}

fn counted(t: &TargetReport) -> impl Iterator<Item = &Finding> {
    t.findings.iter().filter(|f| f.counts)
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

/// A value short enough for a chart label; the findings table holds it whole.
fn clip(text: &str) -> String {
    const LONGEST: usize = 32;
    if text.chars().count() <= LONGEST {
        return text.to_string();
    }
    let head: String = text.chars().take(LONGEST - 1).collect();
    format!("{head}…")
}

fn value_cell(v: &Value) -> String {
    match v {
        Value::Null => "<span class=\"none\">nothing</span>".into(),
        other => format!("<code>{}</code>", esc(&shown(other))),
    }
}

/// Text for HTML and SVG, element content or attribute value: vendor systems choose these strings, not us.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An inline SVG chart CHART_WIDTH wide, titled for screen readers; every method escapes its text.
struct Svg {
    body: String,
}

impl Svg {
    fn new(height: f64, title: &str, description: &str) -> Svg {
        let mut body = String::new();
        let _ = writeln!(
            body,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {CHART_WIDTH} {height:.0}\" width=\"{CHART_WIDTH}\" \
             height=\"{height:.0}\" role=\"img\">\n<title>{}</title>\n<desc>{}</desc>",
            esc(title),
            esc(description)
        );
        Svg { body }
    }

    fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str) {
        if width > 0.0 {
            let _ = writeln!(
                self.body,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{fill}\"/>"
            );
        }
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>"
        );
    }

    fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r}\" fill=\"{fill}\" stroke=\"#7d8696\" stroke-width=\"1\"/>"
        );
    }

    fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, content: &str) {
        let class = if class.is_empty() { String::new() } else { format!(" class=\"{class}\"") };
        let _ = writeln!(
            self.body,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\"{class}>{}</text>",
            esc(content)
        );
    }

    fn finish(mut self) -> String {
        self.body.push_str("</svg>\n");
        self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::two_targets;

    #[test]
    fn vendor_values_are_escaped_and_never_become_markup() {
        let html = render(&two_targets());
        assert!(!html.contains("<script"), "a value became a script element");
        assert!(!html.contains("<img"), "a value became an image element");
        assert!(html.contains("&lt;img src=&quot;https://tracker.example/x.png&quot;&gt;"));
        assert!(html.contains("holds &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<h2>pair &lt;b&gt;&amp;&lt;/b&gt; co</h2>"));
        assert!(html.contains("ChartWise &lt;EMR&gt; (emr) $40"));
    }

    #[test]
    fn every_finding_is_listed_with_both_values() {
        let html = render(&two_targets());
        assert!(html.contains("<td><code>O&#39;Connor-Whitfield</code></td><td><code>O&#39;Connor-W</code></td>"));
        assert!(html.contains("<td><code>25</code></td><td><span class=\"none\">nothing</span></td>"));
        assert!(html.contains("<td>truncated</td>"));
        assert!(html.contains("<td>format_only (not counted)</td>"));
        assert!(html.contains("<h3>Findings (4 counted, 1 of form only)</h3>"));
    }

    #[test]
    fn charts_carry_text_alternatives() {
        let html = render(&two_targets());
        assert_eq!(html.matches("<svg ").count(), 4, "scores, latency, categories, one target's lineage");
        assert_eq!(html.matches("<title>").count(), 5, "the page and each chart");
        assert!(html.contains(
            "<desc>integrated-suite: Sync gap % 0.0, Handoff accuracy % 100.0, Clean claims % 100.0, Duplicate entry % 0.0, \
             First-pass paid % —; pair &lt;b&gt;&amp;&lt;/b&gt; co: Sync gap % 5.0, Handoff accuracy % 96.8, Clean claims % —, \
             Duplicate entry % 25.0, First-pass paid % —</desc>"
        ));
        assert!(html.contains("<desc>patient to integrated-suite: 3 / 9 / 9 ms; patient to pair"));
    }

    #[test]
    fn lineage_marks_where_each_element_changed() {
        let html = render(&two_targets());
        assert!(html.contains("30 of 31 documented billing elements"));
        assert!(html.contains(">25 → — (dropped at pm.charge)</text>"));
        assert!(html.contains(">E11.65 → &lt;img src=&quot;https://tracker.examp… (changed at pm.encounter)</text>"));
    }

    #[test]
    fn phi_notice_follows_the_policy_for_real_systems() {
        let mut report = two_targets();
        assert!(render(&report).contains("handle this page as protected health information"));
        report.redact_phi();
        assert!(render(&report).contains("from real systems are redacted"));
        report.targets.retain(|t| t.kind == TargetKind::Simulator);
        assert!(render(&report).contains("Every target is a simulator"));
    }

    #[test]
    fn times_are_shown_to_the_second() {
        assert_eq!(readable_time("2026-11-27T06:02:33.610008853Z"), "2026-11-27 06:02:33 UTC");
        assert_eq!(readable_time("[time]"), "[time]");
    }

    #[test]
    fn axis_ends_on_a_round_number() {
        assert_eq!(nice_ceiling(3088.0), 5000.0);
        assert_eq!(nice_ceiling(1200.0), 2000.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(axis_intervals(5000.0), 5);
        assert_eq!(axis_intervals(2000.0), 4);
        assert_eq!(axis_intervals(100.0), 5);
    }

    #[test]
    fn page_snapshot() {
        insta::assert_snapshot!(render(&two_targets()));
    }
}
