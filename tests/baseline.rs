//! Regression baselines as an integrator uses them: save one from a run they accept, run again after a vendor
//! update, and fail only on what got worse.

mod support;

use std::path::Path;

use support::handoff;

const SCENARIO: &str = "scenarios/new-medicare-patient-em-25-with-procedure.yaml";

/// The same vendor pair, release after release: only its interface's defects change.
fn vendor_pair(dir: &Path, file: &str, defects: &str) -> String {
    let path = dir.join(file);
    let text = format!(
        "name: vendor-pair\nsimulator:\n  topology: interfaced\n  interface: {{ delay: 100ms }}\n  defects:\n{defects}"
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn run(target: &str, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["run", SCENARIO, "--target", target, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = handoff(&args);
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), text)
}

#[test]
fn a_vendor_update_fails_only_on_what_got_worse() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let baseline_arg = baseline.to_str().unwrap();
    let accepted = vendor_pair(
        dir.path(),
        "v1.yaml",
        "    - truncate_family_name: { max_chars: 10 }\n    - drop_modifiers_after: { keep: 1 }\n",
    );
    let (code, text) = run(&accepted, &dir.path().join("r1"), &["--save-baseline", baseline_arg]);
    assert_eq!(code, Some(1), "the accepted release still has findings:\n{text}");
    assert!(text.contains(&format!("baseline: {baseline_arg}")), "{text}");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(saved["version"], 1);
    let kinds: Vec<String> = saved["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}/{} {}.{}", f["category"], f["kind"], f["record"], f["field"]).replace('"', ""))
        .collect();
    assert!(kinds.contains(&"sync/truncated patient.name.family".to_string()), "{kinds:?}");

    // The same release again: nothing got worse, so the run passes although it has findings.
    let (code, text) = run(&accepted, &dir.path().join("r2"), &["--baseline", baseline_arg]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("Compared with the baseline {baseline_arg}: nothing got worse.")), "{text}");

    // The update fixes the name column and breaks the diagnosis mapping.
    let updated = vendor_pair(
        dir.path(),
        "v2.yaml",
        "    - drop_modifiers_after: { keep: 1 }\n    - carry_first_diagnoses: { count: 4 }\n",
    );
    let out = dir.path().join("r3");
    let (code, text) = run(&updated, &out, &["--baseline", baseline_arg]);
    assert_eq!(code, Some(1), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let comparison = &report["baseline"];
    assert_eq!(comparison["file"], baseline_arg);
    let whats = |list: &str| -> Vec<String> {
        comparison[list].as_array().unwrap().iter().map(|c| c["what"].as_str().unwrap().to_string()).collect()
    };
    let worse = whats("regressions");
    assert!(
        worse.iter().any(|w| w.starts_with("new finding new-medicare-patient-em-25-with-procedure: handoff/dropped")
            && w.contains("Z79.84")),
        "{worse:?}"
    );
    assert!(worse.iter().any(|w| w.starts_with("handoff accuracy % ")), "{worse:?}");
    let better = whats("improvements");
    assert!(
        better.iter().any(
            |b| b.starts_with("gone new-medicare-patient-em-25-with-procedure: sync/truncated patient.name.family")
        ),
        "{better:?}"
    );
    assert!(better.iter().any(|b| b.starts_with("sync gap % ")), "{better:?}");
    assert!(text.contains("regression(s).\nWorse:\n  - vendor-pair: "), "{text}");
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains(&format!("Against the baseline `{baseline_arg}`: **")), "{markdown}");
}

#[test]
fn a_baseline_that_is_not_one_exits_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("baseline.json");
    std::fs::write(&bad, "{\n  \"version\": 1,\n  \"targets\": oops\n}\n").unwrap();
    let output =
        handoff(&["run", SCENARIO, "--target", "mocks/integrated-suite.yaml", "--baseline", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains(&format!("{}:3:14: not a handoff baseline: expected value", bad.display())), "{text}");
    assert!(text.contains("hint: make one with `handoff run --save-baseline FILE`"), "{text}");
}
