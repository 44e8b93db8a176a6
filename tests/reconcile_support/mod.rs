//! What the reconcile tests share: run the binary, and read a ground truth and a report's findings as the same
//! (patient, field, kind, EMR value, PM value) tuples, so each discrepancy planted can be looked for among those found.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

pub fn handoff(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handoff")).args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// (patient, field, kind, EMR value, PM value): what the ground truth lists and a finding says.
pub type Discrepancy = (String, String, String, Option<String>, Option<String>);

pub fn s(v: &Value) -> String {
    v.as_str().unwrap().to_string()
}

pub fn held(v: &Value) -> Option<String> {
    v.as_str().map(String::from)
}

/// The ground truth in `dir`, and its discrepancies.
pub fn planted(dir: &Path) -> (Value, BTreeSet<Discrepancy>) {
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("ground_truth.json")).unwrap()).unwrap();
    let listed = truth["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (s(&d["patient"]), s(&d["field"]), s(&d["kind"]), held(&d["emr"]), held(&d["pm"])))
        .collect();
    (truth, listed)
}

pub fn found(report: &Value) -> Vec<Discrepancy> {
    report["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            // The value a system holds is `actual` for the system the finding is about, `expected` for the other.
            let (emr, pm) = if f["system"] == "emr" {
                (held(&f["actual"]), held(&f["expected"]))
            } else {
                (held(&f["expected"]), held(&f["actual"]))
            };
            (s(&f["scenario"]), s(&f["field"]), s(&f["kind"]), emr, pm)
        })
        .collect()
}
