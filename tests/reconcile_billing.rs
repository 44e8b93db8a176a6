//! `handoff generate --billing` then `handoff reconcile` with the EMR's documentation, the PM's claims and the payer's
//! remittances: every planted discrepancy, demographic and billing, is found and nothing else; bad billing exports
//! stop with exit 2 naming the file and the line or segment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn handoff(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handoff")).args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// (key, record, field, kind): a patient's or encounter's key, and what the finding is about.
type Key = (String, String, String, String);

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

const DOCUMENTATION: [&str; 5] =
    ["Encounter.ndjson", "Condition.ndjson", "Procedure.ndjson", "ChargeItem.ndjson", "Coverage.ndjson"];

fn generated(dir: &Path, patients: &str, seed: &str, rate: &str) -> Value {
    let args = ["generate", "--patients", patients, "--seed", seed, "--rate", rate, "--billing", "--out", "."];
    let out = handoff(&args, dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(&std::fs::read_to_string(dir.join("ground_truth.json")).unwrap()).unwrap()
}

fn reconciled(dir: &Path, args: &[&str]) -> (Output, Value) {
    let rules = dir.join("no-rules-imported");
    let mut all = vec!["reconcile", "--rules", rules.to_str().unwrap(), "--format", "json", "--show-phi"];
    all.extend_from_slice(args);
    let out = handoff(&all, dir);
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

#[test]
fn reconcile_finds_exactly_the_planted_billing_and_demographic_discrepancies_of_400_patients() {
    let dir = tempfile::tempdir().unwrap();
    let truth = generated(dir.path(), "400", "21", "40");
    let planted: BTreeSet<Key> = truth["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (s(&d["patient"]), s(&d["record"]), s(&d["field"]), s(&d["kind"])))
        .collect();
    let defects: BTreeMap<String, usize> =
        truth["discrepancies"].as_array().unwrap().iter().filter(|d| d["record"] != "patient").fold(
            BTreeMap::new(),
            |mut n, d| {
                *n.entry(s(&d["defect"])).or_default() += 1;
                n
            },
        );
    assert_eq!(
        defects,
        BTreeMap::from([
            ("change_units".into(), 25),
            ("drop_diagnosis".into(), 10),
            ("drop_modifier".into(), 3),
            ("never_billed".into(), 25),
            ("swap_code".into(), 15),
            ("uncovered_service".into(), 28),
        ]),
        "seed 21 at 40% plants every billing defect that makes a finding"
    );

    let mut args = vec!["--emr", "emr.csv"];
    args.extend(DOCUMENTATION);
    args.extend(["--pm", "pm.csv", "--claims", "claims.837", "--remits", "remits.835"]);
    let (out, report) = reconciled(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "findings that count fail the run: {}", stderr(&out));
    let findings: Vec<Key> = report["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (s(&f["scenario"]), s(&f["record"]), s(&f["field"]), s(&f["kind"])))
        .collect();
    let unique: BTreeSet<Key> = findings.iter().cloned().collect();
    assert_eq!(unique.len(), findings.len(), "no finding twice");
    let missed: Vec<_> = planted.difference(&unique).collect();
    let extra: Vec<_> = unique.difference(&planted).collect();
    assert!(missed.is_empty() && extra.is_empty(), "missed {missed:?}\nextra {extra:?}");

    // The live run's categories and hops: a changed unit is a handoff finding at the claim, an uncovered service a
    // payment finding at the 835 that nothing predicted.
    let first = |kind: &str| {
        report["targets"][0]["findings"].as_array().unwrap().iter().find(|f| f["kind"] == kind).unwrap().clone()
    };
    let changed = first("changed");
    assert_eq!(
        (s(&changed["category"]), s(&changed["hop"]), s(&changed["system"])),
        ("handoff".into(), "pm.claim".into(), "pm".into())
    );
    let denied = first("denied");
    assert_eq!((s(&denied["category"]), s(&denied["hop"])), ("payment".into(), "payer.835".into()));
    assert_eq!((s(&denied["expected"]), s(&denied["actual"])), ("paid".into(), "denied CO-96".into()));
    assert!(s(&denied["message"]).contains("was denied CO-96, $100.00 not paid: not predicted"), "{denied}");

    // Every claim was remitted; those with the uncovered service were not paid in full on the first pass.
    let encounters = std::fs::read_to_string(dir.path().join("Encounter.ndjson")).unwrap().lines().count();
    let claims = encounters - defects["never_billed"];
    let scores = &report["targets"][0]["scores"];
    let first_pass = 100.0 * (claims - defects["uncovered_service"]) as f64 / claims as f64;
    assert_eq!(scores["first_pass_paid_pct"].as_f64(), Some((first_pass * 100.0).round() / 100.0));
    assert_eq!(scores["clean_claim_pct"].as_f64(), Some(100.0));
    // Claims under the PM's own number (CLM01 `C…`, not the encounter's `V…`) can only be matched by patient and date.
    let pm_numbered = std::fs::read_to_string(dir.path().join("claims.837")).unwrap().matches("CLM*C").count();
    assert!(pm_numbered > 0);
    let summary = stderr(&out);
    assert!(
        summary.contains(&format!(
            "{encounters} documented encounter(s), {claims} claim(s), {claims} remittance(s): {} claim(s) matched by \
             claim id, {pm_numbered} by patient and date of service; {} encounter(s) never billed, 0 claim(s) with no \
             documentation, 0 claim(s) with no remittance, 0 remittance(s) with no claim",
            claims - pm_numbered,
            defects["never_billed"]
        )),
        "{summary}"
    );
}

#[test]
fn billing_exports_alone_are_told_apart_by_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let truth = generated(dir.path(), "60", "4", "0");
    assert_eq!(truth["discrepancies"].as_array().map(Vec::len), Some(0));
    let mut args = vec!["reconcile", "--rules", "no-rules-imported", "--emr"];
    args.extend(DOCUMENTATION);
    args.extend(["--pm", "claims.837", "remits.835"]);
    let out = handoff(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stderr(&out);
    assert!(
        summary
            .contains("0 encounter(s) never billed, 0 claim(s) with no documentation, 0 claim(s) with no remittance"),
        "{summary}"
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Handoff accuracy %") && table.contains("100.0"), "{table}");
}

#[test]
fn bad_billing_exports_stop_with_exit_2_naming_the_file_and_the_line_or_segment() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), "20", "4", "0");
    let path = |name: &str| dir.path().join(name);
    let mut charges = std::fs::read_to_string(path("ChargeItem.ndjson")).unwrap();
    charges.insert_str(charges.find('\n').unwrap() + 1, "{\"resourceType\": \"ChargeItem\",\n");
    std::fs::write(path("bad.ndjson"), charges).unwrap();
    let (out, _) = reconciled(dir.path(), &["--emr", "Encounter.ndjson", "bad.ndjson", "--pm", "claims.837"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("bad.ndjson:2: is not a JSON object"), "{}", stderr(&out));

    let claims = std::fs::read_to_string(path("claims.837")).unwrap();
    let at = claims.find("*HC:").unwrap();
    std::fs::write(path("bad.837"), format!("{}*HC{}", &claims[..at], &claims[at + 4..])).unwrap();
    let segment = claims[..at].split('~').filter(|s| !s.trim().is_empty()).count();
    let (out, _) = reconciled(dir.path(), &["--emr", "Encounter.ndjson", "--pm", "bad.837"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .starts_with(&format!("bad.837: SV101-2 (segment {segment}) is empty; expected the procedure code")),
        "{}",
        stderr(&out)
    );

    let (out, _) =
        reconciled(dir.path(), &["--emr", "Encounter.ndjson", "--pm", "claims.837", "--remits", "claims.837"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("claims.837: ST01 (segment 3) is `837`; expected 835"), "{}", stderr(&out));
}

/// The PM's `claims.837` holds an interchange a claim, as batch exports often do: `validate` and `scrub` read them all,
/// given the file or the folder it is in.
#[test]
fn the_generated_claims_batch_of_many_interchanges_is_validated_and_scrubbed_whole() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), "30", "4", "3");
    std::fs::create_dir(dir.path().join("batches")).unwrap();
    std::fs::rename(dir.path().join("claims.837"), dir.path().join("batches/claims.837")).unwrap();
    let interchanges = std::fs::read_to_string(dir.path().join("batches/claims.837")).unwrap().matches("~IEA*").count();
    assert_eq!(interchanges, 29);
    let out = handoff(&["validate", "batches"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok  batches/claims.837: 837P batch, 29 claim(s), 49 service line(s)\n"
    );
    let out = handoff(&["scrub", "batches", "--store", "no-rules-imported", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let scrubbed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scrubbed["claims"].as_array().unwrap().len(), 29);
    assert!(scrubbed["claims"].as_array().unwrap().iter().all(|c| c["file"] == "batches/claims.837"));
    let out = handoff(&["scrub", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), ".: the folder holds no 837P batch (files ending in .837, .x12, .edi, .txt)\n");
}
