//! `handoff run --partition k/n`: the shards CI runners cut from one suite are disjoint and together are the whole.

use std::path::Path;
use std::process::{Command, Output};

fn handoff(args: &[&str]) -> Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_handoff")).args(args).current_dir(repo).env("NO_COLOR", "1").output().unwrap()
}

/// The flows a run ran, by scenario name, from its JSON report.
fn flows(partition: Option<&str>) -> Vec<String> {
    let out_dir = tempfile::tempdir().unwrap();
    let mut args = vec!["run", "--target", "mocks/integrated-suite.yaml", "--patients", "3", "--seed", "5"];
    args.extend(["--format", "json", "--out", out_dir.path().to_str().unwrap()]);
    if let Some(shard) = partition {
        args.extend(["--partition", shard]);
    }
    let out = handoff(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["scenarios"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

#[test]
fn three_shards_are_disjoint_and_their_union_is_the_whole_run() {
    let whole = flows(None);
    assert_eq!(whole.len(), 9, "3 shipped scenarios × 3 patients: {whole:?}");
    let shards: Vec<Vec<String>> = ["1/3", "2/3", "3/3"].iter().map(|k| flows(Some(k))).collect();
    assert_eq!(shards.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3]);
    // Flow 0, 3, 6 of the stable order in the first shard: the files sorted by path, each with patients 0, 1, 2.
    assert_eq!(shards[0][0], whole[0]);
    assert_eq!(shards[0][1], whole[3]);
    let mut union: Vec<String> = shards.concat();
    union.sort();
    let mut sorted = whole.clone();
    sorted.sort();
    assert_eq!(union, sorted, "disjoint (no flow twice) and complete (no flow missing)");
}

#[test]
fn a_shard_that_does_not_exist_is_bad_usage() {
    let out = handoff(&["run", "--partition", "4/3"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`4/3` names no shard") && stderr.contains("1 ≤ k ≤ n"), "{stderr}");
}

#[test]
fn a_shard_with_no_flow_passes_and_says_so() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = handoff(&[
        "run",
        "scenarios/established-patient-in-office-lab.yaml",
        "--target",
        "mocks/integrated-suite.yaml",
        "--partition",
        "2/2",
        "--format",
        "json",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("--partition 2/2: this shard holds none of the 1 flow(s) of the run; nothing to run\n"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["scenarios"].as_array().unwrap().len(), 0);
}
