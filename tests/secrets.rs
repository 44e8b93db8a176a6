//! Nothing leaked: credentials planted in environment variables and files — bearer tokens, Basic passwords, a
//! SMART private key — and those made during the run — the signed client assertion, the access token — appear in
//! no byte the run writes: stdout, stderr at debug level, and every file under `--out`, artifacts included.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use handoff::mock::RunningSimulator;
use serde_json::json;
use support::repo;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PM_PASSWORD: &str = "pw-Zq81-basic-from-env";
const EMR_FILE_TOKEN: &str = "tok-Fk27-bearer-from-file";
const PM_ENV_TOKEN: &str = "tok-Rw55-bearer-from-env";
const FILE_PASSWORD: &str = "pw-Hx09-basic-from-file";
const ACCESS_TOKEN: &str = "at-Yv63-issued-by-the-token-endpoint";
const REFUSED_TOKEN: &str = "tok-Nn14-refused-by-the-server";

struct Vendors {
    runtime: tokio::runtime::Runtime,
    _simulators: Vec<RunningSimulator>,
    token_server: MockServer,
    refusing_server: MockServer,
    dir: tempfile::TempDir,
}

/// Three vendors on simulators (they accept any credential), each role with its own kind of secret, and one
/// vendor that refuses every request with 401, so error paths are in the output too.
fn vendors() -> Vendors {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let profile = handoff::scenario::load_target(&repo("mocks/integrated-suite.yaml")).unwrap();
    let simulators: Vec<RunningSimulator> = (0..3)
        .map(|_| runtime.block_on(handoff::mock::start("v", profile.simulator.as_ref().unwrap(), &[], 0, 0)).unwrap())
        .collect();
    let (token_server, refusing_server) = runtime.block_on(async {
        let tokens = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 300 })),
            )
            .mount(&tokens)
            .await;
        let refusing = MockServer::start().await;
        Mock::given(method("POST")).and(path("/refused-token")).respond_with(QuotesTheAssertion).mount(&tokens).await;
        // A careless server quotes back the credential it refused.
        let outcome = json!({ "resourceType": "OperationOutcome", "issue": [{ "severity": "error", "code": "login",
            "diagnostics": format!("unknown credential Bearer {REFUSED_TOKEN}") }] });
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(401).set_body_raw(outcome.to_string(), "application/fhir+json"))
            .mount(&refusing)
            .await;
        (tokens, refusing)
    });
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("targets");
    std::fs::create_dir_all(folder.join("keys")).unwrap();
    std::fs::create_dir_all(folder.join("secrets")).unwrap();
    std::fs::copy(repo("tests/inputs/keys/test-rs384.pem"), folder.join("keys/client.pem")).unwrap();
    std::fs::write(folder.join("secrets/emr-token"), format!("{EMR_FILE_TOKEN}\n")).unwrap();
    std::fs::write(folder.join("secrets/emr-password"), FILE_PASSWORD).unwrap();
    let fhir = |url: &str, auth: &str| format!("{{ fhir: {{ base_url: \"{url}\", auth: {auth} }} }}");
    let smart = format!(
        "{{ smart_backend: {{ client_id: handoff-ci, key_file: keys/client.pem, algorithm: RS384, kid: key-2026, \
         scope: system/*.rs, token_url: \"{}/token\" }} }}",
        token_server.uri()
    );
    let targets = [
        (
            "smart-and-basic",
            &simulators[0],
            smart.as_str(),
            "{ basic: { username: svc-handoff, env: LEAK_PM_PASSWORD } }",
        ),
        (
            "bearer-file-and-env",
            &simulators[1],
            "{ bearer: { file: secrets/emr-token } }",
            "{ bearer: { env: LEAK_PM_TOKEN } }",
        ),
        (
            "basic-file",
            &simulators[2],
            "{ basic: { username: svc-emr, file: secrets/emr-password } }",
            "{ bearer: { env: LEAK_PM_TOKEN } }",
        ),
    ];
    for (name, sim, emr, pm) in targets {
        let text =
            format!("name: {name}\nsystems:\n  emr: {}\n  pm: {}\n", fhir(&sim.emr_url, emr), fhir(&sim.pm_url, pm));
        std::fs::write(folder.join(format!("{name}.yaml")), text).unwrap();
    }
    let refused_smart = smart.replace("/token", "/refused-token");
    std::fs::write(
        folder.join("smart-refused.yaml"),
        format!(
            "name: smart-refused\nsystems:\n  emr: {}\n  pm: {}\n",
            fhir(&refusing_server.uri(), &refused_smart),
            fhir(&refusing_server.uri(), &refused_smart)
        ),
    )
    .unwrap();
    let refusing = fhir(&refusing_server.uri(), "{ bearer: { env: LEAK_REFUSED_TOKEN } }");
    std::fs::write(
        folder.join("refusing.yaml"),
        format!("name: refusing\nsystems:\n  emr: {refusing}\n  pm: {refusing}\n"),
    )
    .unwrap();
    Vendors { runtime, _simulators: simulators, token_server, refusing_server, dir }
}

/// Standard base64 with padding, as an HTTP Basic header carries `user:password`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            let c = if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' };
            out.push(c);
        }
    }
    out
}

/// A token endpoint that refuses the client and quotes its assertion back in the error, as careless ones do.
struct QuotesTheAssertion;

impl wiremock::Respond for QuotesTheAssertion {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let assertion = url::form_urlencoded::parse(&request.body)
            .find(|(k, _)| k == "client_assertion")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        ResponseTemplate::new(400).set_body_json(
            json!({ "error": "invalid_client", "error_description": format!("assertion {assertion} is not accepted") }),
        )
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Every string whose presence in the output would be a leak, with what it is.
fn secrets(vendors: &Vendors) -> Vec<(String, String)> {
    let mut secrets: Vec<(String, String)> = [
        ("Basic password from env", PM_PASSWORD),
        ("bearer token from file", EMR_FILE_TOKEN),
        ("bearer token from env", PM_ENV_TOKEN),
        ("Basic password from file", FILE_PASSWORD),
        ("access token", ACCESS_TOKEN),
        ("refused bearer token", REFUSED_TOKEN),
    ]
    .iter()
    .map(|(what, s)| (what.to_string(), s.to_string()))
    .collect();
    for (user, password) in [("svc-handoff", PM_PASSWORD), ("svc-emr", FILE_PASSWORD)] {
        let header = base64(format!("{user}:{password}").as_bytes());
        secrets.push((format!("Basic header of {user}"), header));
    }
    let pem = std::fs::read_to_string(repo("tests/inputs/keys/test-rs384.pem")).unwrap();
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----") && !l.trim().is_empty()).collect();
    secrets.push(("private key PEM body".into(), body.concat()));
    for (i, line) in body.iter().enumerate() {
        secrets.push((format!("private key PEM line {}", i + 1), line.to_string()));
    }
    // The assertions the harness signed, as the token endpoint received them, whole and by their signature.
    let requests = vendors.runtime.block_on(vendors.token_server.received_requests()).unwrap();
    let assertions: Vec<String> = requests
        .iter()
        .filter_map(|r| {
            url::form_urlencoded::parse(&r.body).find(|(k, _)| k == "client_assertion").map(|(_, v)| v.into_owned())
        })
        .collect();
    let refused = requests.iter().filter(|r| r.url.path() == "/refused-token").count();
    assert!(refused > 0 && assertions.len() > refused, "both SMART clients must have asked for tokens: {refused}");
    for jwt in assertions {
        let signature = jwt.rsplit('.').next().unwrap().to_string();
        secrets.push(("signed client assertion".into(), jwt));
        secrets.push(("client assertion signature".into(), signature));
    }
    secrets
}

#[test]
fn no_credential_appears_in_any_byte_the_run_writes() {
    let vendors = vendors();
    let out = vendors.dir.path().join("out");
    let targets = vendors.dir.path().join("targets");
    let baseline = vendors.dir.path().join("baseline.json");
    let output = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(["-v", "run", &repo("scenarios").display().to_string(), "--target", targets.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap(), "--show-phi"])
        .args(["--save-baseline", baseline.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .env("HANDOFF_LOG", "debug")
        .env("LEAK_PM_PASSWORD", PM_PASSWORD)
        .env("LEAK_PM_TOKEN", PM_ENV_TOKEN)
        .env("LEAK_REFUSED_TOKEN", REFUSED_TOKEN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The refusing vendor's 401s are findings: every expectation could not hold there.
    assert_eq!(output.status.code(), Some(1), "{stderr}");

    let mut written: Vec<(String, Vec<u8>)> =
        vec![("stdout".into(), output.stdout.clone()), ("stderr".into(), output.stderr.clone())];
    let files = files_under(&out);
    for file in files.iter().chain([&baseline]) {
        written.push((file.display().to_string(), std::fs::read(file).unwrap()));
    }
    // The run did write what is searched: the reports, the baseline, and the messages of every vendor.
    let names: Vec<String> = files.iter().map(|f| f.strip_prefix(&out).unwrap().display().to_string()).collect();
    for expected in ["report.json", "report.html", "junit.xml", "report.md", "artifacts/index.json"] {
        assert!(names.iter().any(|n| n == expected), "{expected} not written: {names:?}");
    }
    for vendor in ["smart-and-basic", "bearer-file-and-env", "basic-file", "refusing", "smart-refused"] {
        assert!(names.iter().any(|n| n.starts_with(&format!("artifacts/{vendor}/"))), "no artifacts of {vendor}");
    }
    assert!(stderr.contains("DEBUG"), "the run did not log at debug level");
    let refused = vendors.runtime.block_on(vendors.refusing_server.received_requests()).unwrap();
    assert!(!refused.is_empty(), "the refusing vendor was never called");

    for (what, secret) in secrets(&vendors) {
        for (place, bytes) in &written {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "the {what} is written in {place}");
        }
    }
}

#[test]
fn base64_is_the_one_basic_auth_uses() {
    assert_eq!(base64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    assert_eq!(base64(b"ab"), "YWI=");
}

#[test]
fn simulators_listen_on_loopback_only() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for profile in ["mocks/integrated-suite.yaml", "mocks/interfaced-pair.yaml"] {
        let target = handoff::scenario::load_target(&repo(profile)).unwrap();
        let sim = runtime.block_on(handoff::mock::start("v", target.simulator.as_ref().unwrap(), &[], 0, 0)).unwrap();
        for url in [&sim.emr_url, &sim.pm_url] {
            assert!(url.starts_with("http://127.0.0.1:"), "{profile} serves at {url}");
        }
    }
}
