//! `handoff compare` as a practice choosing a vendor runs it: setups ranked, the buying guide answered, files written.

mod support;

use support::handoff;

#[test]
fn compare_ranks_the_suite_above_the_interfaced_pair_and_answers_the_guide() {
    let out = tempfile::tempdir().unwrap();
    let output = handoff(&[
        "compare",
        "scenarios",
        "--target",
        "mocks/interfaced-pair.yaml",
        "--target",
        "mocks/integrated-suite.yaml",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Findings are what a comparison is for: only a system that cannot be reached fails it.
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("2 setup(s) ranked over 3 scenario(s)"), "{stdout}");
    let first = stdout.find("#1 integrated-suite").expect("the suite ranks first");
    let second = stdout.find("#2 interfaced-pair").expect("the pair ranks second");
    assert!(first < second, "{stdout}");

    let compared: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("compare.json")).unwrap()).unwrap();
    let ranking = compared["ranking"].as_array().unwrap();
    let suite = &ranking[0];
    assert_eq!((suite["rank"].as_u64(), suite["target"].as_str()), (Some(1), Some("integrated-suite")));
    assert_eq!(suite["answers"]["emr_schedules_and_bills"]["answer"], "yes");
    assert_eq!(suite["answers"]["emr_schedules_and_bills"]["evidence"], "one suite, OneChart Suite, plays both roles");
    assert_eq!(suite["answers"]["one_record"]["answer"], "yes");
    assert_eq!(suite["answers"]["interface_breaks"]["answer"], "no interface");
    let pair = &ranking[1];
    assert_eq!(pair["target"], "interfaced-pair");
    assert_eq!(pair["answers"]["one_record"]["answer"], "no: interfaced");
    assert_eq!(
        pair["answers"]["emr_schedules_and_bills"]["evidence"],
        "ChartWise EMR schedules, but claims and billing need LedgerPoint PM"
    );
    // The interface's planted defects, named as a buyer reads them.
    let broke = pair["answers"]["interface_breaks"]["evidence"].as_str().unwrap();
    assert!(broke.starts_with("truncated patient.name.family ×3"), "{broke}");
    assert_eq!(pair["answers"]["paid_twice"]["answer"], "$40/provider/month");
    assert_eq!(pair["answers"]["paid_twice"]["evidence"], "scheduling sold by both products of $624 a month in all");
    let why = suite["why_this_rank"].as_str().unwrap();
    assert!(why.starts_with("ahead of interfaced-pair on scenarios passed: 3/3 against "), "{why}");

    let markdown = std::fs::read_to_string(out.path().join("compare.md")).unwrap();
    assert!(markdown.contains("| 1 | **integrated-suite** |"), "{markdown}");
    assert!(markdown.contains("| Do clinical and financial data share one record? | **yes** — "), "{markdown}");
    // The same run's usual reports are written beside the comparison.
    assert!(out.path().join("report.json").exists() && out.path().join("report.html").exists());
}

#[test]
fn compare_needs_two_setups() {
    let output = handoff(&["compare", "scenarios", "--target", "mocks/integrated-suite.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("handoff compare ranks vendor setups, so it needs at least two targets; found 1"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: name them with --target"), "{stderr}");
}
