//! The binary as a user runs it: exit codes, what lands on stdout and stderr, and the files it writes.

use std::path::Path;
use std::process::{Command, Output};

fn handoff(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handoff")).args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap()
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_invalid_input_names_file_line_and_column_and_exits_2() {
    let dir = repo().join("tests/inputs/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 12);
    for file in files {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        let out = handoff(&["validate", &format!("tests/inputs/invalid/{name}")], repo());
        assert_eq!(out.status.code(), Some(2), "{name}");
        let text = stderr(&out);
        let located = format!("tests/inputs/invalid/{name}:");
        let position =
            text.split(&located).nth(1).map(|rest| rest.split(':').take(2).all(|n| n.parse::<u32>().is_ok()));
        assert_eq!(position, Some(true), "{name} does not say file:line:col:\n{text}");
        insta::assert_snapshot!(name.trim_end_matches(".yaml"), text);
    }
}

#[test]
fn a_misspelled_key_gets_a_did_you_mean() {
    let out = handoff(&["validate", "tests/inputs/invalid/misspelled-top-level-key.yaml"], repo());
    let text = stderr(&out);
    assert!(text.contains("tests/inputs/invalid/misspelled-top-level-key.yaml:6:1: unknown field `stpes`"), "{text}");
    assert!(text.contains("did you mean `steps`?"), "{text}");
}

#[test]
fn the_shipped_files_validate() {
    let out = handoff(
        &[
            "validate",
            "scenarios/new-medicare-patient-em-25-with-procedure.yaml",
            "scenarios/established-patient-in-office-lab.yaml",
            "scenarios/address-and-phone-change.yaml",
            "mocks/integrated-suite.yaml",
            "mocks/interfaced-pair.yaml",
            "mocks/bolted-on.yaml",
            "mocks/billing-first-pm.yaml",
            "mocks/interfaced-best-of-breed.yaml",
        ],
        repo(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ok  scenarios/new-medicare-patient-em-25-with-procedure.yaml: scenario `new-medicare-patient-em-25-with-procedure`, 10 steps"), "{stdout}");
    assert!(stdout.contains("ok  mocks/interfaced-pair.yaml: simulator profile `interfaced-pair`"), "{stdout}");
}

#[test]
fn the_readme_real_system_targets_are_valid_and_are_the_ones_tested() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for (heading, file) in [
        ("# A vendor's FHIR R4 sandbox", "vendor-sandbox.yaml"),
        ("# A vendor EMR and PM joined by their HL7 v2.5.1 interface", "vendor-interface.yaml"),
        ("# A PM whose claims go to the clearinghouse as X12 files", "pm-exports.yaml"),
    ] {
        let start = readme.find(heading).unwrap_or_else(|| panic!("README has no `{heading}` example"));
        let block = &readme[start..start + readme[start..].find("```").unwrap()];
        let path = format!("tests/inputs/targets/{file}");
        let text = std::fs::read_to_string(repo().join(&path)).unwrap();
        assert_eq!(block, text, "README's target example and {path} differ");
        let out = handoff(&["validate", &path], repo());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("ok  {path}: target `")), "{path}");
    }
}

#[test]
fn run_with_no_arguments_scores_the_shipped_library_and_writes_report_json() {
    let out_dir = tempfile::tempdir().unwrap();
    let out_arg = out_dir.path().to_str().unwrap();
    let out = handoff(&["run", "--format", "json", "--out", out_arg], repo());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(printed, written);
    let names: Vec<&str> = written["targets"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["billing-first-pm", "bolted-on", "integrated-suite", "interfaced-best-of-breed", "interfaced-pair"]
    );
    assert_eq!(written["targets"][2]["scores"]["sync_gap_pct"], 0.0);
    assert_eq!(written["targets"][2]["scores"]["handoff_accuracy_pct"], 100.0);
    // Three names cut short, two billing elements dropped, and the E/M its payer bundled (it ignores modifier 25).
    assert_eq!(written["targets"][4]["findings"].as_array().unwrap().len(), 6);
    for key in ["category", "kind", "scenario", "field", "expected", "actual", "system"] {
        assert!(written["targets"][4]["findings"][0].get(key).is_some(), "finding lacks {key}");
    }
    // Modifier 25 dropped by the best-of-breed interface, traced to the charge it was lost in.
    let best = &written["targets"][3]["findings"];
    let dropped = best.as_array().unwrap().iter().find(|f| f["field"] == "line[1].modifier[1]").unwrap();
    assert_eq!((dropped["expected"].as_str(), dropped["hop"].as_str()), (Some("25"), Some("pm.charge")));
}

#[test]
fn the_table_puts_targets_side_by_side() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = handoff(&["run", "--out", out_dir.path().to_str().unwrap()], repo());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let header = stdout.lines().find(|l| l.contains("integrated-suite")).unwrap();
    assert!(header.find("bolted-on") < header.find("integrated-suite"), "{header}");
    assert!(header.find("integrated-suite") < header.find("interfaced-pair"), "{header}");
    let gap = stdout.lines().find(|l| l.contains("Sync gap %")).unwrap();
    assert!(gap.contains("0.0") && gap.contains("5.1"), "{gap}");
    let accuracy = stdout.lines().find(|l| l.contains("Handoff accuracy %")).unwrap();
    assert!(accuracy.contains("100.0") && accuracy.contains("96.3"), "{accuracy}");
    let topology = stdout.lines().find(|l| l.contains("Topology")).unwrap();
    assert!(topology.contains("batch-synced") && topology.contains("shared record"), "{topology}");
    let twice = stdout.lines().find(|l| l.contains("Paid for twice")).unwrap();
    assert!(twice.contains("scheduling — $40"), "{twice}");
    assert!(stdout.contains("Lopez-Hern"), "{stdout}");
}

#[test]
fn an_unreachable_target_exits_3_and_still_writes_its_report() {
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("down.yaml");
    std::fs::write(
        &target,
        "name: down\nsystems:\n  emr: { fhir: { base_url: \"http://127.0.0.1:9\" } }\n  pm: { fhir: { base_url: \"http://127.0.0.1:9\" } }\n",
    )
    .unwrap();
    let report_dir = out_dir.path().join("out");
    let out = handoff(
        &[
            "run",
            "scenarios/address-and-phone-change.yaml",
            "--target",
            target.to_str().unwrap(),
            "--out",
            report_dir.to_str().unwrap(),
        ],
        repo(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["targets"][0]["findings"][0]["kind"], "unreachable");
}

#[test]
fn an_unwritable_report_folder_or_baseline_stops_the_run_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), "a file, not a folder").unwrap();
    let scenario = repo().join("scenarios/established-patient-in-office-lab.yaml");
    let target = repo().join("mocks/integrated-suite.yaml");
    let (scenario, target) = (scenario.to_str().unwrap(), target.to_str().unwrap());
    let out = handoff(&["run", scenario, "--target", target, "--out", "taken"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no flow ran");
    assert!(
        stderr(&out).starts_with("taken: cannot write the reports there: ")
            && stderr(&out).ends_with("; name another folder with --out\n"),
        "{}",
        stderr(&out)
    );
    let out = handoff(&["run", scenario, "--target", target, "--save-baseline", "missing/b.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no flow ran");
    assert_eq!(stderr(&out), "missing/b.json: cannot write the baseline there: the folder missing does not exist\n");
    assert!(!dir.path().join("reports").exists(), "no report folder is left behind");
    // Found only once the run is over (a folder where the file would go), a baseline not written loses no report.
    std::fs::create_dir(dir.path().join("a-folder")).unwrap();
    let args = ["run", scenario, "--target", target, "--save-baseline", "a-folder", "--out", "kept"];
    let out = handoff(&args, dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("a-folder: cannot write the baseline: Is a directory"), "{}", stderr(&out));
    assert!(dir.path().join("kept/report.json").is_file() && dir.path().join("kept/junit.xml").is_file());
}

#[test]
fn run_outside_a_project_says_where_it_looked() {
    let empty = tempfile::tempdir().unwrap();
    let out = handoff(&["run"], empty.path());
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("scenarios: no such file or folder"), "{text}");
    assert!(text.contains("mocks: no such file or folder"), "{text}");
}

#[test]
fn schema_prints_each_format() {
    for (which, title) in [("scenario", "handoff scenario"), ("target", "handoff target"), ("report", "handoff report")]
    {
        let out = handoff(&["schema", which], repo());
        assert_eq!(out.status.code(), Some(0));
        let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(schema["title"], title);
    }
    let out = handoff(&["schema", "scenario"], repo());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = schema["$defs"]["Step"]["oneOf"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["required"][0].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "register",
            "update_patient",
            "schedule",
            "document",
            "build_claim",
            "expect_synced",
            "expect_charges",
            "expect_claim",
            "expect_remittance",
        ]
    );
}

#[test]
fn bad_usage_exits_2() {
    let out = handoff(&["run", "--format", "xml"], repo());
    assert_eq!(out.status.code(), Some(2));
    // A run of no patients would pass having run nothing.
    let out = handoff(&["run", "--patients", "0"], repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(
            "error: invalid value '0' for '--patients <N>': a run of no patients runs nothing; give at least 1"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn mock_serve_answers_fhir_on_loopback_until_stopped() {
    let served = serve("mocks/interfaced-pair.yaml");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let statement: serde_json::Value = runtime
        .block_on(async { reqwest::get(format!("{}/metadata", served.urls[0])).await.unwrap().json().await.unwrap() });
    assert_eq!(statement["resourceType"], "CapabilityStatement");
    assert_eq!(statement["implementation"]["description"], "interfaced-pair (emr)");
    assert_eq!(statement["software"]["name"], "ChartWise EMR");
}

/// The CMS-layout fixtures, imported into a store of the test's own.
fn imported_rules() -> tempfile::TempDir {
    let store = tempfile::tempdir().unwrap();
    let out = handoff(
        &[
            "rules",
            "import",
            "tests/inputs/cms/ccipra-v321r0-f1.txt",
            "tests/inputs/cms/MCR_MUE_PractitionerServices_Eff_2026-04-01.csv",
            "--store",
            store.path().to_str().unwrap(),
        ],
        repo(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("imported tests/inputs/cms/ccipra-v321r0-f1.txt (29 rows"), "{stdout}");
    assert!(stdout.contains("MUE: "), "{stdout}");
    store
}

#[test]
fn rules_status_says_what_is_loaded_and_what_is_not() {
    let empty = tempfile::tempdir().unwrap();
    let out = handoff(&["rules", "status", "--store", empty.path().to_str().unwrap()], repo());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("NCCI PTP: not loaded (its checks will not run)"), "{stdout}");
    let store = imported_rules();
    let out = handoff(&["rules", "status", "--store", store.path().to_str().unwrap()], repo());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ccipra-v321r0-f1.txt (29 rows)"), "{stdout}");
}

#[test]
fn a_zipped_cms_table_is_refused_with_what_to_import_instead() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ccipra-v321r0-f1.zip"), b"PK\x03\x04\x14\x00\x00\x00").unwrap();
    let out = handoff(&["rules", "import", "ccipra-v321r0-f1.zip", "--store", "store"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "ccipra-v321r0-f1.zip: is not a CMS table as text (CMS ships each quarter's .txt and .csv files zipped): it is \
         a ZIP archive (as an .xlsx workbook is); save the sheet as CSV (UTF-8), or unzip the archive\n"
    );
}

#[test]
fn a_dropped_modifier_25_is_predicted_as_an_ncci_bundling_denial() {
    let store = imported_rules();
    let out_dir = tempfile::tempdir().unwrap();
    let out = handoff(
        &[
            "run",
            "scenarios/new-medicare-patient-em-25-with-procedure.yaml",
            "--target",
            "mocks/interfaced-best-of-breed.yaml",
            "--target",
            "mocks/integrated-suite.yaml",
            "--rules",
            store.path().to_str().unwrap(),
            "--format",
            "json",
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
        repo(),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rules_not_run"], serde_json::json!(null), "both tables are loaded");
    let best = &report["targets"][0];
    let rule: Vec<&serde_json::Value> =
        best["findings"].as_array().unwrap().iter().filter(|f| f["category"] == "rule").collect();
    assert_eq!(rule.len(), 1, "{rule:?}");
    assert_eq!(rule[0]["field"], "line[1]");
    assert_eq!(rule[0]["rule"]["id"], "ncci.ptp");
    assert_eq!(rule[0]["rule"]["carc"], "CO-97");
    assert_eq!(rule[0]["rule"]["charge_at_risk"], 100.0);
    assert_eq!(best["scores"]["clean_claim_pct"], 0.0);
    // With modifier 25 intact, the same visit is a clean claim.
    assert_eq!(report["targets"][1]["scores"]["clean_claim_pct"], 100.0);
}

#[test]
fn scrub_reads_an_837p_batch_and_says_which_checks_did_not_run() {
    let empty = tempfile::tempdir().unwrap();
    let out = handoff(
        &["scrub", "tests/interop/x12/837p.x12", "--format", "json", "--store", empty.path().to_str().unwrap()],
        repo(),
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["claims"][0]["claim_id"], "C123");
    assert_eq!(result["claims"][0]["charge"], 250.0);
    assert_eq!(result["not_run"], serde_json::json!(["ncci.ptp", "mue.line", "mue.date_of_service"]));
    // The claim's date of service, 2026-12-01, is past the FY2026 code set: a warning, not a break.
    let rules: Vec<&str> =
        result["claims"][0]["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.iter().all(|r| *r == "icd10.date_not_covered"), "{rules:?}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn validate_reads_an_837p_batch_and_counts_its_claims_and_lines() {
    let out = handoff(&["validate", "tests/interop/x12/837p_two_claims.x12", "tests/interop/x12/837p.x12"], repo());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok  tests/interop/x12/837p_two_claims.x12: 837P batch, 2 claim(s), 6 service line(s)\n\
         ok  tests/interop/x12/837p.x12: 837P batch, 1 claim(s), 3 service line(s)\n"
    );
    assert_eq!(out.status.code(), Some(0));
    let out = handoff(&["validate", "tests/inputs/x12/835.x12"], repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tests/inputs/x12/835.x12"), "{}", stderr(&out));
    assert!(stderr(&out).contains("ST01 (segment 3) is `835`; expected 837, a professional claim"), "{}", stderr(&out));
}

#[test]
fn mock_serve_on_a_taken_port_exits_3_with_how_to_get_a_free_one() {
    // Held, so no one else can be given it while the simulator tries it.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let out = handoff(&["mock", "serve", "mocks/integrated-suite.yaml", "--emr-port", &port], repo());
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).starts_with(&format!("cannot listen on 127.0.0.1:{port}: ")), "{}", stderr(&out));
    assert!(
        stderr(&out).ends_with(
            "\n  hint: another process holds the port; name another with --emr-port/--pm-port, or leave them out to \
             take free ones\n"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn scrub_of_a_file_that_is_not_x12_exits_2_naming_the_file() {
    let out = handoff(&["scrub", "scenarios/address-and-phone-change.yaml"], repo());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("scenarios/address-and-phone-change.yaml: "), "{}", stderr(&out));
}

#[test]
fn run_writes_junit_and_markdown_from_the_same_run() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = handoff(
        &[
            "run",
            "scenarios",
            "--target",
            "mocks/interfaced-pair.yaml",
            "--target",
            "mocks/integrated-suite.yaml",
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
        repo(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let junit = std::fs::read_to_string(out_dir.path().join("junit.xml")).unwrap();
    // Per target: 6 expectations in the new-patient scenario, 5 in the lab one, 2 in the address change.
    assert_eq!(junit.matches("<testcase ").count(), 2 * 13, "{junit}");
    assert_eq!(junit.matches("<testsuite ").count(), 2);
    // interfaced-pair: the truncated name twice, the first patient's name, the claim, and the denied E/M.
    assert_eq!(junit.matches("<failure ").count(), 5, "{junit}");
    assert!(junit.contains(r#"classname="interfaced-pair.new-medicare-patient-em-25-with-procedure""#), "{junit}");
    assert!(
        junit.contains("patient.name.family: expected &quot;Lopez-Hernandez&quot; got &quot;Lopez-Hern&quot;"),
        "{junit}"
    );
    let markdown = std::fs::read_to_string(out_dir.path().join("report.md")).unwrap();
    assert!(
        markdown.contains("| interfaced-pair | 5.1 | 96.3 | 0.0 | 100.0 | 50.0 | 0.0 | interfaced | 1 / 3 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| integrated-suite | 0.0 | 100.0 | 0.0 | 100.0 | 100.0 | — | shared record | 3 / 3 |"),
        "{markdown}"
    );
    assert!(markdown.contains("<b>interfaced-pair</b>: 6 finding(s)"), "{markdown}");
}

/// `handoff mock serve` in the background, and its EMR and PM base URLs; killed when dropped.
struct Served {
    child: std::process::Child,
    urls: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(profile: &str) -> Served {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(["mock", "serve", profile])
        .current_dir(repo())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut urls = Vec::new();
    while urls.len() < 2 {
        let line = lines.next().unwrap().unwrap();
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")) {
            urls.push(url.to_string());
        }
    }
    Served { child, urls }
}

#[test]
fn reports_about_real_systems_redact_patient_values_unless_asked() {
    let served = serve("mocks/interfaced-pair.yaml");
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("vendor.yaml");
    std::fs::write(
        &target,
        format!(
            "name: vendor\nsystems:\n  emr: {{ fhir: {{ base_url: \"{}\" }} }}\n  pm: {{ fhir: {{ base_url: \"{}\" }} }}\n",
            served.urls[0], served.urls[1]
        ),
    )
    .unwrap();
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "run",
            "scenarios/new-medicare-patient-em-25-with-procedure.yaml",
            "--target",
            target.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        handoff(&args, repo())
    };
    let redacted = dir.path().join("redacted");
    // With every log line on, as an integrator debugging an interface would run it.
    let out = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args([
            "-vv",
            "run",
            "scenarios/new-medicare-patient-em-25-with-procedure.yaml",
            "--target",
            target.to_str().unwrap(),
            "--out",
            redacted.to_str().unwrap(),
        ])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env("HANDOFF_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("DEBUG"), "debug logging is on: {}", stderr(&out));
    let mut written = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    for file in ["report.json", "junit.xml", "report.md", "report.html"] {
        written.push_str(&std::fs::read_to_string(redacted.join(file)).unwrap());
    }
    for entry in std::fs::read_dir(redacted.join("fhir")).unwrap() {
        written.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(written.contains("\"resourceType\": \"TestReport\""), "a FHIR TestReport is written under fhir/");
    // The truncated family name is found, but neither value of it is shown anywhere.
    assert!(written.contains("name.family"), "{written}");
    // Name, birth date, member id, street and phone of the scenario's patient: in no report, file or log line.
    for phi in ["Lopez", "1958-03-12", "19580312", "1EG4TE5MK72", "Bayview Ave", "555-0142", "5550142"] {
        assert!(!written.contains(phi), "{phi} in the output:\n{written}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(redacted.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["phi"], "redacted");
    let family =
        report["targets"][0]["findings"].as_array().unwrap().iter().find(|f| f["field"] == "name.family").unwrap();
    assert_eq!((family["expected"].as_str(), family["actual"].as_str()), (Some("[redacted]"), Some("[redacted]")));

    let shown = dir.path().join("shown");
    let out = run(&shown, &["--show-phi"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Lopez-Hern"), "{stdout}");
    assert!(stdout.contains("Patient values are shown (--show-phi)"), "{stdout}");
}
