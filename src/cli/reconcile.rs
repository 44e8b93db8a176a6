//! `handoff reconcile`: an EMR's and a PM's patient exports reconciled offline, reported as a run with one target
//! (the pair of exports) and one flow, so the scorecard, JSON, JUnit, Markdown and HTML reports all read it.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use super::Format;
use super::sources::{SourceFormat, open_side};
use crate::engine::{FlowOutcome, StepResult, StepStatus, TargetOutcome, TargetSystems};
use crate::exit;
use crate::reconcile::{ColumnMap, reconcile as reconcile_exports};
use crate::report::{REDACTED, RunReport, html, json, junit, markdown, table};

/// The scorecard lists this many findings; the rest are in report.json and `--format json`.
const TABLE_FINDINGS: usize = 50;

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// The EMR's patient sources: CSV with a header row, FHIR Bulk Data NDJSON (Patient and Coverage), an HL7 v2
    /// message log, or X12 837P claims; a folder stands for every export in it.
    #[arg(long, required = true, num_args = 1..)]
    pub emr: Vec<PathBuf>,
    /// The PM's patient sources, in the same formats.
    #[arg(long, required = true, num_args = 1..)]
    pub pm: Vec<PathBuf>,
    /// Read every EMR source in this format, whatever its name or first bytes say.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emr_format: Option<SourceFormat>,
    /// Read every PM source in this format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub pm_format: Option<SourceFormat>,
    /// Which headers hold which columns, for CSV exports whose headers are not `handoff generate`'s, and which
    /// identifier systems (NDJSON) or assigning authorities (HL7) hold the own id and cross-reference
    /// (`handoff schema map`).
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Where to write report.json, report.md, junit.xml and report.html.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Show patient values in findings, which are otherwise redacted.
    #[arg(long)]
    pub show_phi: bool,
}

pub fn reconcile(args: &ReconcileArgs) -> u8 {
    let map = match args.map.as_deref().map(load_map).transpose() {
        Ok(map) => map.unwrap_or_default(),
        Err(why) => {
            eprintln!("{why}");
            return exit::BAD_INPUT;
        }
    };
    let sides = (open_side(&args.emr, args.emr_format, &map.emr), open_side(&args.pm, args.pm_format, &map.pm));
    let (emr, pm) = match sides {
        (Ok(emr), Ok(pm)) => (emr, pm),
        (Err(why), _) | (_, Err(why)) => {
            eprintln!("{why}");
            return exit::BAD_INPUT;
        }
    };
    let started = jiff::Timestamp::now();
    let clock = std::time::Instant::now();
    let bar = progress_bar();
    let result = reconcile_exports(emr, pm, &mut |rows| bar.set_position(rows));
    bar.finish_and_clear();
    let reconciled = match result {
        Ok(r) => r,
        Err(problem) => {
            eprintln!("{problem}");
            return exit::BAD_INPUT;
        }
    };
    let summary = reconciled.summary.render();
    eprintln!("{summary}");
    let failed = reconciled.findings.iter().any(|f| f.counts);
    let files = |paths: &[PathBuf]| paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let names = |paths: &[PathBuf]| {
        paths.iter().map(|p| p.file_name().unwrap_or(p.as_os_str()).to_string_lossy()).collect::<Vec<_>>().join("+")
    };
    let outcome = TargetOutcome {
        name: format!("{} ⇄ {}", names(&args.emr), names(&args.pm)),
        source: "handoff reconcile".into(),
        // Exports are real patients unless the user says otherwise: their values are PHI.
        kind: TargetSystems::Real,
        emr_endpoint: Some(files(&args.emr)),
        pm_endpoint: Some(files(&args.pm)),
        flows: vec![FlowOutcome {
            scenario: "reconcile".into(),
            steps: vec![StepResult {
                step: 1,
                action: "reconcile".into(),
                status: if failed { StepStatus::Failed } else { StepStatus::Passed },
                message: Some(summary),
                elapsed_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            }],
            findings: reconciled.findings,
            tallies: reconciled.tallies,
            ..FlowOutcome::default()
        }],
        setup_error: None,
        capabilities: BTreeMap::new(),
        capability_errors: Vec::new(),
        faults: None,
        retried: 0,
    };
    let run_id = format!("reconcile-{}", started.strftime("%Y%m%dT%H%M%SZ"));
    let mut report = RunReport::new(&run_id, started, jiff::Timestamp::now(), vec!["reconcile".into()], vec![outcome]);
    if !args.show_phi {
        redact_own_values(&mut report);
        report.redact_phi();
    }
    let rendered_json = json::render(&report);
    match args.format {
        Format::Json => out!("{rendered_json}"),
        Format::Table => out!("{}", scorecard(&report)),
    }
    if let Some(dir) = &args.out {
        let files = [
            ("report.json", rendered_json),
            ("junit.xml", junit::render(&report)),
            ("report.md", markdown::render(&report)),
            ("report.html", html::render(&report)),
        ];
        let written = std::fs::create_dir_all(dir)
            .and_then(|_| files.iter().try_for_each(|(name, text)| std::fs::write(dir.join(name), text)));
        match written {
            Ok(()) => {
                eprintln!("report: {} (and junit.xml, report.md, report.html)", dir.join("report.json").display())
            }
            Err(e) => {
                eprintln!("{}: cannot write the report: {e}", dir.display());
                return exit::BAD_INPUT;
            }
        }
    }
    report.exit_code()
}

/// Takes each finding's values out of its own message, and redacts them: the only place reconcile quotes them.
/// `RunReport::redact_phi` then has one value to look for in every message, `[redacted]`, instead of every value
/// of every finding in every message, which for a health system's tens of thousands of findings takes minutes.
fn redact_own_values(report: &mut RunReport) {
    for finding in report.targets.iter_mut().flat_map(|t| t.findings.iter_mut()) {
        let mut quoted: Vec<String> = [&mut finding.expected, &mut finding.actual]
            .into_iter()
            .filter_map(|value| match value {
                Value::String(text) if !text.is_empty() => {
                    let text = std::mem::replace(text, REDACTED.to_string());
                    Some(format!("`{text}`"))
                }
                _ => None,
            })
            .collect();
        quoted.sort_by_key(|q| std::cmp::Reverse(q.len()));
        for q in quoted {
            finding.message = finding.message.replace(&q, REDACTED);
        }
    }
}

/// The scorecard with the first findings; a reconciliation of a health system can have tens of thousands.
fn scorecard(report: &RunReport) -> String {
    let total: usize = report.targets.iter().map(|t| t.findings.len()).sum();
    if total <= TABLE_FINDINGS {
        return table::render_with(report, table::Colour::for_stdout());
    }
    let mut shown = report.clone();
    shown.targets.iter_mut().for_each(|t| t.findings.truncate(TABLE_FINDINGS));
    format!(
        "{}\n… and {} more finding(s): see --format json, or report.json with --out DIR",
        table::render_with(&shown, table::Colour::for_stdout()).trim_end(),
        total - TABLE_FINDINGS
    )
}

/// A column map file (YAML), or why it cannot be used, naming the line and column.
fn load_map(path: &Path) -> Result<ColumnMap, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read the column map: {e}", path.display()))?;
    serde_saphyr::from_str(&text).map_err(|e| {
        format!("{}: not a column map: {e}\n  hint: `handoff schema map` gives its schema", path.display())
    })
}

/// Rows read and how fast, on stderr, only on a terminal.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed:>4} {human_pos} rows read ({per_sec})") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
