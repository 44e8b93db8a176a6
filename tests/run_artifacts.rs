//! `handoff run --out DIR` writes every message it sent or received under `DIR/artifacts/`: the files a user
//! attaches to a vendor ticket, checked by name, by format and against `index.json`; none for real systems
//! unless `--show-phi`.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use handoff::connect::hl7v2::Message;
use handoff::connect::x12::{Document, check_balance, read_277ca, read_835, read_837p, read_999};
use serde_json::Value;
use support::repo;

const NEW_PATIENT: &str = "scenarios/new-medicare-patient-em-25-with-procedure.yaml";

fn handoff(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_handoff"));
    command.args(args).current_dir(repo("")).env("NO_COLOR", "1");
    command.envs(env.iter().copied()).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir`, relative to it, with `/` between parts.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                out.insert(
                    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
                );
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn index(artifacts: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(artifacts.join("index.json")).unwrap()).unwrap()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_simulator_run_writes_each_message_once_in_its_own_format_and_lists_it() {
    let out = tempfile::tempdir().unwrap();
    let run = handoff(
        &["run", "scenarios", "--target", "mocks/interfaced-pair.yaml", "--out", out.path().to_str().unwrap()],
        &[],
    );
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let artifacts = out.path().join("artifacts");
    assert!(stderr(&run).contains(&format!("artifacts: {}", artifacts.display())), "{}", stderr(&run));

    // The known flow: registration at the PM is a conditional create of the patient, then their coverage.
    let flow = artifacts.join("interfaced-pair/new-medicare-patient-em-25-with-procedure");
    let names = names_in(&flow);
    assert_eq!(
        names[..4],
        [
            "001-pm-sent-POST-Patient.json",
            "002-pm-received-201-POST-Patient.json",
            "003-pm-sent-POST-Coverage.json",
            "004-pm-received-201-POST-Coverage.json",
        ]
    );
    for expected in [
        "-emr-sent-POST-Bundle.json",
        "-pm-sent-POST-Patient-build-claim.json",
        "-pm-received-201-POST-Patient-build-claim.json",
    ] {
        assert_eq!(names.iter().filter(|n| n.ends_with(expected)).count(), 1, "{expected} in {names:?}");
    }
    let registered: Value =
        serde_json::from_slice(&std::fs::read(flow.join("001-pm-sent-POST-Patient.json")).unwrap()).unwrap();
    assert_eq!(registered["resourceType"], "Patient");
    assert_eq!(registered["name"][0]["family"], "Lopez-Hernandez");

    let listed = index(&artifacts);
    let entries = listed["files"].as_array().unwrap();
    let on_disk = files_under(&artifacts);
    let in_index: BTreeSet<String> = entries.iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(on_disk.iter().filter(|p| *p != "index.json").cloned().collect::<BTreeSet<_>>(), in_index);
    assert_eq!(listed["withheld"], serde_json::json!([]));
    for entry in entries {
        let path = artifacts.join(entry["path"].as_str().unwrap());
        assert_eq!(entry["bytes"].as_u64(), Some(std::fs::metadata(&path).unwrap().len()), "{}", path.display());
    }

    let mut hl7_types = BTreeSet::new();
    let mut x12_kinds = BTreeSet::new();
    for path in &on_disk {
        let text = std::fs::read_to_string(artifacts.join(path)).unwrap();
        match path.rsplit('.').next() {
            Some("json") if path != "index.json" => {
                let resource: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert!(resource["resourceType"].is_string(), "{path} has no resourceType");
            }
            Some("hl7") => {
                assert!(path.contains("/interface/"), "{path}");
                assert!(text.contains('\r') && !text.contains('\n'), "{path}: segments are not separated by \\r");
                let segments: Vec<&str> = text.trim_end_matches('\r').split('\r').collect();
                assert_eq!(segments.iter().filter(|s| s.starts_with("MSH|")).count(), 1, "{path}: not one message");
                let message = Message::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
                hl7_types.insert(message.segment("MSH").unwrap().component(9, 1).to_string());
            }
            Some("x12") => {
                assert!(path.contains("/clearinghouse/"), "{path}");
                let document = Document::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert_eq!(text.matches("ISA*").count(), 1, "{path}: not one interchange");
                // The claim the PM sent, and the payer's three answers to it, each read by handoff's own reader.
                let kind = ["837P", "999", "277CA", "835"].into_iter().find(|k| path.ends_with(&format!("-{k}.x12")));
                match kind {
                    Some("837P") => assert_eq!(read_837p(&document).unwrap_or_else(|e| panic!("{path}: {e}")).len(), 1),
                    Some("999") => assert!(!read_999(&document).unwrap_or_else(|e| panic!("{path}: {e}")).is_empty()),
                    Some("277CA") => {
                        assert!(!read_277ca(&document).unwrap_or_else(|e| panic!("{path}: {e}")).is_empty())
                    }
                    Some("835") => {
                        for remittance in read_835(&document).unwrap_or_else(|e| panic!("{path}: {e}")) {
                            assert_eq!(check_balance(&remittance), vec![], "{path}");
                        }
                    }
                    _ => panic!("{path}: not an 837P, 999, 277CA or 835"),
                }
                x12_kinds.insert(kind.unwrap_or_default().to_string());
            }
            _ => assert_eq!(path, "index.json"),
        }
    }
    assert_eq!(hl7_types, BTreeSet::from(["ACK", "ADT", "DFT", "SIU"].map(String::from)));
    assert_eq!(x12_kinds, BTreeSet::from(["277CA", "835", "837P", "999"].map(String::from)));

    // The 837P behind the interfaced pair's finding: the GC modifier the interface dropped is not on the claim.
    let claims: Vec<&Value> = entries
        .iter()
        .filter(|f| f["target"] == "interfaced-pair" && f["label"] == "837P")
        .filter(|f| f["scenario"] == "new-medicare-patient-em-25-with-procedure")
        .collect();
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!((claims[0]["role"].as_str(), claims[0]["direction"].as_str()), (Some("pm"), Some("received")));
    let text = std::fs::read_to_string(artifacts.join(claims[0]["path"].as_str().unwrap())).unwrap();
    let claim = read_837p(&Document::parse(&text).unwrap()).unwrap().remove(0);
    assert_eq!(claim.member_id, "1EG4TE5MK72");
    assert_eq!((claim.lines[0].code.as_str(), claim.lines[0].modifiers.clone()), ("99204", vec!["25".to_string()]));
}

/// A target of real systems: a simulator started here, reached through a `systems:` target file with a token.
struct Vendor {
    _runtime: tokio::runtime::Runtime,
    _simulator: handoff::mock::RunningSimulator,
    _dir: tempfile::TempDir,
    target: PathBuf,
}

fn vendor() -> Vendor {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let profile = handoff::scenario::load_target(&repo("mocks/integrated-suite.yaml")).unwrap();
    let simulator =
        runtime.block_on(handoff::mock::start("vendor", profile.simulator.as_ref().unwrap(), &[], 0, 0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("vendor.yaml");
    let system =
        |url: &str| format!("{{ fhir: {{ base_url: \"{url}\", auth: {{ bearer: {{ env: VENDOR_TOKEN }} }} }} }}");
    std::fs::write(
        &target,
        format!("name: vendor\nsystems:\n  emr: {}\n  pm: {}\n", system(&simulator.emr_url), system(&simulator.pm_url)),
    )
    .unwrap();
    Vendor { _runtime: runtime, _simulator: simulator, _dir: dir, target }
}

#[test]
fn messages_with_real_systems_are_written_only_with_show_phi_and_never_hold_the_credential() {
    let vendor = vendor();
    let run = |out: &Path, extra: &[&str]| {
        let mut args =
            vec!["run", NEW_PATIENT, "--target", vendor.target.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(extra);
        handoff(&args, &[("VENDOR_TOKEN", "tok-5up3r-s3cret")])
    };
    let dir = tempfile::tempdir().unwrap();

    let withheld = dir.path().join("withheld");
    let out = run(&withheld, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let note = "artifacts for vendor withheld: they hold patient values; pass --show-phi to write them";
    assert!(stderr(&out).contains(note), "{}", stderr(&out));
    assert_eq!(files_under(&withheld.join("artifacts")), BTreeSet::from(["index.json".to_string()]));
    let listed = index(&withheld.join("artifacts"));
    assert_eq!(listed["files"], serde_json::json!([]));
    assert_eq!(listed["withheld"], serde_json::json!([{ "target": "vendor", "reason": note }]));

    let shown = dir.path().join("shown");
    let out = run(&shown, &["--show-phi"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let artifacts = shown.join("artifacts");
    let written = files_under(&artifacts);
    assert!(
        written.contains("vendor/new-medicare-patient-em-25-with-procedure/001-pm-sent-POST-Patient.json"),
        "{written:?}"
    );
    assert!(written.contains("vendor/setup/001-emr-received-200-GET-metadata.json"), "{written:?}");
    assert_eq!(index(&artifacts)["withheld"], serde_json::json!([]));
    for path in &written {
        let text = std::fs::read_to_string(artifacts.join(path)).unwrap();
        assert!(!text.contains("tok-5up3r-s3cret") && !text.contains("Bearer"), "{path} holds the credential");
    }
}
