//! `handoff reconcile`: an EMR's and a PM's patient exports reconciled offline, reported as a run with one target
//! (the pair of exports) and one flow, so the scorecard, JSON, JUnit, Markdown and HTML reports all read it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use super::Format;
use super::sources::{SourceFormat, open_side};
use crate::diff::Finding;
use crate::engine::{FlowOutcome, StepResult, StepStatus, TargetOutcome, TargetSystems};
use crate::exit;
use crate::reconcile::billing::{BillingSources, InputKind, first_resource_type, input_kind, reconcile_billing};
use crate::reconcile::parallel::in_parts_mut;
use crate::reconcile::{ColumnMap, Source, reconcile as reconcile_exports};
use crate::report::{REDACTED, RunReport, html, is_phi, json, junit, markdown, table};

/// The scorecard lists this many findings; the rest are in report.json and `--format json`.
const TABLE_FINDINGS: usize = 50;

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// The EMR's exports, told apart by their content: patient sources (CSV with a header row, FHIR Bulk Data NDJSON
    /// Patient and Coverage, an HL7 v2 message log; a folder stands for every export in it) and its documentation as
    /// FHIR NDJSON (Encounter, Condition, Procedure, ChargeItem, Coverage).
    #[arg(long, required = true, num_args = 1..)]
    pub emr: Vec<PathBuf>,
    /// The PM's exports: patient sources in the same formats; X12 835 batches and FHIR Claim NDJSON here are taken
    /// as --remits and --claims, and X12 837P batches as --claims when the EMR's documentation is given (otherwise
    /// as a patient source: their subscribers and patients).
    #[arg(long, required = true, num_args = 1..)]
    pub pm: Vec<PathBuf>,
    /// Read every EMR export as a patient source in this format, whatever its name or first bytes say.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emr_format: Option<SourceFormat>,
    /// Read every PM export as a patient source in this format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub pm_format: Option<SourceFormat>,
    /// The PM's claims: X12 837P batches or FHIR Claim NDJSON, matched to the EMR's documented encounters.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub claims: Vec<PathBuf>,
    /// The payer's X12 835 remittances, matched to the claims by CLP01 = CLM01.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub remits: Vec<PathBuf>,
    /// The rules store the claims are scrubbed against [default: $XDG_DATA_HOME/handoff/rules].
    #[arg(long, env = "HANDOFF_RULES", value_name = "DIR")]
    pub rules: Option<PathBuf>,
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
    // A health system's exports take a while to read: a report folder that cannot be one is said first.
    if let Some(dir) = args.out.as_deref().filter(|d| d.exists() && !d.is_dir()) {
        eprintln!("{}: cannot write the report there: it is a file; name a folder with --out", dir.display());
        return exit::BAD_INPUT;
    }
    let inputs = Inputs::of(args);
    let started = jiff::Timestamp::now();
    let clock = std::time::Instant::now();
    let mut reconciled = Reconciled::default();
    if (!inputs.emr.is_empty() || !inputs.pm.is_empty())
        && let Err(why) = patients(&inputs, args, &map, &mut reconciled)
    {
        eprintln!("{why}");
        return exit::BAD_INPUT;
    }
    let mut rules_not_run = Vec::new();
    if inputs.has_billing() {
        match billing(&inputs, args.rules.as_deref(), &mut reconciled) {
            Ok(not_run) => rules_not_run = not_run,
            Err(why) => {
                eprintln!("{why}");
                return exit::BAD_INPUT;
            }
        }
    }
    let summary = reconciled.summaries.join("\n");
    let failed = reconciled.findings.iter().any(|f| f.counts);
    let files = |paths: &[PathBuf]| paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let names = |paths: &[PathBuf]| {
        let mut names: Vec<_> =
            paths.iter().map(|p| p.file_name().unwrap_or(p.as_os_str()).to_string_lossy()).collect();
        // A side with many exports (a bulk export's NDJSON files) is named by its first and how many more.
        if names.len() > 3 {
            let more = names.len() - 1;
            names.truncate(1);
            names.push(format!("{more} more").into());
        }
        names.join("+")
    };
    let pm_side = [&args.pm[..], &args.claims, &args.remits].concat();
    let outcome = TargetOutcome {
        name: format!("{} ⇄ {}", names(&args.emr), names(&pm_side)),
        source: "handoff reconcile".into(),
        // Exports are real patients unless the user says otherwise: their values are PHI.
        kind: TargetSystems::Real,
        emr_endpoint: Some(files(&args.emr)),
        pm_endpoint: Some(files(&pm_side)),
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
    report.rules_not_run = rules_not_run;
    if !args.show_phi {
        redact_findings(&mut report);
        report.redact_phi();
    }
    tracing::debug!(elapsed = ?clock.elapsed(), "report built and redacted");
    // A health system's reconciliation is tens of megabytes of JSON: it is written as it is serialised, never held
    // as one string.
    match args.format {
        Format::Json => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error of the reconciliation.
            let _ = json::write(&report, &mut stdout).and_then(|()| writeln!(stdout)).and_then(|()| stdout.flush());
        }
        Format::Table => out!("{}", scorecard(&report)),
    }
    tracing::debug!(elapsed = ?clock.elapsed(), "report written");
    if let Some(dir) = &args.out {
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join("report.json"))?);
            json::write(&report, &mut file).and_then(|()| file.flush())?;
            let files = [
                ("junit.xml", junit::render(&report)),
                ("report.md", markdown::render(&report)),
                ("report.html", html::render(&report)),
            ];
            files.iter().try_for_each(|(name, text)| std::fs::write(dir.join(name), text))
        });
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
    let code = report.exit_code();
    // The process exits next: freeing a health system's tens of thousands of findings one by one would only hold
    // its exit up (5 ms or so for a million patients), and the system takes the memory back at once.
    std::mem::forget(report);
    code
}

/// Redacts what reconcile's findings say about patients and pseudonymises their keys. Each finding's values are
/// taken out of its own message, quoted as reconcile quotes them (`` `value` ``): the only place reconcile quotes
/// them. `RunReport::redact_phi` would find them too, but it looks for every value in every message, so a short
/// value, such as a numeric MRN (`1234`) or a middle initial, would also blank the line numbers and file names of
/// other findings' messages (`emr.csv line 1234`) that contain it. The messages are worked out on every core: a
/// health system's reconciliation has tens of thousands.
fn redact_findings(report: &mut RunReport) {
    let mut numbered: HashMap<(bool, String), usize> = HashMap::new();
    for target in &mut report.targets {
        // Each finding's key goes to a thread that numbers the keys while the others redact the findings in parts.
        let keys: Vec<(bool, String)> = target
            .findings
            .iter_mut()
            .map(|f| (f.category == crate::diff::Category::Sync, std::mem::take(&mut f.scenario)))
            .collect();
        let numbering = Mutex::new(Some((keys, &mut numbered)));
        // Whichever thread comes to it first numbers them: the one started for it, or this one if it could not be.
        let number = || {
            let taken = numbering.lock().unwrap_or_else(PoisonError::into_inner).take();
            taken.map(|(keys, numbered)| pseudonyms(numbered, keys))
        };
        let numbers = std::thread::scope(|scope| {
            let numbering = std::thread::Builder::new().spawn_scoped(scope, number);
            in_parts_mut(&mut target.findings, |part| part.iter_mut().for_each(redact_finding));
            let numbered =
                numbering.ok().and_then(|thread| thread.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            numbered.or_else(number).unwrap_or_default()
        });
        let mut pseudonymised: Vec<(&mut Finding, (bool, usize))> = target.findings.iter_mut().zip(numbers).collect();
        in_parts_mut(&mut pseudonymised, |part| {
            for (finding, (patient, n)) in part {
                finding.scenario = format!("{} #{n}", if *patient { "patient" } else { "encounter" });
            }
        });
    }
}

/// Each finding's pseudonym, numbered by the first appearance of its key (whether it is about a patient, and the
/// patient's id or an encounter's account number), after those `numbered` already holds.
fn pseudonyms(numbered: &mut HashMap<(bool, String), usize>, keys: Vec<(bool, String)>) -> Vec<(bool, usize)> {
    numbered.reserve(keys.len());
    keys.into_iter()
        .map(|key| {
            let (patient, next) = (key.0, numbered.len() + 1);
            (patient, *numbered.entry(key).or_insert(next))
        })
        .collect()
}

/// Takes the patient values a finding quotes out of its message, and its values too where they are PHI.
fn redact_finding(finding: &mut Finding) {
    if let Some(message) = redacted_message(finding) {
        finding.message = message;
    }
    if is_phi(&finding.record, &finding.field) {
        for value in [&mut finding.expected, &mut finding.actual] {
            if matches!(value, Value::String(text) if !text.is_empty()) {
                *value = Value::String(REDACTED.to_string());
            }
        }
    }
}

/// A finding's message without the values it quotes, where they are PHI, nor the record numbers it quotes; `None`
/// when it quotes neither.
fn redacted_message(finding: &Finding) -> Option<String> {
    let mut message = Cow::Borrowed(finding.message.as_str());
    // The live run's rule of what is PHI: a patient's values and a member id, never a procedure code or a CARC.
    if is_phi(&finding.record, &finding.field) {
        let mut quoted: Vec<&str> = [&finding.expected, &finding.actual]
            .into_iter()
            .filter_map(|value| match value {
                Value::String(text) if !text.is_empty() => Some(text.as_str()),
                _ => None,
            })
            .collect();
        quoted.sort_by_key(|q| std::cmp::Reverse(q.len()));
        let mut needle = String::new();
        for q in quoted {
            needle.clear();
            needle.extend(["`", q, "`"]);
            if let Some(replaced) = replaced(&message, &needle, REDACTED) {
                message = Cow::Owned(replaced);
            }
        }
    }
    match (redact_record_ids(&message), message) {
        (Some(redacted), _) => Some(redacted),
        (None, Cow::Owned(message)) => Some(message),
        (None, Cow::Borrowed(_)) => None,
    }
}

/// `text` with each `needle` in it replaced by `with`, as [`str::replace`] does; `None` when there is none. A
/// reconciliation's findings are tens of thousands, each quoting a value or two in a line of text: the places of
/// the needle's first byte are checked one by one (a searcher built for each needle costs more than the search),
/// and a text without the needle is not copied.
fn replaced(text: &str, needle: &str, with: &str) -> Option<String> {
    let (bytes, first) = (text.as_bytes(), *needle.as_bytes().first()?);
    let (mut out, mut kept_from, mut from) = (None::<String>, 0, 0);
    while let Some(at) = memchr::memchr(first, &bytes[from..]).map(|i| from + i) {
        if !bytes[at..].starts_with(needle.as_bytes()) {
            from = at + 1;
            continue;
        }
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[kept_from..at]);
        out.push_str(with);
        (kept_from, from) = (at + needle.len(), at + needle.len());
    }
    let mut out = out?;
    out.push_str(&text[kept_from..]);
    Some(out)
}

/// What quotes an encounter's or a claim's number in a message: each ends with the number's opening backtick.
const RECORD_IDS: [&str; 2] = ["encounter `", "claim `"];

/// A message with the encounter and claim numbers it quotes (``encounter `V0001` ``, ``claim `C17` ``) redacted;
/// the file and line or segment beside each still say where the record is. `None` when it quotes none.
fn redact_record_ids(message: &str) -> Option<String> {
    let mut out = String::new();
    let (mut rest, mut from) = (message, 0);
    // A backtick that ends one of the names opens a number.
    while let Some(tick) = memchr::memchr(b'`', &rest.as_bytes()[from..]).map(|i| from + i) {
        let opened = &rest[..=tick];
        if !RECORD_IDS.iter().any(|name| opened.ends_with(name)) {
            from = tick + 1;
            continue;
        }
        let Some(close) = rest[tick + 1..].find('`') else { break };
        out.push_str(&rest[..tick]);
        out.push_str(REDACTED);
        (rest, from) = (&rest[tick + 1 + close + 1..], 0);
    }
    if rest.len() == message.len() {
        return None;
    }
    out.push_str(rest);
    Some(out)
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

/// The files on the command line, sorted by what they hold.
#[derive(Default)]
struct Inputs {
    emr: Vec<PathBuf>,
    pm: Vec<PathBuf>,
    documentation: Vec<PathBuf>,
    claims: Vec<PathBuf>,
    remits: Vec<PathBuf>,
}

impl Inputs {
    /// Sorts the files given by what they hold. Coverage NDJSON serves both sides of the reconciliation: the
    /// patient source joins it to the Patient files beside it, and the billing side reads member ids from it. An
    /// 837 is the PM's claims when there is documentation to match them to, and otherwise a patient source.
    fn of(args: &ReconcileArgs) -> Inputs {
        let mut inputs = Inputs { claims: args.claims.clone(), remits: args.remits.clone(), ..Inputs::default() };
        let (mut coverages, mut batches) = (Vec::new(), Vec::new());
        for (paths, pm, forced) in [(&args.emr, false, args.emr_format), (&args.pm, true, args.pm_format)] {
            for path in paths {
                let side = if pm { &mut inputs.pm } else { &mut inputs.emr };
                if forced.is_some() {
                    side.push(path.clone());
                    continue;
                }
                match input_kind(path) {
                    InputKind::Documentation if first_resource_type(path).as_deref() == Some("Coverage") => {
                        coverages.push((pm, path.clone()))
                    }
                    InputKind::Documentation => inputs.documentation.push(path.clone()),
                    InputKind::Claims if first_resource_type(path).is_none() => batches.push((pm, path.clone())),
                    InputKind::Claims => inputs.claims.push(path.clone()),
                    InputKind::Remittances => inputs.remits.push(path.clone()),
                    InputKind::Patients => side.push(path.clone()),
                }
            }
        }
        let documented = !inputs.documentation.is_empty();
        for (pm, path) in batches {
            match (documented, pm) {
                (true, _) => inputs.claims.push(path),
                (false, true) => inputs.pm.push(path),
                (false, false) => inputs.emr.push(path),
            }
        }
        for (pm, path) in coverages {
            let side = if pm { &mut inputs.pm } else { &mut inputs.emr };
            if side.iter().any(|p| first_resource_type(p).as_deref() == Some("Patient")) {
                side.push(path.clone());
            }
            if documented {
                inputs.documentation.push(path);
            }
        }
        inputs
    }

    fn has_billing(&self) -> bool {
        !(self.documentation.is_empty() && self.claims.is_empty() && self.remits.is_empty())
    }
}

/// What each reconciliation found, together.
#[derive(Default)]
struct Reconciled {
    findings: Vec<crate::diff::Finding>,
    tallies: crate::engine::Tallies,
    summaries: Vec<String>,
}

impl Reconciled {
    fn add(&mut self, findings: Vec<crate::diff::Finding>, tallies: crate::engine::Tallies, summary: String) {
        // A health system's reconciliation has tens of thousands of findings: moved, not copied, when they are the
        // first.
        if self.findings.is_empty() {
            self.findings = findings;
        } else {
            self.findings.extend(findings);
        }
        self.tallies += tallies;
        self.summaries.push(summary);
    }
}

/// The patient exports matched and compared, with a progress bar.
fn patients(inputs: &Inputs, args: &ReconcileArgs, map: &ColumnMap, into: &mut Reconciled) -> Result<(), String> {
    if inputs.emr.is_empty() || inputs.pm.is_empty() {
        let (has, lacks) = if inputs.emr.is_empty() { ("pm", "emr") } else { ("emr", "pm") };
        return Err(format!(
            "patient exports were given for the {has} but not the {lacks}; give both (--emr and --pm) to compare \
             patients, or neither to reconcile billing alone"
        ));
    }
    let emr = open_side(&inputs.emr, args.emr_format, &map.emr)?;
    let pm = open_side(&inputs.pm, args.pm_format, &map.pm)?;
    let bar = progress_bar("rows");
    let result = reconcile_exports(emr, pm, &mut |rows| bar.set_position(rows));
    bar.finish_and_clear();
    let reconciled = result.map_err(|problem| problem.to_string())?;
    let summary = reconciled.summary.render();
    eprintln!("{summary}");
    into.add(reconciled.findings, reconciled.tallies, summary);
    Ok(())
}

/// The documented encounters, claims and remittances matched and judged; returns the rules that were not run.
fn billing(inputs: &Inputs, rules: Option<&Path>, into: &mut Reconciled) -> Result<Vec<String>, String> {
    let context = super::rules::scrub_context(rules).map_err(|why| format!("cannot load the rules: {why}"))?;
    let bar = progress_bar("records");
    let given = BillingSources {
        documentation: sources(&inputs.documentation, &bar)?,
        claims: sources(&inputs.claims, &bar)?,
        remits: (!inputs.remits.is_empty()).then(|| sources(&inputs.remits, &bar)).transpose()?,
    };
    let reconciled = reconcile_billing(given, &context);
    bar.finish_and_clear();
    let reconciled = reconciled.map_err(|problem| problem.to_string())?;
    let summary = reconciled.summary.render();
    eprintln!("{summary}");
    into.add(reconciled.findings, reconciled.tallies, summary);
    Ok(context.not_run().iter().map(|r| r.as_str().to_string()).collect())
}

/// The billing exports, opened, each counting the records read from it on `bar`.
fn sources(paths: &[PathBuf], bar: &ProgressBar) -> Result<Vec<Source>, String> {
    paths
        .iter()
        .map(|path| match std::fs::File::open(path) {
            Ok(file) => {
                let reader = Box::new(Counted::new(file, bar.clone()));
                Ok(Source { name: path.display().to_string(), reader })
            }
            Err(e) => Err(format!("{}: cannot open the export: {e}", path.display())),
        })
        .collect()
}

/// An export that counts its records on a progress bar as they are read: the lines of an NDJSON export, the
/// segments of an X12 interchange (by the terminator its ISA segment declares).
struct Counted<R> {
    inner: R,
    /// What ends a record; found once the first bytes are read.
    end: Option<u8>,
    head: Vec<u8>,
    bar: ProgressBar,
}

impl<R: std::io::Read> Counted<R> {
    fn new(inner: R, bar: ProgressBar) -> Counted<R> {
        Counted { inner, end: None, head: Vec::new(), bar }
    }

    fn count(&mut self, read: &[u8]) {
        if self.end.is_none() {
            self.head.extend_from_slice(&read[..read.len().min(128)]);
            let text = self.head.trim_ascii_start();
            // The ISA segment is 106 bytes long; its last is the segment terminator.
            self.end = match text.first() {
                Some(b'I') if text.len() >= 106 => Some(text[105]),
                Some(b'I') => return,
                _ => Some(b'\n'),
            };
            self.head = Vec::new();
        }
        if let Some(end) = self.end {
            self.bar.inc(memchr::memchr_iter(end, read).count() as u64);
        }
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(&buf[..n]);
        Ok(n)
    }
}

/// A column map file (YAML), or why it cannot be used, naming the line and column.
fn load_map(path: &Path) -> Result<ColumnMap, String> {
    let (name, text) = crate::scenario::read_file(path).map_err(|e| super::files::render_input_error(&e))?;
    crate::scenario::parse_yaml(&name, &text).map_err(|e| {
        format!("{}  help: `handoff schema map` prints the column map's schema", super::files::render_input_error(&e))
    })
}

/// `what` read and how fast, on stderr, only on a terminal.
fn progress_bar(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let template = format!("{{spinner}} {{elapsed:>4}} {{human_pos}} {what} read ({{rate}} a second)");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        // A whole number: indicatif's `per_sec` shows four decimals of a rate in the hundreds of thousands.
        let rate = |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}", indicatif::HumanCount(state.per_sec() as u64));
        };
        bar.set_style(style.with_key("rate", rate));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(bytes: &[u8], chunk: usize) -> u64 {
        let bar = ProgressBar::hidden();
        let mut reader = Counted::new(bytes, bar.clone());
        let mut buf = vec![0; chunk];
        while std::io::Read::read(&mut reader, &mut buf).unwrap() > 0 {}
        bar.position()
    }

    #[test]
    fn a_billing_export_counts_its_lines_or_its_segments() {
        let ndjson = b"{\"resourceType\":\"Encounter\"}\n{\"resourceType\":\"Condition\"}\n";
        assert_eq!(counted(ndjson, 7), 2);
        let isa = "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*P*:!";
        assert_eq!(isa.len(), 106);
        let interchange = format!("{isa}\nGS*HC*S*R*20260101*1200*1*X*005010X222A1!\nST*837*0001!SE*2*0001!");
        // Read a few bytes at a time, so the terminator is found only once the whole ISA segment has come.
        assert_eq!(counted(interchange.as_bytes(), 5), 4);
    }

    #[test]
    fn values_are_replaced_as_str_replace_does() {
        for (text, needle) in [("`aaa` and `aaa`", "`aaa`"), ("aaaa", "aa"), ("a``b``", "``"), ("none here", "`x`")] {
            let expected = (text.contains(needle)).then(|| text.replace(needle, REDACTED));
            assert_eq!(replaced(text, needle, REDACTED), expected, "{needle} in {text}");
        }
        assert_eq!(replaced("aaa", "aa", "X").as_deref(), Some("Xa"));
    }

    #[test]
    fn encounter_and_claim_numbers_are_redacted_and_their_places_kept() {
        let message = "line[2].units was documented as `1.0` but pm.claim holds `2.0` (encounter `V00000002`, \
                       Encounter.ndjson line 1; claim `C-17`, claims.837 segment 20)";
        assert_eq!(
            redact_record_ids(message).as_deref(),
            Some(
                "line[2].units was documented as `1.0` but pm.claim holds `2.0` (encounter [redacted], Encounter.ndjson \
             line 1; claim [redacted], claims.837 segment 20)"
            )
        );
        assert_eq!(redact_record_ids("pm.claim holds `2.0`"), None, "only numbers after a name");
        assert_eq!(redact_record_ids("claim `unclosed"), None);
        assert_eq!(
            redact_record_ids("`a` encounter `V1`claim `C2`, reclaim `C3` and claim`C4`").as_deref(),
            Some("`a` encounter [redacted]claim [redacted], reclaim [redacted] and claim`C4`"),
            "as str::find found them"
        );
    }
}
