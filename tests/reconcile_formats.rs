//! `handoff reconcile` over every patient source format: generated FHIR NDJSON and HL7 v2 logs reconcile to exactly
//! the ground truth, as CSV does, alone and mixed with CSV; an 837 is a PM's patient source; malformed NDJSON and HL7
//! and a file whose name belies its content are refused (exit 2) naming the file and line.

mod reconcile_support;

use std::collections::BTreeSet;
use std::path::Path;

use reconcile_support::{Discrepancy, found, handoff, s, stderr};
use serde_json::Value;

fn planted(dir: &Path) -> BTreeSet<Discrepancy> {
    reconcile_support::planted(dir).1
}

fn generate(dir: &Path, format: &str) {
    let args = ["generate", "--patients", "2000", "--seed", "11", "--rate", "8", "--format", format, "--out", format];
    let out = handoff(&args, dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Reconciles and checks the findings are exactly the ground truth of `truth_dir`; returns the summary line.
fn reconcile_exactly(dir: &Path, emr: &[&str], pm: &[&str], truth_dir: &str) -> String {
    let mut args = vec!["reconcile", "--emr"];
    args.extend(emr);
    args.push("--pm");
    args.extend(pm);
    args.extend(["--format", "json", "--show-phi"]);
    let out = handoff(&args, dir);
    assert_eq!(out.status.code(), Some(1), "findings that count fail the run: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = found(&report);
    let unique: BTreeSet<Discrepancy> = findings.iter().cloned().collect();
    assert_eq!(unique.len(), findings.len(), "no finding twice");
    let planted = planted(&dir.join(truth_dir));
    let missed: Vec<_> = planted.difference(&unique).collect();
    let extra: Vec<_> = unique.difference(&planted).collect();
    assert!(missed.is_empty() && extra.is_empty(), "missed {missed:?}\nextra {extra:?}");
    assert_eq!(findings.len(), 173, "seed 11 at 8% plants this many, whatever the format");
    let kinds: BTreeSet<&str> = findings.iter().map(|d| d.2.as_str()).collect();
    assert_eq!(kinds.len(), 6, "every kind: {kinds:?}");
    let pm_duplicates = report["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "duplicate_record" && f["system"] == "pm")
        .count();
    assert_eq!(pm_duplicates, 21, "the pm's own duplicates are found too");
    s(&report["targets"][0]["flows"][0]["steps"][0]["message"])
}

const SUMMARY: &str = "2000 EMR row(s) against 2021 PM row(s): 1969 matched by cross-referenced id, 9 by demographics, \
                       1 fuzzy (confidence ≥ 0.80); 21 duplicate(s) in the EMR, 21 in the PM, 0 only in the EMR, 21 \
                       only in the PM";

#[test]
fn fhir_ndjson_exports_reconcile_to_exactly_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "ndjson");
    let patient = std::fs::read_to_string(dir.path().join("ndjson/emr/Patient.ndjson")).unwrap();
    let first: Value = serde_json::from_str(patient.lines().next().unwrap()).unwrap();
    assert_eq!((first["resourceType"].as_str(), first["id"].as_str()), (Some("Patient"), Some("E00000000")));
    // The folders stand for the Bulk Data output: Patient.ndjson joined to Coverage.ndjson beside it.
    let summary = reconcile_exactly(dir.path(), &["ndjson/emr"], &["ndjson/pm"], "ndjson");
    assert_eq!(summary, SUMMARY);
}

#[test]
fn hl7_v2_logs_reconcile_to_exactly_the_ground_truth_the_last_message_winning() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "hl7");
    let log = std::fs::read_to_string(dir.path().join("hl7/emr.hl7")).unwrap();
    // Every changed patient is registered as first keyed in, then updated: the update decides what the EMR holds.
    assert_eq!(log.matches("|ADT^A08^ADT_A01|").count(), 78);
    assert_eq!(log.matches("|ADT^A40^ADT_A39|").count(), 11, "duplicates registered and merged at once");
    let out = handoff(&["reconcile", "--emr", "hl7/emr.hl7", "--pm", "hl7/pm.hl7", "--format", "json"], dir.path());
    assert!(
        stderr(&out)
            .starts_with("hl7/emr.hl7: 2100 message(s): 2089 registration(s) and update(s), 11 merge(s), 0 skipped"),
        "{}",
        stderr(&out)
    );
    let summary = reconcile_exactly(dir.path(), &["hl7/emr.hl7"], &["hl7/pm.hl7"], "hl7");
    assert_eq!(summary, SUMMARY);
}

#[test]
fn formats_mix_emr_ndjson_against_pm_csv_and_the_emr_log_against_the_pm_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "ndjson", "hl7"] {
        generate(dir.path(), format);
    }
    // The same seed gives the same patients and discrepancies in every format, so one ground truth serves.
    assert_eq!(planted(&dir.path().join("csv")), planted(&dir.path().join("ndjson")));
    let summary = reconcile_exactly(dir.path(), &["ndjson/emr"], &["csv/pm.csv"], "csv");
    assert_eq!(summary, SUMMARY);
    let summary = reconcile_exactly(dir.path(), &["hl7/emr.hl7"], &["ndjson/pm"], "csv");
    assert_eq!(summary, SUMMARY);
}

#[test]
fn an_837_is_a_pms_patient_source_matched_by_demographics() {
    let dir = tempfile::tempdir().unwrap();
    let claims = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/x12/837p_two_claims.x12");
    std::fs::copy(claims, dir.path().join("claims.837")).unwrap();
    // The EMR keeps the PM's account number, which an 837 does not carry: nothing to compare it with, not a gap.
    let emr = "patient_id,xref,family,given,middle,birth_date,sex,address_line,city,state,postal_code,payer,member_id\n\
               E1,A100,Lopez-Hernandez,Ana,Maria,1958-12-03,female,1200 Bayview Ave Apt 4B,Tampa,FL,33606,medicare,\
               1EG4TE5MK72\n";
    std::fs::write(dir.path().join("emr.csv"), emr).unwrap();
    let out =
        handoff(&["reconcile", "--emr", "emr.csv", "--pm", "claims.837", "--format", "json", "--show-phi"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = found(&report);
    // Two claims, one patient; the 837 names the payer in capitals (a difference of form) and the EMR swapped the
    // birth day and month, so the fuzzy pass ties them together on name, member id and address.
    assert_eq!(
        findings,
        [
            (
                "1EG4TE5MK72".into(),
                "birth_date".into(),
                "mismatch".into(),
                Some("1958-12-03".into()),
                Some("1958-03-12".into())
            ),
            (
                "1EG4TE5MK72".into(),
                "payer".into(),
                "format_only".into(),
                Some("medicare".into()),
                Some("MEDICARE".into())
            ),
        ]
    );
    let summary = s(&report["targets"][0]["flows"][0]["steps"][0]["message"]);
    assert!(
        summary.starts_with(
            "1 EMR row(s) against 1 PM row(s): 0 matched by cross-referenced id, 0 by demographics, 1 fuzzy"
        ),
        "{summary}"
    );
}

/// A PM side of an 837 and a CSV: the EMR's cross-references are compared with the ids of the CSV's patients, not
/// with the member ids that stand in for ids in the 837, and a finding names the PM export its row is in.
#[test]
fn a_pm_side_of_an_837_and_a_csv_compares_cross_references_only_where_the_pm_ids_are() {
    let dir = tempfile::tempdir().unwrap();
    let claims = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/x12/837p_two_claims.x12");
    std::fs::copy(claims, dir.path().join("claims.837")).unwrap();
    let pm = "patient_id,family,given,birth_date,sex\nP7,Smith,Bob,1970-01-01,male\nP9,Jones,Carl,1980-02-02,male\n";
    std::fs::write(dir.path().join("pm.csv"), pm).unwrap();
    let emr = "patient_id,xref,family,given,middle,birth_date,sex,address_line,city,state,postal_code,payer,member_id\n\
               E1,A100,Lopez-Hernandez,Ana,Maria,1958-12-03,female,1200 Bayview Ave Apt 4B,Tampa,FL,33606,medicare,\
               1EG4TE5MK72\n\
               E2,P8,Smith,Bob,,1970-01-01,male,,,,,,\n";
    std::fs::write(dir.path().join("emr.csv"), emr).unwrap();
    let args = ["reconcile", "--emr", "emr.csv", "--pm", "claims.837", "pm.csv", "--format", "json", "--show-phi"];
    let out = handoff(&args, dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = found(&report);
    let kinds: Vec<(&str, &str)> = findings.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert_eq!(
        kinds,
        [("1EG4TE5MK72", "birth_date"), ("1EG4TE5MK72", "payer"), ("P7", "xref"), ("P9", "")],
        "Ana's account number A100 is not compared with her member id; Bob's P8 is compared with P7"
    );
    assert_eq!(findings[2], ("P7".into(), "xref".into(), "mismatch".into(), Some("P8".into()), Some("P7".into())));
    let messages: Vec<&str> =
        report["targets"][0]["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(messages[3], "the pm holds patient `P9` (pm.csv line 3) and no emr row matches them");
    let summary = s(&report["targets"][0]["flows"][0]["steps"][0]["message"]);
    assert!(
        summary.starts_with(
            "2 EMR row(s) against 3 PM row(s): 0 matched by cross-referenced id, 1 by demographics, 1 fuzzy"
        ),
        "{summary}"
    );
}

#[test]
fn malformed_ndjson_and_hl7_are_refused_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let pm = "patient_id,family,given,birth_date,sex\nP1,Lopez,Ana,1958-03-12,female\n";
    std::fs::write(dir.path().join("pm.csv"), pm).unwrap();
    let ana =
        r#"{"resourceType":"Patient","id":"E1","name":[{"family":"Lopez","given":["Ana"]}],"birthDate":"1958-03-12"}"#;
    std::fs::write(dir.path().join("Patient.ndjson"), format!("{ana}\n\n{{\"resourceType\":\"Patient\",\"id\":\n"))
        .unwrap();
    let out = handoff(&["reconcile", "--emr", "Patient.ndjson", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let error = stderr(&out);
    assert!(error.starts_with("Patient.ndjson:3: not a JSON resource"), "{error}");
    assert!(error.contains("expected one FHIR resource a line (NDJSON)"), "{error}");

    let good = "MSH|^~\\&|EMR|C|PM|C|20260105090000||ADT^A04^ADT_A01|M1|P|2.5.1\r\nEVN|A04\r\n\
                PID|1||E1^^^EMR^MR||Lopez^Ana||19580312|F\r\n";
    let bad = "MSH|^~\\&|EMR|C|PM|C|20260105090001||ADT^A08^ADT_A01|M2|P|2.5.1\r\nEVN|A08\r\nPID|1||E1^^^EMR^MR||Lopez^Ana||1958|F\r\n";
    std::fs::write(dir.path().join("emr.hl7"), format!("{good}{bad}")).unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.hl7", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        "emr.hl7:4: message 2 (MSH-10 `M2`): PID-7 (segment 3) is `1958`; expected the birth date as YYYYMMDD"
    );
}

#[test]
fn a_name_that_belies_the_content_is_refused_and_the_format_can_be_forced() {
    let dir = tempfile::tempdir().unwrap();
    let pm = "patient_id,family,given,birth_date,sex\nP1,Lopez,Ana,1958-03-12,female\n";
    std::fs::write(dir.path().join("pm.csv"), pm).unwrap();
    let log = "MSH|^~\\&|EMR|C|PM|C|20260105090000||ADT^A04^ADT_A01|M1|P|2.5.1\rEVN|A04\r\
               PID|1||E1^^^EMR^MR~P1^^^PM||Lopez^Ana||19580312|F\r";
    std::fs::write(dir.path().join("emr.csv"), log).unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let error = stderr(&out);
    assert!(error.starts_with("emr.csv: the name says CSV but the file starts like an HL7 v2 log"), "{error}");
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--emr-format", "hl7", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(0), "the log's patient is the PM's, cross-referenced: {}", stderr(&out));
    // Named .txt, as archives often are, the first bytes decide.
    std::fs::rename(dir.path().join("emr.csv"), dir.path().join("archive.txt")).unwrap();
    let out = handoff(&["reconcile", "--emr", "archive.txt", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
