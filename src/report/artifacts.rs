//! Wire artifacts: a finished run's messages as files under `DIR/artifacts/`, one message or interchange per file,
//! with `index.json` listing each file's metadata, so a user can attach the message behind a finding to a ticket.
//!
//! Layout: `<target>/<scenario>/<NNN>-<role>-<sent|received>-<label>.<ext>`, NNN the order within the folder.
//! Messages outside a flow go in `setup/` (what each system publishes), `interface/` (a simulator's HL7 v2
//! interface) and `clearinghouse/` (the 837P a simulated PM sends). Messages with real systems hold patient
//! values, so they are written only when the user asked to see those (`--show-phi`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{RunReport, TargetKind};
use crate::connect::wire::{Direction, Exchange, Scope, WireFormat};
use crate::model::Role;

/// The folder under the run's output folder.
pub const ARTIFACTS: &str = "artifacts";
pub const INDEX: &str = "index.json";
pub const INDEX_VERSION: u32 = 1;
/// File and folder names are cut to this many characters, well under every file system's limit.
const MAX_NAME: usize = 100;

/// What `index.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub version: u32,
    pub run_id: String,
    pub files: Vec<ArtifactFile>,
    /// Targets whose messages were not written, and why.
    pub withheld: Vec<Withheld>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtifactFile {
    /// Relative to the artifacts folder, with `/` between parts.
    pub path: String,
    pub target: String,
    /// `flow`, `setup`, `interface` or `clearinghouse`.
    pub scope: &'static str,
    /// The scenario the message belongs to: its flow's, or, outside a flow, the flow whose patient it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// The system the message went to or came from.
    pub role: Role,
    pub direction: Direction,
    pub format: WireFormat,
    pub label: String,
    /// The order within its folder, from 1.
    pub sequence: usize,
    pub bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Withheld {
    pub target: String,
    pub reason: String,
}

/// The files to write (path relative to the artifacts folder, content) and the index that lists them.
pub fn plan<'a>(report: &RunReport, exchanges: &'a [Exchange], show_phi: bool) -> (Index, Vec<(PathBuf, &'a [u8])>) {
    let withheld: Vec<&str> =
        report.targets.iter().filter(|t| t.kind == TargetKind::Systems && !show_phi).map(|t| t.name.as_str()).collect();
    let mut index = Index {
        version: INDEX_VERSION,
        run_id: report.run_id.clone(),
        files: Vec::new(),
        withheld: withheld
            .iter()
            .map(|t| Withheld {
                target: t.to_string(),
                reason: format!("artifacts for {t} withheld: they hold patient values; pass --show-phi to write them"),
            })
            .collect(),
    };
    // Each target's messages, folder by folder, each folder's in the order they happened.
    let mut groups: Vec<((&str, &Scope), Vec<&Exchange>)> = Vec::new();
    for exchange in exchanges.iter().filter(|e| !withheld.contains(&e.target.as_ref())) {
        let key = (exchange.target.as_ref(), &exchange.scope);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(exchange),
            None => groups.push((key, vec![exchange])),
        }
    }
    groups.sort_by_key(|((target, _), _)| *target);
    let mut target_folders: HashMap<&str, String> = HashMap::new();
    let mut used_at_root = HashSet::new();
    let mut used_in_target: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut files = Vec::new();
    for ((target, scope), members) in groups {
        let target_folder = target_folders.entry(target).or_insert_with(|| unique(&mut used_at_root, target)).clone();
        let folder = Path::new(&target_folder).join(unique(used_in_target.entry(target).or_default(), scope.folder()));
        let width = members.len().to_string().len().max(3);
        for (exchange, sequence) in members.into_iter().zip(1..) {
            let file_name = format!(
                "{sequence:0width$}-{}-{}-{}.{}",
                exchange.role,
                exchange.direction.as_str(),
                safe_name(&exchange.label),
                exchange.format.extension(),
            );
            let path = folder.join(file_name);
            index.files.push(ArtifactFile {
                path: path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
                target: target.to_string(),
                scope: match scope {
                    Scope::Flow(_) => "flow",
                    Scope::Setup => "setup",
                    Scope::Interface => "interface",
                    Scope::Clearinghouse => "clearinghouse",
                },
                scenario: scope.scenario().map(str::to_string).or_else(|| flow_of(report, exchange)),
                role: exchange.role,
                direction: exchange.direction,
                format: exchange.format,
                label: exchange.label.clone(),
                sequence,
                bytes: exchange.body.len(),
            });
            files.push((path, exchange.body.as_slice()));
        }
    }
    (index, files)
}

/// What writing the artifacts came to.
#[derive(Debug, Default)]
pub struct Written {
    /// Message files written, `index.json` aside.
    pub files: usize,
    /// Each file that could not be written, with why; the others are written all the same.
    pub failures: Vec<String>,
    pub withheld: Vec<Withheld>,
}

/// Writes the run's messages under `out_dir/artifacts/`, in place of an earlier run's. A file that cannot be
/// written is reported, not fatal: the report beside it is already on disk.
pub fn write(out_dir: &Path, report: &RunReport, exchanges: &[Exchange], show_phi: bool) -> Written {
    let root = out_dir.join(ARTIFACTS);
    let (index, files) = plan(report, exchanges, show_phi);
    let mut written = Written { withheld: index.withheld.clone(), ..Written::default() };
    // An earlier run's artifacts in the same place would be mistaken for this run's; a folder without an index
    // is not handoff's to remove.
    if root.join(INDEX).is_file()
        && let Err(e) = std::fs::remove_dir_all(&root)
    {
        written.failures.push(format!("{}: cannot remove the previous run's artifacts: {e}", root.display()));
    }
    let mut put = |path: PathBuf, body: &[u8]| {
        let result = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|_| std::fs::write(&path, body));
        result.map_err(|e| written.failures.push(format!("{}: {e}", path.display()))).is_ok()
    };
    let messages = files.into_iter().filter(|(path, body)| put(root.join(path), body)).count();
    put(root.join(INDEX), &serde_json::to_vec_pretty(&index).unwrap_or_default());
    written.files = messages;
    written
}

/// The flow whose patient a message outside any flow is about, by the id the system gave the patient.
fn flow_of(report: &RunReport, exchange: &Exchange) -> Option<String> {
    let patient = exchange.patient.as_ref()?;
    let target = report.targets.iter().find(|t| t.name == exchange.target.as_ref())?;
    target
        .flows
        .iter()
        .find(|f| f.identities.iter().any(|i| i.role == patient.role && i.patient_id == patient.id))
        .map(|f| f.scenario.clone())
}

/// `name` made safe, with `-2`, `-3`, ... added when another name in the same folder came to the same.
fn unique(used: &mut HashSet<String>, name: &str) -> String {
    let base = safe_name(name);
    if used.insert(base.clone()) {
        return base;
    }
    let mut n = 2;
    while !used.insert(format!("{base}-{n}")) {
        n += 1;
    }
    format!("{base}-{n}")
}

/// Letters, digits, `.`, `_` and `-` only, no dot or dash at either end, at most [`MAX_NAME`] characters: safe on every file
/// system and in every shell.
fn safe_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '_' { c } else { '-' };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let out: String = out.trim_matches(['.', '-']).chars().take(MAX_NAME).collect();
    if out.is_empty() { "_".into() } else { out }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::connect::wire::{PatientRef, WireLog};
    use crate::engine::{FlowOutcome, Identity, TargetOutcome, TargetSystems};

    fn outcome(name: &str, kind: TargetSystems, flows: &[(&str, &str)]) -> TargetOutcome {
        TargetOutcome {
            name: name.into(),
            source: format!("{name}.yaml"),
            kind,
            emr_endpoint: None,
            pm_endpoint: None,
            flows: flows
                .iter()
                .map(|(scenario, pm_id)| FlowOutcome {
                    scenario: scenario.to_string(),
                    identities: vec![Identity { role: Role::Pm, patient_id: pm_id.to_string() }],
                    ..Default::default()
                })
                .collect(),
            setup_error: None,
            capabilities: Default::default(),
            capability_errors: Vec::new(),
            faults: None,
            retried: 0,
        }
    }

    fn report(targets: Vec<TargetOutcome>) -> RunReport {
        let now = jiff::Timestamp::now();
        RunReport::new("run-1", now, now, Vec::new(), targets)
    }

    /// A pair simulator and a vendor's systems, each with a registration, and the pair's interface traffic.
    fn recorded() -> (RunReport, Vec<Exchange>) {
        let log = WireLog::new();
        let pm = log.tap("pair sim", Role::Pm);
        let flow = |name: &str, tap: &crate::connect::wire::WireTap| {
            let scope = Scope::Flow(Arc::from(name));
            let tap = tap.clone().in_scope(scope);
            tap.record(Direction::Sent, WireFormat::Fhir, "POST Patient", None, b"{}".to_vec());
            tap.record(Direction::Received, WireFormat::Fhir, "201 POST Patient", None, b"{}".to_vec());
        };
        pm.record(Direction::Received, WireFormat::Fhir, "200 GET metadata", None, b"{}".to_vec());
        flow("new patient#1", &pm);
        flow("setup", &pm);
        let interface = log.tap("pair sim", Role::Emr).in_scope(Scope::Interface);
        let about = Some(PatientRef { role: Role::Pm, id: "p1".into() });
        interface.record(Direction::Sent, WireFormat::Hl7v2, "ADT^A04", about.clone(), b"MSH|\r".to_vec());
        interface.record(Direction::Received, WireFormat::Hl7v2, "ACK^A04", about, b"MSH|\r".to_vec());
        flow("new patient#1", &log.tap("vendor", Role::Pm));
        let report = report(vec![
            outcome("pair sim", TargetSystems::Simulator, &[("new patient#1", "p1"), ("setup", "p2")]),
            outcome("vendor", TargetSystems::Real, &[("new patient#1", "v1")]),
        ]);
        (report, log.exchanges())
    }

    #[test]
    fn files_are_numbered_per_folder_with_safe_names_and_their_scenario() {
        let (report, exchanges) = recorded();
        let (index, files) = plan(&report, &exchanges, false);
        let listed: Vec<(&str, Option<&str>)> =
            index.files.iter().map(|f| (f.path.as_str(), f.scenario.as_deref())).collect();
        assert_eq!(
            listed,
            [
                ("pair-sim/setup/001-pm-received-200-GET-metadata.json", None),
                ("pair-sim/new-patient-1/001-pm-sent-POST-Patient.json", Some("new patient#1")),
                ("pair-sim/new-patient-1/002-pm-received-201-POST-Patient.json", Some("new patient#1")),
                // A scenario named like a folder of the run's own keeps apart from it.
                ("pair-sim/setup-2/001-pm-sent-POST-Patient.json", Some("setup")),
                ("pair-sim/setup-2/002-pm-received-201-POST-Patient.json", Some("setup")),
                ("pair-sim/interface/001-emr-sent-ADT-A04.hl7", Some("new patient#1")),
                ("pair-sim/interface/002-emr-received-ACK-A04.hl7", Some("new patient#1")),
            ]
        );
        assert_eq!(files.len(), index.files.len());
        assert_eq!(files[5].1, b"MSH|\r");
        assert_eq!(index.files[5].label, "ADT^A04");
    }

    #[test]
    fn real_systems_are_withheld_without_show_phi_and_written_with_it() {
        let (report, exchanges) = recorded();
        let (index, _) = plan(&report, &exchanges, false);
        assert!(index.files.iter().all(|f| f.target == "pair sim"));
        assert_eq!(
            index.withheld,
            [Withheld {
                target: "vendor".into(),
                reason: "artifacts for vendor withheld: they hold patient values; pass --show-phi to write them".into()
            }]
        );
        let (index, _) = plan(&report, &exchanges, true);
        assert!(index.withheld.is_empty());
        let vendor: Vec<&str> = index.files.iter().filter(|f| f.target == "vendor").map(|f| f.path.as_str()).collect();
        assert_eq!(
            vendor,
            [
                "vendor/new-patient-1/001-pm-sent-POST-Patient.json",
                "vendor/new-patient-1/002-pm-received-201-POST-Patient.json"
            ]
        );
    }

    #[test]
    fn a_file_that_cannot_be_written_is_named_and_the_rest_are_written() {
        let (report, exchanges) = recorded();
        let dir = tempfile::tempdir().unwrap();
        // A file where the pair's folder should be: nothing of that target can be written, the index can.
        std::fs::create_dir_all(dir.path().join(ARTIFACTS)).unwrap();
        std::fs::write(dir.path().join(ARTIFACTS).join("pair-sim"), "in the way").unwrap();
        let written = write(dir.path(), &report, &exchanges, true);
        assert_eq!(written.files, 2);
        assert_eq!(written.failures.len(), 7, "{:?}", written.failures);
        assert!(
            written.failures[0].contains("pair-sim/setup/001-pm-received-200-GET-metadata.json"),
            "{:?}",
            written.failures
        );
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(ARTIFACTS).join(INDEX)).unwrap()).unwrap();
        assert_eq!(index["files"].as_array().unwrap().len(), 9);
    }

    #[test]
    fn a_second_run_into_the_same_folder_replaces_the_first_runs_artifacts() {
        let (report, exchanges) = recorded();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(write(dir.path(), &report, &exchanges, true).files, 9);
        let written = write(dir.path(), &report, &exchanges[..1], true);
        assert_eq!((written.files, written.failures.len()), (1, 0));
        let mut left: Vec<_> = walk(&dir.path().join(ARTIFACTS));
        left.sort();
        assert_eq!(left, ["index.json", "pair-sim/setup/001-pm-received-200-GET-metadata.json"]);
    }

    fn walk(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                out.extend(walk(&path).into_iter().map(|p| format!("{name}/{p}")));
            } else {
                out.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
        out
    }

    #[test]
    fn names_keep_to_letters_digits_dots_underscores_and_dashes() {
        assert_eq!(safe_name("POST Patient $build-claim"), "POST-Patient-build-claim");
        assert_eq!(safe_name("../../etc/passwd"), "etc-passwd");
        assert_eq!(safe_name("Müller & Söhne"), "M-ller-S-hne");
        assert_eq!(safe_name("..."), "_");
        assert_eq!(safe_name(&"x".repeat(300)).len(), MAX_NAME);
    }
}
