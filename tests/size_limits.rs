//! Vendors that never stop talking: a FHIR answer that streams forever or announces a huge body, and an MLLP reply
//! frame that never ends. Each fails its own step with a finding that says so, instead of filling memory.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use handoff::connect::fhir::FhirAdapter;
use handoff::connect::hl7v2::{Message, MllpError};
use handoff::connect::{Adapter, AdapterError, Query};
use handoff::report::RunReport;
use support::Run;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The harness's limit on one FHIR response (src/connect/fhir/client.rs).
const FHIR_LIMIT: usize = 32 * 1024 * 1024;
/// The harness's limit on one MLLP frame (src/connect/hl7v2/mllp.rs).
const MLLP_LIMIT: usize = 16 * 1024 * 1024;

const STATEMENT: &str = r#"{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1","format":["json"],"rest":[{"mode":"server"}]}"#;

#[derive(Clone, Copy)]
enum Answer {
    /// A chunked body that never ends.
    Endless,
    /// `Content-Length` far over the limit, and then the body, slowly.
    Huge,
}

/// A FHIR server that answers `/metadata` properly and every other request with `answer`; each connection is
/// served until the client goes away.
async fn fhir_server(answer: Answer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_fhir(stream, answer));
        }
    });
    address
}

async fn serve_fhir(mut stream: TcpStream, answer: Answer) {
    loop {
        let Some(path) = request_path(&mut stream).await else { return };
        if path.ends_with("/metadata") {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n\r\n",
                STATEMENT.len()
            );
            if stream.write_all((head + STATEMENT).as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        let chunk = vec![b' '; 64 * 1024];
        let head = match answer {
            Answer::Endless => {
                "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .to_string()
            }
            Answer::Huge => {
                "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 10000000000\r\n\r\n".into()
            }
        };
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let body_start = b"{\"resourceType\":\"Patient\",\"id\":\"1\",\"text\":\"";
        let mut first = true;
        // Until the client hangs up: that it does is what is tested.
        loop {
            let data: &[u8] = if first { body_start } else { &chunk };
            first = false;
            let written = match answer {
                Answer::Endless => {
                    let framed = [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat();
                    stream.write_all(&framed).await
                }
                Answer::Huge => {
                    let written = stream.write_all(data).await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    written
                }
            };
            if written.is_err() {
                return;
            }
        }
    }
}

/// Reads one request's head (and its body, by `Content-Length`); the path, or `None` once the client is gone.
async fn request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(head.split_whitespace().nth(1)?.to_string())
}

/// An MLLP peer that reads whatever comes and answers with a frame that starts and never ends.
async fn endless_mllp() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let mut data = vec![b'A'; 64 * 1024];
                data[0] = 0x0B;
                while stream.write_all(&data).await.is_ok() {
                    data[0] = b'A';
                }
            });
        }
    });
    address
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_chunked_fhir_body_is_cut_off_at_the_limit() {
    let server = fhir_server(Answer::Endless).await;
    // A timeout far longer than the stream takes to pass the limit: the limit, not the clock, must end it.
    let adapter = FhirAdapter::new(&format!("http://{server}"), Duration::from_secs(300)).unwrap();
    let error = adapter.fetch(Query::Claims { patient_id: "1" }).await.unwrap_err();
    match &error {
        AdapterError::Malformed { detail, .. } => assert_eq!(detail, &format!("the body is over {FHIR_LIMIT} bytes")),
        other => panic!("expected the size limit, got {other}"),
    }
    assert_eq!(error.kind(), "malformed_response");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fhir_body_announced_over_the_limit_is_refused_before_it_is_read() {
    let server = fhir_server(Answer::Huge).await;
    let adapter = FhirAdapter::new(&format!("http://{server}"), Duration::from_secs(300)).unwrap();
    let error = adapter.fetch(Query::Claims { patient_id: "1" }).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&format!("announces a body of 10000000000 bytes, over the {FHIR_LIMIT}-byte limit")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mllp_reply_frame_that_never_ends_is_an_error_at_the_limit() {
    let peer = endless_mllp().await;
    let message =
        Message::parse("MSH|^~\\&|HANDOFF|CLINIC|EMR|CLINIC|20260601090000||ADT^A04^ADT_A01|1|P|2.5.1\r").unwrap();
    let error = handoff::connect::hl7v2::send(peer, &message, Duration::from_secs(300)).await.unwrap_err();
    assert!(matches!(error, MllpError::FrameTooLarge { limit: MLLP_LIMIT }), "{error}");
}

/// One scenario that registers a patient at the PM, against `target`.
fn run_register(target: String) -> RunReport {
    Run::new()
        .scenario_yaml(
            "name: register-only\npatient:\n  name: { given: [Ana], family: Lopez }\n  birth_date: 1958-03-12\n  sex: female\nsteps:\n  - register: { at: pm }\n  - expect_synced: { record: patient, at: emr, within: 1s }\n",
        )
        .target_yaml(&target)
        .report()
}

#[test]
fn in_a_run_the_endless_fhir_answer_fails_its_step_with_a_finding_and_the_flow_goes_on_to_report() {
    let runtime = runtime();
    let server = runtime.block_on(fhir_server(Answer::Endless));
    let system = format!("{{ fhir: {{ base_url: \"http://{server}\", timeout: 300s }} }}");
    let report = run_register(format!("name: endless\nsystems:\n  emr: {system}\n  pm: {system}\n"));
    let target = &report.targets[0];
    let steps: Vec<_> = target.flows[0].steps.iter().map(|s| (s.action.as_str(), s.status)).collect();
    use handoff::engine::StepStatus::{Error, Skipped};
    assert_eq!(steps, [("register", Error), ("expect_synced", Skipped)]);
    assert_eq!(target.findings.len(), 1);
    let finding = &target.findings[0];
    assert_eq!(finding.kind.as_str(), "malformed_response");
    assert!(finding.message.ends_with(&format!("the body is over {FHIR_LIMIT} bytes")), "{}", finding.message);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn in_a_run_the_endless_mllp_frame_fails_its_step_with_a_finding() {
    let runtime = runtime();
    let peer = runtime.block_on(endless_mllp());
    let system = format!("{{ hl7v2: {{ send_to: \"{peer}\", timeout: 300s }} }}");
    let report = run_register(format!("name: endless\nsystems:\n  emr: {system}\n  pm: {system}\n"));
    let target = &report.targets[0];
    assert_eq!(target.flows[0].steps[0].status, handoff::engine::StepStatus::Error);
    let finding = &target.findings[0];
    assert_eq!(finding.kind.as_str(), "malformed_response");
    assert!(
        finding.message.ends_with(&format!("an MLLP frame exceeded the {MLLP_LIMIT}-byte limit")),
        "{}",
        finding.message
    );
}
