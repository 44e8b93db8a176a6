//! A run stopped before it finished — SIGTERM, SIGINT, or its `--deadline` — while a simulator hangs: the binary
//! exits 4, and still writes every report, marked incomplete, with the finished flow's results intact.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path).display().to_string()
}

/// A shared-record simulator whose PM never answers `$build-claim`: the first scenario (which builds no claim)
/// finishes, the second waits on its claim until the run is stopped.
fn hanging_target(dir: &Path) -> PathBuf {
    let target = dir.join("hanging.yaml");
    std::fs::write(
        &target,
        "name: hanging\nsimulator:\n  topology: shared\n  faults:\n    - hang: { role: pm, on: { operation: build-claim } }\n",
    )
    .unwrap();
    target
}

fn start(dir: &Path, extra: &[&str]) -> Child {
    let target = hanging_target(dir);
    let out = dir.join("out");
    let mut args = vec![
        "run".to_string(),
        repo("scenarios/address-and-phone-change.yaml"),
        repo("scenarios/established-patient-in-office-lab.yaml"),
        "--target".into(),
        target.display().to_string(),
        "--jobs".into(),
        "1".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(&args)
        .env("NO_COLOR", "1")
        .env("HANDOFF_LOG", "handoff=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads stderr until the first flow has finished and the simulator says its hang has fired (so the second flow
/// is waiting on its claim), then hands back the rest of stderr as it comes.
fn wait_for_the_claim_to_hang(child: &mut Child) -> std::thread::JoinHandle<String> {
    let (lines, seen_lines) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = lines.send(line);
        }
        all
    });
    let mut pm = None;
    let mut first_finished = false;
    while !(first_finished && pm.is_some()) {
        let Ok(line) = seen_lines.recv() else { panic!("the run ended early:\n{}", reader.join().unwrap()) };
        if line.contains("simulator started") {
            pm = line.split_whitespace().find_map(|w| w.strip_prefix("pm=")).map(str::to_string);
        }
        first_finished |= line.contains("flow finished");
    }
    let pm = pm.unwrap();
    let give_up = Instant::now() + Duration::from_secs(120);
    while hangs_fired(&pm) < 1 {
        assert!(Instant::now() < give_up, "the hang never fired");
        std::thread::sleep(Duration::from_millis(20));
    }
    reader
}

/// How many times the simulator's `hang` fired, from its `GET /$faults` tally (plain HTTP, one request).
fn hangs_fired(base: &str) -> u64 {
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let request = format!("GET /$faults HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let tally: Value = serde_json::from_str(body).unwrap_or_default();
    tally["fired"]["hang"].as_u64().unwrap_or(0)
}

/// The exit code, stdout and stderr; a run still going after two minutes is killed (a hang is what is tested).
fn finish(mut child: Child, stderr: std::thread::JoinHandle<String>) -> (Option<i32>, String, String) {
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let give_up = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > give_up {
            child.kill().unwrap();
            panic!("handoff did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), reader.join().unwrap(), stderr.join().unwrap())
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("out/report.json")).expect("report.json was not written");
    serde_json::from_str(&text).unwrap()
}

/// What every stopped run must show: the finished flow whole, the stopped one saying where and why.
fn assert_stopped(dir: &Path, reason: &str, stdout: &str) {
    let report = report(dir);
    assert_eq!(report["incomplete"], serde_json::json!({ "reason": reason, "unfinished_flows": 1 }));
    let flows = report["targets"][0]["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2);

    let finished = &flows[0];
    assert_eq!(finished["scenario"], "address-and-phone-change");
    assert_eq!(finished["passed"], true);
    assert_eq!(finished.get("unfinished"), None);
    let statuses: Vec<&str> =
        finished["steps"].as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["passed"; 4]);
    assert_eq!(finished["identities"].as_array().unwrap().len(), 2);

    let stopped = &flows[1];
    assert_eq!(stopped["scenario"], "established-patient-in-office-lab");
    assert_eq!(stopped["unfinished"], true);
    let steps = stopped["steps"].as_array().unwrap();
    let statuses: Vec<&str> = steps.iter().map(|s| s["status"].as_str().unwrap()).collect();
    // build_claim hangs; expect_claim and expect_remittance after it never run.
    assert_eq!(statuses, ["passed", "passed", "passed", "passed", "passed", "passed", "error", "skipped", "skipped"]);
    assert_eq!(steps[6]["action"], "build_claim");
    assert_eq!(steps[6]["message"], format!("stopped before it finished: {reason}"));
    assert_eq!(steps[7]["message"], format!("not run: {reason}"));
    assert_eq!(steps[8]["action"], "expect_remittance");
    assert_eq!(steps[8]["message"], format!("not run: {reason}"));
    // What the stopped flow had learnt before it stopped is kept: its patient's id in each role.
    assert_eq!(stopped["identities"].as_array().unwrap().len(), 2);

    // The hang fired once and was cut short, so it is neither retried nor reported: the run says so.
    let faults = &report["targets"][0]["faults"];
    assert_eq!(faults["fired"], serde_json::json!({ "hang": 1 }));
    assert_eq!((faults["retried"].as_u64(), faults["reported"].as_u64()), (Some(0), Some(0)));
    assert_eq!(faults["unaccounted"], 1);

    let notice = format!("INCOMPLETE: {reason}; 1 flow(s) did not finish");
    assert!(stdout.contains(&notice), "{stdout}");
    assert!(stdout.contains("1 fired (hang 1): 0 retried, 0 reported, 1 unaccounted"), "{stdout}");
    let junit = std::fs::read_to_string(dir.join("out/junit.xml")).unwrap();
    assert!(junit.contains(&format!("<property name=\"incomplete\" value=\"{reason}\"/>")), "{junit}");
    assert!(junit.contains("<testcase name=\"run finished\">"), "{junit}");
    let markdown = std::fs::read_to_string(dir.join("out/report.md")).unwrap();
    assert!(markdown.contains(&notice), "{markdown}");
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(html.contains(&notice), "the HTML page does not say the run is incomplete");
}

/// Runs until the second flow waits on its claim, sends `signal`, and checks what the stopped run wrote.
fn interrupted_by(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(dir.path(), &[]);
    let stderr = wait_for_the_claim_to_hang(&mut child);
    // The shell's own `kill`, so no procps package is needed.
    let kill = format!("kill -{signal} {}", child.id());
    let sent = Command::new("sh").args(["-c", &kill]).status().unwrap();
    assert!(sent.success());
    let (code, stdout, stderr) = finish(child, stderr);
    assert_eq!(code, Some(4), "{stderr}");
    let reason = format!("interrupted by SIG{signal}");
    assert!(stderr.contains(&format!("{reason}: stopping the flows still running")), "{stderr}");
    assert_stopped(dir.path(), &reason, &stdout);
}

#[test]
fn sigterm_after_the_first_flow_writes_an_incomplete_report_and_exits_4() {
    interrupted_by("TERM");
}

#[test]
fn sigint_is_an_interruption_too() {
    interrupted_by("INT");
}

#[test]
fn a_deadline_that_passes_writes_an_incomplete_report_and_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    // The hang holds the second flow for the simulators' 10 s request timeout; the deadline passes first.
    let mut child = start(dir.path(), &["--deadline", "5s"]);
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let (code, stdout, stderr) = finish(child, stderr);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains("deadline 5s passed: stopping the flows still running"), "{stderr}");
    assert_stopped(dir.path(), "deadline 5s passed", &stdout);
}
