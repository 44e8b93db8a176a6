//! The HTML report and the FHIR TestReports of a real run against the shipped simulators: snapshotted, checked for
//! network references, and (with HANDOFF_BROWSER=1) rendered in headless Chromium and screenshotted.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use handoff::report::{Endpoints, RunReport, html, test_report};
use support::{repo, shipped};

/// Times, latencies and loopback ports change from run to run; everything else a report shows must not.
fn without_volatile_values(mut report: RunReport) -> RunReport {
    report.started_at = "[time]".into();
    report.finished_at = "[time]".into();
    report.duration_ms = 0;
    for t in &mut report.targets {
        t.endpoints = Endpoints { emr: Some("[url]".into()), pm: Some("[url]".into()) };
        t.topology.evidence = "[evidence]".into();
        for stats in t.latency.values_mut() {
            (stats.p50_ms, stats.p95_ms, stats.max_ms) = (0, 0, 0);
        }
        t.findings.iter_mut().for_each(|f| f.latency_ms = None);
        for flow in &mut t.flows {
            flow.steps.iter_mut().for_each(|s| s.elapsed_ms = 0);
            flow.identities.iter_mut().for_each(|i| i.patient_id = "[id]".into());
        }
    }
    report
}

#[test]
fn html_snapshot_with_volatile_values_redacted() {
    let report = without_volatile_values(shipped());
    insta::assert_snapshot!(html::render(&report));
}

#[test]
fn fhir_test_report_snapshot_with_volatile_values_redacted() {
    let report = without_volatile_values(shipped());
    let reports = test_report::render(&report);
    assert_eq!(reports.len(), 6, "3 scenarios × 2 targets");
    let (name, resource) = reports
        .iter()
        .find(|(name, _)| name == "TestReport-interfaced-pair-new-medicare-patient-em-25-with-procedure.json")
        .expect("a TestReport for interfaced-pair and the new Medicare patient");
    assert_eq!(name, "TestReport-interfaced-pair-new-medicare-patient-em-25-with-procedure.json");
    insta::assert_json_snapshot!(resource, { ".participant[0].uri" => "[version]", ".participant[0].display" => "[version]" });
}

/// Every `http://` or `https://` that sits inside a tag (an attribute: src, href, style url(...)), as
/// opposed to text content, where escaping keeps data from vendor systems.
fn network_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else { break };
        let tag = &rest[open..open + close + 1];
        // The SVG namespace is a name, not a request.
        let tag_without_namespace = tag.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        if tag_without_namespace.contains("http://") || tag_without_namespace.contains("https://") {
            found.push(tag.to_string());
        }
        rest = &rest[open + close + 1..];
    }
    for needle in ["url(", "@import", "<link", "<script", "<img", "<iframe"] {
        if html.contains(needle) {
            found.push(needle.to_string());
        }
    }
    found
}

#[test]
fn html_requests_nothing_from_the_network() {
    let page = html::render(&shipped());
    // The endpoints are shown, as text: that is how a reader knows which systems were tested.
    assert!(page.contains("EMR at <code>http://127.0.0.1:"), "endpoints appear as text");
    assert_eq!(network_references(&page), Vec::<String>::new());
    let hrefs: Vec<&str> = page.split("href=\"").skip(1).filter_map(|s| s.split('"').next()).collect();
    assert!(hrefs.iter().all(|h| h.starts_with('#')), "only links within the page: {hrefs:?}");
    assert!(!page.contains("src="), "nothing is loaded from anywhere");
}

#[test]
fn the_network_check_catches_an_attribute_and_passes_text() {
    assert_eq!(network_references("<p>read at https://emr.example.com/fhir</p>"), Vec::<String>::new());
    assert_eq!(network_references("<a href=\"https://x.example/\">x</a>"), vec!["<a href=\"https://x.example/\">"]);
}

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser"]
        .into_iter()
        .map(str::to_string)
        .find(|name| Command::new(name).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok())
}

/// Runs a command to its end, or kills it after `limit` (a browser that hangs must not hang the suite).
fn run_bounded(command: &mut Command, limit: Duration) -> std::process::ExitStatus {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the command starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("the command can be waited on") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn html_report_from_a_real_run_renders_in_headless_chromium() {
    if std::env::var("HANDOFF_BROWSER").as_deref() != Ok("1") {
        eprintln!("skipped: set HANDOFF_BROWSER=1 (as .ci/run does) to render report.html in headless Chromium");
        return;
    }
    let browser = chromium().expect("HANDOFF_BROWSER=1 needs `chromium` on PATH (apt-get install chromium)");
    let out = tempfile::tempdir().unwrap();
    // The README's first command, as a newcomer runs it: every shipped scenario against every shipped simulator.
    let status = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_handoff")).current_dir(repo(".")).arg("run").arg("--out").arg(out.path()),
        Duration::from_secs(300),
    );
    assert_eq!(status.code(), Some(1), "the shipped simulators plant defects, so the run exits 1");
    let page = out.path().join("report.html");
    let fhir: Vec<_> = std::fs::read_dir(out.path().join("fhir")).unwrap().collect();
    assert_eq!(fhir.len(), 3 * 5, "one TestReport per scenario × target");
    assert_eq!(network_references(&std::fs::read_to_string(&page).unwrap()), Vec::<String>::new());

    let shot = out.path().join("report.png");
    let profile = out.path().join("chromium-profile");
    let status = run_bounded(
        Command::new(browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            .args(["--hide-scrollbars", "--window-size=1280,2400"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(url::Url::from_file_path(&page).unwrap().as_str()),
        Duration::from_secs(120),
    );
    assert!(status.success(), "chromium exited {status}");
    let (width, height, pixels) = decode(&shot);
    assert_eq!((width, height), (1280, 2400));
    // A blank or failed render is one colour; the report's header band, bars and text are many, and cover much of
    // the page's top.
    let mut colours: Vec<[u8; 3]> = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 50, "only {} distinct colours: a blank page?", colours.len());
    let top = &pixels[..(width * 600) as usize];
    let inked = top.iter().filter(|p| p.iter().any(|c| *c < 200)).count();
    assert!(inked * 10 > top.len(), "under a tenth of the top 600 rows is drawn: {inked} of {}", top.len());
    // The header band is the report's dark blue-grey, not the white of an empty page.
    assert_eq!(pixels[(width * 10 + 10) as usize], [0x1d, 0x23, 0x30]);
}

/// The screenshot's size and its pixels as RGB.
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().expect("a valid PNG header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    let frame = reader.next_frame(&mut buffer).expect("valid PNG data");
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "an RGB screenshot, not {:?}", frame.color_type);
    assert_eq!(frame.bit_depth, png::BitDepth::Eight);
    let pixels = buffer[..frame.buffer_size()].chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();
    (frame.width, frame.height, pixels)
}
