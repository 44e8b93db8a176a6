//! MLLP round trips with independent HL7 implementations: python-hl7's client delivers an ADT^A04 to handoff's
//! listener, and handoff's client delivers a DFT^P03 to an hl7apy MLLP server, each reading the other's ACK.
//!
//! They need Python 3 with `hl7==0.4.5` and `hl7apy==1.3.5`, so they run when `HANDOFF_INTEROP=1` (as .ci/run
//! sets it, after installing both) and are skipped, saying so, otherwise.

use std::process::Stdio;
use std::time::Duration;

use handoff::connect::hl7v2::{
    AckCode, Acknowledgment, Message, MessageHeader, ack, read_ack, read_adt, read_dft, send, serve,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::mpsc;

/// Long enough for a cold Python start on a loaded 2-core machine; a healthy exchange takes well under a second.
const PATIENCE: Duration = Duration::from_secs(30);

fn interop_required() -> bool {
    let required = std::env::var("HANDOFF_INTEROP").is_ok_and(|v| v == "1");
    if !required {
        eprintln!(
            "skipped: set HANDOFF_INTEROP=1 to run the python-hl7 and hl7apy MLLP round trips \
             (needs: pip install hl7==0.4.5 hl7apy==1.3.5)"
        );
    }
    required
}

/// Python with its stdin and stdout piped to the test, killed if the test drops it (or fails first).
fn python3(args: &[&str]) -> tokio::process::Child {
    Command::new("python3")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 must be on PATH when HANDOFF_INTEROP=1")
}

/// A message exactly as handoff's builders write it: the interop samples are kept byte-identical to the builders'
/// output by the `interop_samples_match_the_builders` unit test.
fn built_by_handoff(sample: &str) -> Message {
    let path = format!("{}/tests/interop/samples/{sample}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Message::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Sends the ER7 text on stdin to 127.0.0.1:<argv[1]> with python-hl7's MLLPClient and prints MSA-1, MSA-2 and
/// MSH-9 of the reply, one per line, as python-hl7 parses them.
const PYTHON_HL7_SEND: &str = r#"
import sys
import hl7
from hl7.client import MLLPClient

text = sys.stdin.read()
with MLLPClient("127.0.0.1", int(sys.argv[1])) as client:
    reply = client.send_message(text)
ack = hl7.parse(reply.strip(b"\x0b\x1c\r").decode("utf-8"))
msa = ack.segment("MSA")
print(msa[1])
print(msa[2])
print(ack.segment("MSH")[9])
"#;

#[tokio::test]
async fn python_hl7_delivers_an_adt_a04_to_the_handoff_listener_and_reads_its_aa() {
    if !interop_required() {
        return;
    }
    let adt = built_by_handoff("adt_a04.hl7");
    let sent = adt.to_er7();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (received_tx, mut received) = mpsc::unbounded_channel::<Message>();
    let receiver = tokio::spawn(serve(listener, move |message: Message| {
        let received_tx = received_tx.clone();
        async move {
            let header = MessageHeader::read(&message).unwrap();
            let reply = ack(&header, "ACK0001", jiff::Timestamp::now(), &Acknowledgment::accept("Patient registered"));
            received_tx.send(message).unwrap();
            reply
        }
    }));

    let mut python = python3(&["-c", PYTHON_HL7_SEND, &port.to_string()]);
    let mut stdin = python.stdin.take().unwrap();
    stdin.write_all(sent.as_bytes()).await.unwrap();
    drop(stdin);
    let output = tokio::time::timeout(PATIENCE, python.wait_with_output()).await.expect("python-hl7 hung").unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "python-hl7 failed (its stderr is above): {stdout}");

    let reply: Vec<&str> = stdout.lines().collect();
    assert_eq!(reply, ["AA", "MSG0001", "ACK^A04^ACK"], "what python-hl7 read back");
    let delivered = tokio::time::timeout(PATIENCE, received.recv()).await.unwrap().unwrap();
    assert_eq!(delivered.to_er7(), sent, "the listener must receive the message byte for byte");
    assert_eq!(read_adt(&delivered).unwrap().id.value, "EMR-000123");
    receiver.abort();
}

/// The hl7apy server, killed when dropped; its stdin is held open so it serves until then.
struct Hl7apyServer {
    port: u16,
    _process: tokio::process::Child,
}

async fn start_hl7apy_server() -> Hl7apyServer {
    let script = format!("{}/tests/interop/hl7apy_mllp_server.py", env!("CARGO_MANIFEST_DIR"));
    let mut process = python3(&[&script]);
    // The script prints its port once it is listening, so reading that line is the readiness check.
    let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(PATIENCE, lines.next_line()).await.expect("the hl7apy server never said its port");
    let line = first.unwrap().unwrap_or_else(|| panic!("{script} exited before listening"));
    let port = line.trim().parse().unwrap_or_else(|_| panic!("{script} printed `{line}`, not a port"));
    Hl7apyServer { port, _process: process }
}

#[tokio::test]
async fn handoff_delivers_a_dft_p03_to_an_hl7apy_server_and_reads_its_aa() {
    if !interop_required() {
        return;
    }
    let dft = built_by_handoff("dft_p03.hl7");
    assert_eq!(read_dft(&dft).unwrap().charges.len(), 3);
    let server = start_hl7apy_server().await;

    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port));
    let reply = send(addr, &dft, PATIENCE).await.unwrap();
    let received = read_ack(&reply).unwrap();
    // hl7apy answers AR with its reason in MSA-3 when strict 2.5.1 validation of the DFT fails.
    assert_eq!(received.acknowledgment.code, AckCode::Accept, "hl7apy said: {}", received.acknowledgment.text);
    assert_eq!(received.acknowledged_control_id, "MSG0004");
    let header = MessageHeader::read(&reply).unwrap();
    assert_eq!(header.control_id, "HL7APY-MSG0004");
    assert_eq!(header.route.receiving_application, "HANDOFF-EMR", "the ACK goes back to the sender");
    assert_eq!(header.message_type.trigger, "P03");
}
