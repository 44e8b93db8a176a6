//! `handoff run` and `handoff compare`: load scenarios and targets, run them, print the scorecard (or the ranked
//! comparison), write the reports under --out.

use std::path::{Path, PathBuf};

use super::files::{expand, render_input_error};
use super::{Deadline, RunArgs, RunFormat};
use crate::connect::wire::WireLog;
use crate::engine::{Halt, PlannedTarget, RunPlan, execute};
use crate::exit;
use crate::report::baseline::{BASELINE_VERSION, Baseline};
use crate::report::vendor_comparison::{self, VendorComparison};
use crate::report::{BaselineComparison, RunReport, artifacts, html, json, junit, markdown, table, test_report};
use crate::scenario::{InputError, Scenario, Step, Target, load_scenario, load_target};

/// What the run is for: one scorecard of every target, or the buyer's ranking of vendor setups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Scorecard,
    Comparison,
}

pub fn run(args: RunArgs, view: View) -> u8 {
    let scenario_paths =
        if args.scenarios.is_empty() { vec![PathBuf::from("scenarios")] } else { args.scenarios.clone() };
    let target_paths = if args.targets.is_empty() { vec![PathBuf::from("mocks")] } else { args.targets.clone() };
    let loaded = load_all(&scenario_paths, &target_paths);
    let (scenarios, targets) = match loaded {
        Ok(l) => l,
        Err(errors) => {
            for e in &errors {
                eprintln!("{}", render_input_error(e));
            }
            return exit::BAD_INPUT;
        }
    };
    if view == View::Comparison && targets.len() < 2 {
        eprintln!(
            "handoff compare ranks vendor setups, so it needs at least two targets; found {}\n  hint: name them with \
             --target (files or folders), or run from the folder that holds mocks/",
            targets.len()
        );
        return exit::BAD_INPUT;
    }
    let scenarios = match args.patients {
        None => scenarios,
        Some(count) => match generated(&scenarios, count, args.seed) {
            Ok(s) => s,
            Err(why) => {
                eprintln!("cannot generate patients: {why}");
                return exit::BAD_INPUT;
            }
        },
    };
    let scenarios = match args.partition {
        Some(shard) => {
            let all = scenarios.len();
            let selected = shard.select(scenarios);
            if selected.is_empty() {
                // More runners than flows is a fair way to split a small suite: the empty shard passes, and says so.
                eprintln!("--partition {shard}: this shard holds none of the {all} flow(s) of the run; nothing to run");
            }
            selected
        }
        None => scenarios,
    };
    let baseline = match args.baseline.as_deref().map(load_baseline).transpose() {
        Ok(b) => b,
        Err(why) => {
            eprintln!("{why}");
            return exit::BAD_INPUT;
        }
    };
    let run_id = new_run_id();
    let out_dir = args.out.clone().unwrap_or_else(|| Path::new("reports").join(&run_id));
    // The simulated payers adjudicate by the same rules the scrubber checks, so a remittance needs them too.
    let scrubs = scenarios.iter().flat_map(|s| &s.steps).any(|s| {
        matches!(&s.value, Step::ExpectClaim(e) if e.scrub.is_some()) || matches!(&s.value, Step::ExpectRemittance(_))
    });
    let rules = if scrubs {
        match super::rules::scrub_context(args.rules.as_deref()) {
            Ok(context) => Some(std::sync::Arc::new(context)),
            Err(why) => {
                eprintln!("cannot load the rules: {why}");
                return exit::BAD_INPUT;
            }
        }
    } else {
        None
    };
    // Where the results go is checked before the flows run, not found unwritable after them.
    if let Some(path) = args.save_baseline.as_deref()
        && let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty() && !f.is_dir())
    {
        eprintln!(
            "{}: cannot write the baseline there: the folder {} does not exist",
            path.display(),
            folder.display()
        );
        return exit::BAD_INPUT;
    }
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        eprintln!("{}: cannot write the reports there: {e}; name another folder with --out", out_dir.display());
        return exit::BAD_INPUT;
    }
    let (progress, events) = super::progress::Progress::start(scenarios.len(), targets.len());
    let mut plan = RunPlan {
        run_id: run_id.clone(),
        jobs: usize::try_from(args.jobs).unwrap_or(usize::MAX),
        rules,
        scenarios,
        targets: targets.into_iter().map(|(source, target)| PlannedTarget { source, target }).collect(),
        events,
        // Messages are kept only for a run whose output the user placed, where they will be written.
        wire: args.out.is_some().then(WireLog::new),
        halt: Halt::new(),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return exit::UNREACHABLE;
        }
    };
    let started = jiff::Timestamp::now();
    let outcomes = runtime.block_on(async {
        let stopper = tokio::spawn(stop_when_told(plan.halt.clone(), args.deadline.clone(), StopSignals::listen()));
        let outcomes = execute(&plan).await;
        stopper.abort();
        outcomes
    });
    // The bar ends when the last sender of its events is gone.
    plan.events = Default::default();
    progress.finish();
    let report = RunReport::new(
        &run_id,
        started,
        jiff::Timestamp::now(),
        plan.scenarios.iter().map(|s| s.name.clone()).collect(),
        outcomes,
    );
    let mut report = report;
    // Stopped after every flow had finished, a run lost nothing: only one that cut a flow short is incomplete.
    if let Some(reason) = plan.halt.reason()
        && report.targets.iter().flat_map(|t| &t.flows).any(|f| f.unfinished)
    {
        report.mark_incomplete(reason);
    }
    if !args.show_phi {
        report.redact_phi();
    }
    if let Some(rules) = &plan.rules
        && report.targets.iter().any(|t| t.tallies.claims_scrubbed > 0)
    {
        report.rules_not_run = rules.not_run().iter().map(|r| r.as_str().to_string()).collect();
    }
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        report.baseline =
            Some(BaselineComparison { file: path.display().to_string(), comparison: baseline.compare(&report) });
    }
    let comparison = (view == View::Comparison).then(|| VendorComparison::from_report(&report));
    let comparison_json = comparison.as_ref().map(|c| serde_json::to_string_pretty(c).unwrap_or_default() + "\n");
    match (&comparison, args.format) {
        (None, RunFormat::Table) => out!("{}", table::render_with(&report, table::Colour::for_stdout())),
        (None, RunFormat::Json) => out!("{}", json::render(&report)),
        (None, RunFormat::Markdown) => out!("{}", markdown::render(&report)),
        (Some(c), RunFormat::Table) => out!("{}", vendor_comparison::render_table(c, table::Colour::for_stdout())),
        (Some(_), RunFormat::Json) => out!("{}", comparison_json.as_deref().unwrap_or_default()),
        (Some(c), RunFormat::Markdown) => out!("{}", vendor_comparison::render_markdown(c)),
        (_, RunFormat::Html) => out!("{}", html::render(&report)),
    }
    // A baseline that cannot be written still leaves the reports written: the run's results are never lost.
    let mut unwritten = false;
    if let Some(path) = &args.save_baseline {
        let saved = serde_json::to_string_pretty(&Baseline::from_report(&report))
            .map_err(std::io::Error::other)
            .and_then(|text| std::fs::write(path, text + "\n"));
        match saved {
            Ok(()) => eprintln!("baseline: {}", path.display()),
            Err(e) => {
                eprintln!("{}: cannot write the baseline: {e}", path.display());
                unwritten = true;
            }
        }
    }
    let written = write_reports(&out_dir, &report, comparison.as_ref().zip(comparison_json));
    match written {
        Ok(()) => eprintln!(
            "report: {} (and junit.xml, report.md, report.html, fhir/TestReport-*.json)",
            out_dir.join("report.json").display()
        ),
        Err(e) => {
            eprintln!("{}: cannot write the report: {e}", out_dir.display());
            return exit::BAD_INPUT;
        }
    }
    if let Some(wire) = &plan.wire {
        write_artifacts(&out_dir, &report, &wire.exchanges(), args.show_phi);
    }
    if unwritten {
        return exit::BAD_INPUT;
    }
    match view {
        View::Scorecard => report.exit_code(),
        // A comparison is for ranking setups that have findings; only a system it could not reach, or a run that
        // was stopped before it finished, fails it.
        View::Comparison => match report.exit_code() {
            code @ (exit::UNREACHABLE | exit::INCOMPLETE) => code,
            _ => exit::SUCCESS,
        },
    }
}

/// Every format comes from the same finished run; a CI system reads junit.xml, a pull request report.md. Each is
/// written as it is rendered and let go before the next, and report.json, junit.xml and the TestReports (one at a
/// time) are serialised straight to their files: the reports of 10,000 flows never sit in memory together.
fn write_reports(
    out_dir: &Path,
    report: &RunReport,
    comparison: Option<(&VendorComparison, String)>,
) -> std::io::Result<()> {
    use std::io::{BufWriter, Write as _};
    type Stream<'a> = &'a dyn Fn(&mut BufWriter<std::fs::File>) -> std::io::Result<()>;
    let stream = |path: PathBuf, write: Stream| {
        let mut out = BufWriter::new(std::fs::File::create(path)?);
        write(&mut out)?;
        out.flush()
    };
    let fhir_dir = out_dir.join("fhir");
    std::fs::create_dir_all(&fhir_dir)?;
    stream(out_dir.join("report.json"), &|out| json::write(report, out))?;
    stream(out_dir.join("junit.xml"), &|out| junit::write(report, out))?;
    std::fs::write(out_dir.join("report.md"), markdown::render(report))?;
    std::fs::write(out_dir.join("report.html"), html::render(report))?;
    if let Some((c, json)) = comparison {
        std::fs::write(out_dir.join("compare.json"), json)?;
        std::fs::write(out_dir.join("compare.md"), vendor_comparison::render_markdown(c))?;
    }
    for (name, resource) in test_report::each(report) {
        stream(fhir_dir.join(name), &|out| {
            serde_json::to_writer_pretty(out, &resource).map_err(std::io::Error::other)
        })?;
    }
    Ok(())
}

/// SIGINT and SIGTERM, listened for from before the first flow starts so that neither kills the run outright.
struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Must be called inside the runtime. A signal that cannot be listened for keeps its default action.
    fn listen() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// The next signal, by name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            async fn received(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = received(&mut self.interrupt) => "SIGINT",
                _ = received(&mut self.terminate) => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

/// Halts the run when its deadline passes or a signal comes, whichever is first; a second signal ends the process
/// at once, without a report, for a user who will not wait for one.
async fn stop_when_told(halt: Halt, deadline: Deadline, mut signals: StopSignals) {
    let passed = async {
        match &deadline.0 {
            Some((after, written)) => {
                tokio::time::sleep(*after).await;
                format!("deadline {written} passed")
            }
            None => std::future::pending().await,
        }
    };
    let reason = tokio::select! {
        reason = passed => reason,
        signal = signals.next() => format!("interrupted by {signal}"),
    };
    eprintln!("{reason}: stopping the flows still running; the report of what finished will be written");
    halt.halt(reason);
    let signal = signals.next().await;
    eprintln!("{signal} again: exiting at once, without a report");
    std::process::exit(130);
}

/// A baseline saved by `--save-baseline`, or why it cannot be used, naming the file and where in it.
fn load_baseline(path: &Path) -> Result<Baseline, String> {
    let hint = "make one with `handoff run --save-baseline FILE` from a run you accept";
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
    let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
        format!("{}:{}:{}: not a handoff baseline: {e}\n  hint: {hint}", path.display(), e.line(), e.column())
    })?;
    if baseline.version != BASELINE_VERSION {
        return Err(format!(
            "{}: baseline version {} is not one this handoff reads (it reads {BASELINE_VERSION})\n  hint: {hint}",
            path.display(),
            baseline.version
        ));
    }
    Ok(baseline)
}

/// The run's messages beside its report; a file that cannot be written is a warning, since the report stands.
fn write_artifacts(out_dir: &Path, report: &RunReport, exchanges: &[crate::connect::wire::Exchange], show_phi: bool) {
    let written = artifacts::write(out_dir, report, exchanges, show_phi);
    for failure in &written.failures {
        eprintln!("warning: cannot write an artifact: {failure}");
    }
    for withheld in &written.withheld {
        eprintln!("{}", withheld.reason);
    }
    let root = out_dir.join(artifacts::ARTIFACTS);
    eprintln!("artifacts: {} ({} message file(s), listed in {})", root.display(), written.files, artifacts::INDEX);
}

/// Each scenario once per generated patient, every flow a different person: scenario `k` takes patients
/// `k×N` to `k×N + N − 1`, named `name#<patient>`.
fn generated(templates: &[Scenario], count: u64, seed: u64) -> Result<Vec<Scenario>, String> {
    let codes = crate::synth::IcdCodeSet::embedded().map_err(|e| e.to_string())?;
    let patients = crate::synth::SyntheticPatients::new(seed, &codes).map_err(|e| e.to_string())?;
    Ok((0u64..)
        .zip(templates)
        .flat_map(|(k, t)| (0..count).map(|i| patients.scenario(t, k * count + i)).collect::<Vec<_>>())
        .collect())
}

type Loaded = (Vec<Scenario>, Vec<(String, Target)>);

/// Every scenario and target, or every problem found in them (not just the first).
fn load_all(scenario_paths: &[PathBuf], target_paths: &[PathBuf]) -> Result<Loaded, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut scenarios: Vec<(PathBuf, Scenario)> = Vec::new();
    let mut targets = Vec::new();
    match expand(scenario_paths) {
        Ok(files) if files.is_empty() => errors.push(InputError::whole_file(
            &display(scenario_paths),
            "holds no scenario files (*.yaml)",
            Some("name scenario files, or run from the folder that holds scenarios/".into()),
        )),
        Ok(files) => {
            for file in files {
                match load_scenario(&file) {
                    Ok(s) => scenarios.push((file, s)),
                    Err(e) => errors.push(e),
                }
            }
        }
        Err(e) => errors.push(e),
    }
    match expand(target_paths) {
        Ok(files) if files.is_empty() => errors.push(InputError::whole_file(
            &display(target_paths),
            "holds no target files (*.yaml)",
            Some("name target files with --target, or run from the folder that holds mocks/".into()),
        )),
        Ok(files) => {
            for file in files {
                match load_target(&file) {
                    Ok(t) => targets.push((file.display().to_string(), t)),
                    Err(e) => errors.push(e),
                }
            }
        }
        Err(e) => errors.push(e),
    }
    for (i, (path, scenario)) in scenarios.iter().enumerate() {
        if let Some((first, _)) = scenarios[..i].iter().find(|(_, s)| s.name == scenario.name) {
            errors.push(InputError::whole_file(
                &path.display().to_string(),
                format!("the scenario name `{}` is already used by {}", scenario.name, first.display()),
                Some("scenario names label findings, so each must be unique".into()),
            ));
        }
    }
    for (i, (path, target)) in targets.iter().enumerate() {
        if let Some((first, _)) = targets[..i].iter().find(|(_, t)| t.name == target.name) {
            errors.push(InputError::whole_file(
                path,
                format!("the target name `{}` is already used by {first}", target.name),
                Some("target names head the scorecard's columns, so each must be unique".into()),
            ));
        }
    }
    if errors.is_empty() { Ok((scenarios.into_iter().map(|(_, s)| s).collect(), targets)) } else { Err(errors) }
}

fn display(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Sortable by time, unique enough for two runs started in the same second.
fn new_run_id() -> String {
    let now = jiff::Timestamp::now();
    let salt = (now.subsec_nanosecond() as u32 ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{}-{salt:04x}", now.strftime("%Y%m%dT%H%M%SZ"))
}
