//! Transport faults in the simulators, seen by a real HTTP client and by the harness's own FHIR adapter: what each sends, where and how often it fires, and how it is counted.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use handoff::connect::fhir::FhirAdapter;
use handoff::connect::{Adapter, AdapterError, Query};
use handoff::mock::RunningSimulator;
use handoff::model::Identifier;
use handoff::scenario::{Target, parse_target};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PATIENT: &str =
    r#"{"resourceType":"Patient","name":[{"family":"Fault","given":["Test"]}],"birthDate":"2000-01-01"}"#;

fn profile(topology: &str, seed: u64, faults: &str) -> String {
    format!("name: faulty\nsimulator:\n  topology: {topology}\n  seed: {seed}\n  faults:\n{faults}")
}

async fn simulator_with(topology: &str, seed: u64, faults: &str) -> RunningSimulator {
    let target = parse_target("faulty.yaml", &profile(topology, seed, faults))
        .unwrap_or_else(|e| panic!("{}", e.headlines().join("\n")));
    handoff::mock::start("faulty", target.simulator.as_ref().unwrap(), &[], 0, 0).await.unwrap()
}

/// `faults` is the YAML list, one `    - kind: {...}` line each.
async fn simulator(faults: &str) -> RunningSimulator {
    simulator_with("interfaced", 0, faults).await
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

fn http() -> reqwest::Client {
    client(Duration::from_secs(5))
}

async fn create_patient(base: &str) -> String {
    let response = http()
        .post(format!("{base}/Patient"))
        .header("Content-Type", "application/fhir+json")
        .body(PATIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

/// Whether an I/O error of this kind is somewhere in the error's chain of causes.
fn caused_by(error: &reqwest::Error, kind: std::io::ErrorKind) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == kind) {
            return true;
        }
        source = s.source();
    }
    false
}

#[tokio::test]
async fn http_500_and_503_answer_an_operation_outcome_and_leave_the_store_alone() {
    let sim = simulator(
        "    - http_500: { role: pm, on: { method: POST } }\n    - http_503: { role: emr, on: { resource: Patient } }\n",
    )
    .await;
    let response = http()
        .post(format!("{}/Patient", sim.pm_url))
        .header("Content-Type", "application/fhir+json")
        .body(PATIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(content_type(&response), "application/fhir+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["code"], "exception");
    // The fault answered instead of the system: nothing was created.
    let found: Value = http().get(format!("{}/Patient", sim.pm_url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(found["total"], 0);

    let response = http().get(format!("{}/Patient", sim.emr_url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["issue"][0]["code"], "transient");
    assert_eq!(status(http().get(format!("{}/Claim", sim.emr_url))).await, 200);
}

#[tokio::test]
async fn http_429_says_when_to_come_back_in_whole_seconds_rounded_up() {
    let sim = simulator(
        "    - http_429: { role: emr, retry_after: 2s }\n    - http_429: { role: pm, retry_after: 1500ms }\n",
    )
    .await;
    for base in [&sim.emr_url, &sim.pm_url] {
        let response = http().get(format!("{base}/Patient")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "2");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["issue"][0]["code"], "throttled");
    }
}

#[tokio::test]
async fn hang_never_answers_and_the_client_times_out() {
    let sim = simulator("    - hang: { role: pm, on: { resource: Claim } }\n").await;
    let started = Instant::now();
    let error = client(Duration::from_millis(300)).get(format!("{}/Claim", sim.pm_url)).send().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(sim.faults().fired("hang"), 1);
    // Only Claim hangs.
    assert_eq!(status(http().get(format!("{}/Patient", sim.pm_url))).await, 200);
}

#[tokio::test]
async fn a_request_held_open_is_closed_when_the_simulator_stops() {
    let sim = simulator("    - hang: { role: pm }\n").await;
    let url = format!("{}/Patient", sim.pm_url);
    let waiting = tokio::spawn(async move { client(Duration::from_secs(30)).get(url).send().await });
    let deadline = Instant::now() + Duration::from_secs(5);
    while sim.faults().fired("hang") == 0 {
        assert!(Instant::now() < deadline, "the request never reached the simulator");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped = Instant::now();
    drop(sim);
    let result =
        tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("the connection outlived the simulator");
    let error = result.unwrap().unwrap_err();
    assert!(!error.is_timeout(), "{error:?}");
    assert!(stopped.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn reset_drops_the_connection_without_any_response() {
    let sim = simulator("    - reset: { role: emr, times: 1 }\n").await;
    let error = http().get(format!("{}/Patient", sim.emr_url)).send().await.unwrap_err();
    assert!(error.status().is_none(), "{error:?}");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(caused_by(&error, std::io::ErrorKind::ConnectionReset), "not a reset: {error:?}");
    // One reset, then the system answers again on a new connection.
    assert_eq!(status(http().get(format!("{}/Patient", sim.emr_url))).await, 200);
    assert_eq!(sim.faults().fired("reset"), 1);
}

#[tokio::test]
async fn malformed_json_is_labelled_fhir_json_and_does_not_parse() {
    let sim = simulator("    - malformed_json: { role: pm, on: { method: GET } }\n").await;
    let id = create_patient(&sim.pm_url).await;
    let response = http().get(format!("{}/Patient/{id}", sim.pm_url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/fhir+json");
    let body = response.text().await.unwrap();
    assert!(!body.is_empty());
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
}

#[tokio::test]
async fn wrong_content_type_sends_the_right_resource_as_html() {
    let sim = simulator("    - wrong_content_type: { role: pm, on: { method: GET, resource: Patient } }\n").await;
    let id = create_patient(&sim.pm_url).await;
    let response = http().get(format!("{}/Patient/{id}", sim.pm_url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(content_type(&response).starts_with("text/html"), "{}", content_type(&response));
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["resourceType"], "Patient");
    assert_eq!(body["id"], json!(id));
}

#[tokio::test]
async fn nth_fires_on_that_matching_request_only() {
    let sim = simulator("    - http_503: { role: pm, on: { resource: Claim }, nth: 3 }\n").await;
    let mut claims = Vec::new();
    for _ in 0..5 {
        // Requests that do not match are not counted.
        assert_eq!(status(http().get(format!("{}/Patient", sim.pm_url))).await, 200);
        claims.push(status(http().get(format!("{}/Claim", sim.pm_url))).await);
    }
    assert_eq!(claims, [200, 200, 503, 200, 200]);
    let tally = sim.faults();
    assert_eq!((tally.faults[0].matched, tally.faults[0].fired), (5, 1));
}

#[tokio::test]
async fn times_fires_on_the_first_matching_requests() {
    let sim = simulator(
        "    - http_429: { role: emr, retry_after: 2s, on: { method: POST, resource: Patient }, times: 2 }\n",
    )
    .await;
    let post = || {
        http().post(format!("{}/Patient", sim.emr_url)).header("Content-Type", "application/fhir+json").body(PATIENT)
    };
    assert_eq!(status(http().get(format!("{}/Patient", sim.emr_url))).await, 200);
    let statuses = [status(post()).await, status(post()).await, status(post()).await, status(post()).await];
    assert_eq!(statuses, [429, 429, 201, 201]);
    assert_eq!(sim.faults().fired("http_429"), 2);
}

/// Which of `n` sequential searches the simulator failed.
async fn failed_requests(seed: u64, n: usize) -> (Vec<usize>, u64) {
    let sim = simulator_with("shared", seed, "    - http_503: { role: pm, rate: 0.1 }\n").await;
    let http = http();
    let mut failed = Vec::new();
    for i in 0..n {
        if status(http.get(format!("{}/Claim", sim.pm_url))).await == 503 {
            failed.push(i);
        }
    }
    (failed, sim.faults().fired("http_503"))
}

#[tokio::test]
async fn rate_fires_the_same_requests_for_the_same_seed() {
    let (first, fired) = failed_requests(42, 1000).await;
    let (second, _) = failed_requests(42, 1000).await;
    assert_eq!(first, second);
    assert_eq!(fired, first.len() as u64);
    // 10% of 1,000: the binomial's standard deviation is about 9.5.
    assert!((60..=140).contains(&first.len()), "{} fired", first.len());
    let (other_seed, _) = failed_requests(7, 200).await;
    assert_ne!(other_seed, first.iter().copied().filter(|i| *i < 200).collect::<Vec<_>>());
}

#[tokio::test]
async fn discovery_and_the_tally_are_never_faulted() {
    let sim = simulator("    - reset: { role: both }\n").await;
    for base in [&sim.emr_url, &sim.pm_url] {
        let metadata: Value = http().get(format!("{base}/metadata")).send().await.unwrap().json().await.unwrap();
        assert_eq!(metadata["resourceType"], "CapabilityStatement");
        assert!(http().get(format!("{base}/Patient")).send().await.is_err());
    }
    let tally: Value = http().get(format!("{}/$faults", sim.emr_url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(tally["fired"]["reset"], 2);
    assert_eq!(tally["faults"][0]["fault"], "reset");
    assert_eq!(tally["faults"][0]["role"], "both");
    // The profile's sixth line.
    assert_eq!(tally["faults"][0]["line"], 6);
    assert_eq!(tally, serde_json::to_value(sim.faults()).unwrap());
}

#[tokio::test]
async fn a_fault_hits_only_the_role_it_targets() {
    let sim = simulator_with("shared", 0, "    - http_500: { role: pm }\n").await;
    assert_eq!(status(http().get(format!("{}/Patient", sim.emr_url))).await, 200);
    assert_eq!(status(http().get(format!("{}/Patient", sim.pm_url))).await, 500);
}

#[tokio::test]
async fn operations_and_paths_can_be_matched() {
    let sim = simulator(
        "    - http_503: { role: pm, on: { operation: build-claim } }\n    - http_500: { role: pm, on: { path: /Coverage/ } }\n",
    )
    .await;
    let id = create_patient(&sim.pm_url).await;
    let build = http().post(format!("{}/Patient/{id}/$build-claim", sim.pm_url)).body("{}");
    assert_eq!(status(build).await, 503);
    assert_eq!(status(http().get(format!("{}/Coverage", sim.pm_url))).await, 200);
    assert_eq!(status(http().get(format!("{}/Coverage/x", sim.pm_url))).await, 500);
}

#[tokio::test]
async fn hl7_nak_is_left_to_the_interface() {
    let sim = simulator("    - hl7_nak: { role: emr, code: AE }\n").await;
    assert_eq!(status(http().get(format!("{}/Patient", sim.emr_url))).await, 200);
    let tally = sim.faults();
    assert_eq!(tally.fired("hl7_nak"), 0);
    assert_eq!(tally.faults[0].matched, 0);
}

#[tokio::test]
async fn the_fhir_adapter_turns_each_fault_into_its_error() {
    let tracking = Identifier { system: "urn:test".into(), value: "faults".into() };
    for fault in [
        "http_500: { role: pm }",
        "http_503: { role: pm }",
        "http_429: { role: pm, retry_after: 1s }",
        "hang: { role: pm }",
        "reset: { role: pm }",
        "malformed_json: { role: pm }",
        "wrong_content_type: { role: pm }",
    ] {
        let sim = simulator(&format!("    - {fault}\n")).await;
        let fhir = FhirAdapter::new(&sim.pm_url, Duration::from_millis(300)).unwrap();
        let error = fhir.fetch(Query::PatientByIdentifier(&tracking)).await.map(|_| ()).unwrap_err();
        let kind = fault.split(':').next().unwrap();
        match (kind, &error) {
            ("http_500", AdapterError::Http { status: 500, outcome: Some(text), .. }) => {
                assert!(text.contains("http_500"), "{text}")
            }
            ("http_503", AdapterError::Http { status: 503, outcome: Some(_), .. })
            | ("http_429", AdapterError::Http { status: 429, outcome: Some(_), .. })
            | ("hang", AdapterError::Timeout { .. })
            | ("reset", AdapterError::Unreachable { .. })
            | ("malformed_json", AdapterError::Malformed { .. }) => {}
            ("wrong_content_type", AdapterError::Malformed { detail, .. }) => {
                assert!(detail.contains("text/html"), "{detail}")
            }
            _ => panic!("`{kind}` became {error:?}"),
        }
        // The adapter tries a 429 or a 503 three more times before it reports it.
        let tries = if matches!(kind, "http_503" | "http_429") { 4 } else { 1 };
        assert_eq!(sim.faults().fired(kind), tries, "{kind}");
    }
}

fn problems(faults: &str) -> Vec<String> {
    problems_in("interfaced", faults)
}

fn problems_in(topology: &str, faults: &str) -> Vec<String> {
    match parse_target("faulty.yaml", &profile(topology, 0, faults)) {
        Ok(_) => Vec::new(),
        Err(e) => {
            let mut all = vec![format!("{} | {}", e.headline(), e.hint.clone().unwrap_or_default())];
            all.extend(e.others.iter().map(|o| format!("{} | {}", o.headline(), o.hint.clone().unwrap_or_default())));
            all
        }
    }
}

#[test]
fn faults_that_could_never_fire_are_refused_with_their_line() {
    let found = problems(
        "    - http_503: { role: pm, rate: 1.5 }\n\
         \x20   - http_503: { role: pm, rate: 0 }\n\
         \x20   - hang: { role: pm, nth: 0 }\n\
         \x20   - reset: { role: pm, times: 0 }\n\
         \x20   - reset: { role: pm, nth: 2, times: 1 }\n\
         \x20   - http_500: { role: pm, on: { resource: Patinet } }\n\
         \x20   - http_500: { role: pm, on: { operation: $everything } }\n\
         \x20   - http_500: { role: pm, on: { path: Patient } }\n\
         \x20   - http_500: { role: pm, on: { path: /metadata } }\n\
         \x20   - http_500: { role: pm, on: { path: /Claim/, resource: Patient } }\n\
         \x20   - hl7_nak: { role: pm, code: AR, on: { method: POST } }\n",
    );
    let expected = [
        (6, "rate 1.5; a rate is a chance from 0 to 1"),
        (7, "can never fire: its rate is 0"),
        (8, "nth 0, but requests count from 1"),
        (9, "can never fire: `times` is 0"),
        (10, "says how often it fires in more than one way"),
        (11, "the simulators serve no `Patinet` | did you mean `Patient`?"),
        (12, "no operation `$everything`"),
        (13, "does not start with `/`"),
        (14, "never faulted"),
        (15, "no request for `Patient` has a path starting `/Claim/`"),
        (16, "HL7 messages have no HTTP method"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((line, text), problem) in expected.iter().zip(&found) {
        assert!(problem.starts_with(&format!("faulty.yaml:{line}:")), "{problem}");
        assert!(problem.contains(text), "{problem} does not say {text}");
    }
}

#[test]
fn an_hl7_nak_needs_an_interface() {
    let found = problems_in("shared", "    - hl7_nak: { role: emr, code: AE }\n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("a `shared` simulator has none"), "{}", found[0]);
}

#[test]
fn a_misspelled_fault_or_parameter_gets_a_did_you_mean() {
    let misspelled = problems("    - http_502: { role: pm }\n");
    assert!(misspelled[0].starts_with("faulty.yaml:6:"), "{misspelled:?}");
    assert!(misspelled[0].contains("did you mean `http_503`?"), "{misspelled:?}");
    let misplaced = problems("    - http_500: { role: pm, retry_after: 2s }\n");
    assert!(misplaced[0].contains("unknown field `retry_after`"), "{misplaced:?}");
    assert!(problems("    - http_429: { role: pm, retry_after: 2s, on: { method: DELETE } }\n")[0].contains("DELETE"));
    assert!(problems("    - hl7_nak: { role: emr, code: AA }\n")[0].contains("AA"));
    assert!(problems("    - reset: { role: pm, on: { method: POST, resource: Bundle } }\n").is_empty());
}

#[test]
fn the_schema_and_docs_list_every_fault_with_a_description() {
    let schema = serde_json::to_value(schemars::schema_for!(Target)).unwrap();
    let variants = schema["$defs"]["Fault"]["oneOf"].as_array().unwrap();
    let in_code: BTreeSet<&str> = variants.iter().map(|v| v["required"][0].as_str().unwrap()).collect();
    assert!(variants.iter().all(|v| v["description"].as_str().is_some_and(|d| !d.is_empty())));
    assert_eq!(
        in_code,
        BTreeSet::from([
            "http_500",
            "http_503",
            "http_429",
            "hang",
            "reset",
            "malformed_json",
            "wrong_content_type",
            "hl7_nak"
        ])
    );
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/faults.md")).unwrap();
    let in_doc: BTreeSet<&str> =
        doc.lines().filter_map(|l| l.strip_prefix("| `")).filter_map(|l| l.split_once('`')).map(|(n, _)| n).collect();
    assert!(in_code.is_subset(&in_doc), "docs/faults.md lacks {:?}", in_code.difference(&in_doc).collect::<Vec<_>>());
    assert!(schema["$defs"]["Simulator"]["properties"]["seed"].is_object());
}

async fn requests_served(base: &str) -> u64 {
    let tally: Value = http().get(format!("{base}/$requests")).send().await.unwrap().json().await.unwrap();
    tally["requests"].as_u64().unwrap()
}

#[tokio::test]
async fn requests_to_either_system_are_counted_faulted_or_not_and_the_tallies_are_not() {
    let sim = simulator("    - http_503: { role: pm, on: { method: GET, resource: Patient } }\n").await;
    assert_eq!(requests_served(&sim.pm_url).await, 0);
    let id = create_patient(&sim.pm_url).await;
    assert_eq!(status(http().get(format!("{}/Patient/{id}", sim.pm_url))).await, 503);
    assert_eq!(status(http().get(format!("{}/metadata", sim.emr_url))).await, 200);
    assert_eq!(status(http().get(format!("{}/$faults", sim.pm_url))).await, 200);
    // The create, the faulted read and the EMR's metadata; neither `$faults` nor `$requests` itself.
    assert_eq!(requests_served(&sim.pm_url).await, 3);
    assert_eq!(requests_served(&sim.emr_url).await, 3);
}
