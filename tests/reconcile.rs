//! `handoff generate` then `handoff reconcile`: every discrepancy the generator planted is found, and nothing else.

mod reconcile_support;

use std::collections::BTreeSet;

use reconcile_support::{Discrepancy, found, handoff, planted, s, stderr};
use serde_json::Value;

#[test]
fn reconcile_finds_exactly_the_planted_discrepancies_of_2000_patients() {
    let dir = tempfile::tempdir().unwrap();
    let out = handoff(&["generate", "--patients", "2000", "--seed", "11", "--rate", "8", "--out", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (truth, planted) = planted(dir.path());
    assert_eq!(truth["patients"], 2000);
    let kinds: BTreeSet<&str> = planted.iter().map(|d| d.2.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["duplicate_record", "format_only", "missing_field", "missing_record", "mismatch", "truncated"]),
        "the mixed profile plants every kind"
    );
    let args = ["reconcile", "--emr", "emr.csv", "--pm", "pm.csv", "--format", "json", "--show-phi", "--out", "r"];
    let out = handoff(&args, dir.path());
    assert_eq!(out.status.code(), Some(1), "findings that count fail the run: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = found(&report);
    let unique: BTreeSet<Discrepancy> = findings.iter().cloned().collect();
    assert_eq!(unique.len(), findings.len(), "no finding twice");
    let missed: Vec<_> = planted.difference(&unique).collect();
    let extra: Vec<_> = unique.difference(&planted).collect();
    assert!(missed.is_empty() && extra.is_empty(), "missed {missed:?}\nextra {extra:?}");
    assert_eq!(findings.len(), 173, "seed 11 at 8% plants this many");
    // Patients whose cross-reference was lost are matched by demographics, and fuzzily where their name or birth
    // date changed too; the summary says how each was matched.
    let summary = s(&report["targets"][0]["flows"][0]["steps"][0]["message"]);
    assert!(
        summary.starts_with(
            "2000 EMR row(s) against 2021 PM row(s): 1969 matched by cross-referenced id, 9 by demographics, 1 fuzzy"
        ),
        "{summary}"
    );
    assert!(
        summary.ends_with("21 duplicate(s) in the EMR, 21 in the PM, 0 only in the EMR, 21 only in the PM"),
        "{summary}"
    );
    // The same report model as a live run: scores from the same tallies, and every report file written.
    let gap = report["targets"][0]["scores"]["sync_gap_pct"].as_f64().unwrap();
    assert!(gap > 0.0 && gap < 2.0, "{gap}");
    for file in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(dir.path().join("r").join(file).is_file(), "{file}");
    }
    let written: Value = serde_json::from_slice(&std::fs::read(dir.path().join("r/report.json")).unwrap()).unwrap();
    assert_eq!(written, report, "report.json holds what --format json printed");
    let junit = std::fs::read_to_string(dir.path().join("r/junit.xml")).unwrap();
    assert!(junit.contains("<testsuites name=\"handoff reconcile-"), "{junit}");
    // One test case for the reconciliation, then one per field the exports disagree on, with how often.
    assert!(junit.contains("<testcase name=\"reconcile\""), "{junit}");
    assert!(junit.contains("<testcase name=\"sync patient.birth_date\" classname=\"emr.csv ⇄ pm.csv\">"), "{junit}");
    let cases: Vec<&str> = junit.split("<testcase name=\"").skip(1).map(|c| c.split('"').next().unwrap()).collect();
    let fields = ["patient", "patient.birth_date", "patient.id", "patient.name.family", "patient.name.given[2]"];
    let expected: Vec<String> = std::iter::once("reconcile".to_string())
        .chain(fields.iter().map(|f| format!("sync {f}")))
        .chain(["sync patient.xref".to_string()])
        .collect();
    assert_eq!(cases, expected, "format-only differences (phones) do not count, so have no case");
    assert_eq!(junit.matches("<failure ").count(), 7, "the exports disagree on every field listed");
}

#[test]
fn exports_are_phi_and_are_redacted_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    // Few enough findings (at most 40) that the scorecard lists each one with its values.
    let out = handoff(&["generate", "--patients", "300", "--seed", "2", "--rate", "15", "--out", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv"], dir.path());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("handoff reconcile reconcile-"), "the heading names the command: {table}");
    assert!(table.lines().next().unwrap().contains(" — emr.csv ⇄ pm.csv in "), "{table}");
    assert!(table.contains("[redacted]") && table.contains("sync truncated"), "{table}");
    // Patient ids (MRNs, account numbers) are identifiers too: findings are keyed by a pseudonym instead.
    assert!(table.contains("│ patient #1 "), "{table}");
    assert!(!table.contains("P0000") && !table.contains("E0000"), "no patient id is shown: {table}");
    let truth = std::fs::read_to_string(dir.path().join("ground_truth.json")).unwrap();
    let truncated = truth.lines().find(|l| l.contains("\"truncated\"")).unwrap();
    let cut: Value = serde_json::from_str(truncated.trim().trim_end_matches(',')).unwrap();
    assert!(!table.contains(cut["emr"].as_str().unwrap()), "a cut name is not shown");
}

#[test]
fn a_row_with_a_field_too_many_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let header = "patient_id,xref,family,given,birth_date,sex\n";
    std::fs::write(dir.path().join("pm.csv"), format!("{header}P1,E1,Lopez,Ana,1958-03-12,female\n")).unwrap();
    let emr = format!("{header}E1,P1,Lopez,Ana,1958-03-12,female\nE2,P2,Smith, Jr,Al,1960-01-01,male\n");
    std::fs::write(dir.path().join("emr.csv"), emr).unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("emr.csv:3: 7 field(s) where the header has 6"), "{}", stderr(&out));
}

#[test]
fn a_workbook_under_a_csv_name_or_a_file_for_the_report_folder_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let out = handoff(&["generate", "--patients", "50", "--seed", "3", "--out", "."], dir.path());
    assert_eq!(
        stderr(&out),
        "generated 50 patients (seed 3, defects mixed, 5%): ./emr.csv, pm.csv and ground_truth.json with 1 \
         discrepancy\n"
    );
    std::fs::write(dir.path().join("taken"), "a file").unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv", "--out", "taken"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "taken: cannot write the report there: it is a file; name a folder with --out\n");
    assert!(out.stdout.is_empty(), "nothing was read");
    // What Excel writes for an .xlsx: a ZIP archive.
    std::fs::write(dir.path().join("emr.csv"), b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00").unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "emr.csv: is not a text export: it is a ZIP archive (as an .xlsx workbook is); save the sheet as CSV \
         (UTF-8), or unzip the archive\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn generate_refuses_a_rate_or_a_defect_profile_it_cannot_plant() {
    let dir = tempfile::tempdir().unwrap();
    let out = handoff(&["generate", "--patients", "10", "--defects", "nonsense", "--out", "g"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "--defects nonsense: neither `mixed`, `none`, nor a simulator profile file (there is no such file); use \
         `mixed`, `none` or a file from mocks/, such as mocks/interfaced-pair.yaml\n"
    );
    let out = handoff(&["generate", "--patients", "10", "--rate", "200", "--out", "g"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "--rate 200: a share of patients is between 0 and 100 (percent)\n");
    assert!(!dir.path().join("g").exists(), "nothing written");
}

/// The exports are read on threads of their own, many rows ahead (and, on more than two cores, files as large as
/// these, over 4 MB, in blocks at once): a problem far into either file still stops the run with its file and
/// line, and nothing is reported as found.
#[test]
fn a_problem_deep_in_either_export_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let header = "patient_id,xref,family,given,birth_date,sex\n";
    let rows = |side: &str, other: &str| {
        let mut text = header.to_string();
        for i in 0..120_000 {
            text.push_str(&format!("{side}{i},{other}{i},Lopez,Ana,1958-03-12,female\n"));
        }
        text
    };
    let (pm, emr) = (rows("P", "E"), rows("E", "P"));
    assert!(pm.len() > 4 << 20, "large enough to be read in blocks");
    // Line 85,002 of the PM's export opens a quote it never closes; line 100,002 of the EMR's has a field too many.
    let broken_pm = pm.replacen("P85000,E85000,Lopez", "P85000,E85000,\"Lopez", 1);
    let broken_emr = emr.replacen("E100000,P100000,Lopez", "E100000,P100000,Lopez,Jr", 1);
    std::fs::write(dir.path().join("pm.csv"), &broken_pm).unwrap();
    std::fs::write(dir.path().join("emr.csv"), &emr).unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("pm.csv:85002: the quote at column 15 opens a field that is never closed"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "no report for a run that could not read its input");
    std::fs::write(dir.path().join("pm.csv"), &pm).unwrap();
    std::fs::write(dir.path().join("emr.csv"), &broken_emr).unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("emr.csv:100002: 7 field(s) where the header has 6"), "{}", stderr(&out));
}

#[test]
fn a_column_map_reads_a_vendors_own_headers() {
    let dir = tempfile::tempdir().unwrap();
    let pm = "Account,Last Name,First Name,DOB,Gender,Home Phone\nA-77,Lopez-Hernandez,Ana,1958-03-12,female,(813) 555-0142\n";
    let emr = "MRN,Surname,Given,Born,Sex,Phone\n9001,Lopez-Hern,Ana,1958-03-12,female,8135550142\n";
    std::fs::write(dir.path().join("pm.csv"), pm).unwrap();
    std::fs::write(dir.path().join("emr.csv"), emr).unwrap();
    let map = "pm: { patient_id: Account, family: Last Name, given: First Name, birth_date: DOB, sex: Gender, phone: Home Phone }\n\
               emr: { patient_id: MRN, family: Surname, birth_date: Born }\n";
    std::fs::write(dir.path().join("map.yaml"), map).unwrap();
    let args =
        ["reconcile", "--emr", "emr.csv", "--pm", "pm.csv", "--map", "map.yaml", "--format", "json", "--show-phi"];
    let out = handoff(&args, dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = found(&report);
    // No ids in common: the fuzzy pass matches them on the cut name, the birth date and the phone.
    assert_eq!(
        findings,
        [
            (
                "A-77".into(),
                "name.family".into(),
                "truncated".into(),
                Some("Lopez-Hern".into()),
                Some("Lopez-Hernandez".into())
            ),
            (
                "A-77".into(),
                "phone".into(),
                "format_only".into(),
                Some("8135550142".into()),
                Some("(813) 555-0142".into())
            ),
        ]
    );
    let message = s(&report["targets"][0]["findings"][0]["message"]);
    assert!(message.contains("matched with confidence"), "{message}");
}

#[test]
fn a_misspelled_column_in_the_map_is_placed_and_corrected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pm.csv"), "patient_id\nP1\n").unwrap();
    std::fs::write(dir.path().join("emr.csv"), "MRN\n9001\n").unwrap();
    std::fs::write(dir.path().join("map.yaml"), "emr:\n  patient_idd: MRN\n").unwrap();
    let out = handoff(&["reconcile", "--emr", "emr.csv", "--pm", "pm.csv", "--map", "map.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("map.yaml:2:3: unknown variant `patient_idd`, expected one of patient_id, xref,"), "{text}");
    assert!(text.contains("help: did you mean `patient_id`?"), "{text}");
    assert!(text.ends_with("help: `handoff schema map` prints the column map's schema\n"), "{text}");
}
