//! Targets reached through HL7 v2.5.1 interfaces: the harness sends to a vendor's inbound port, and stands in for
//! one to read what a vendor's system emits. The vendors here are MLLP servers on loopback written in the test.

mod support;

use std::sync::{Arc, Mutex};

use handoff::connect::hl7v2::{
    self, Acknowledgment, Envelope, ErrorCondition, Message, MessageHeader, PatientId, Route, ack, read_adt, read_dft,
};
use handoff::connect::wire::{Scope, WireLog};
use handoff::model::Claim;
use support::{Run, claim_batch, claim_line, findings, free_port, target};
use tokio::net::TcpListener;

/// What a stand-in vendor system received, in order.
type Inbox = Arc<Mutex<Vec<Message>>>;

/// Answers AA, except AE with `refusal` for a DFT about a patient whose family name is `Refused`.
fn answer(message: &Message, refusal: &str) -> Message {
    let header = MessageHeader::read(message).unwrap();
    let refused = header.message_type.code == "DFT" && message.segment("PID").unwrap().component(5, 1) == "Refused";
    let acknowledgment = if refused {
        Acknowledgment::error(ErrorCondition::UNKNOWN_KEY_IDENTIFIER, refusal)
    } else {
        Acknowledgment::accept("filed")
    };
    ack(&header, &format!("ACK{}", header.control_id), jiff::Timestamp::now(), &acknowledgment)
}

/// A vendor's inbound interface on a loopback port, answering each message with `handler`; returns `host:port`.
async fn vendor_port<H, F>(handler: H) -> String
where
    H: Fn(Message) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = Message> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(hl7v2::serve(listener, handler));
    addr
}

/// A vendor PM's inbound interface: files and acknowledges everything it is sent.
async fn vendor_pm(inbox: Inbox) -> String {
    vendor_port(move |message: Message| {
        let inbox = Arc::clone(&inbox);
        async move {
            let reply = answer(&message, "provider 1234567893 is not enrolled with this practice's PM");
            inbox.lock().unwrap().push(message);
            reply
        }
    })
    .await
}

/// The scenarios' patient; `Refused` as the family name has the vendor PM refuse their charges.
const PATIENT: &str = r#"
patient:
  name: { given: [Ana, Maria], family: Lopez-Hernandez }
  birth_date: 1958-03-12
  sex: female
  coverage: { payer: medicare, member_id: 1EG4TE5MK72, relationship: self }
"#;

const REGISTER_AND_DOCUMENT: &str = r#"
steps:
  - register: { at: pm }
  - schedule: { at: pm, provider_npi: "1234567893", start: 2026-06-01T09:00, minutes: 45 }
  - document:
      at: pm
      place_of_service: "11"
      diagnoses: [M17.11, E11.65]
      services:
        - { code: "99204", modifiers: ["25", GC], dx: [1, 2] }
        - { code: "20610", modifiers: [RT], dx: [1] }
"#;

#[test]
fn actions_reach_a_vendor_inbound_port_as_adt_siu_and_dft_and_a_nak_is_a_finding_with_its_text() {
    let background = tokio::runtime::Runtime::new().unwrap();
    let inbox: Inbox = Arc::default();
    let pm = background.block_on(vendor_pm(Arc::clone(&inbox)));
    let registered = format!("name: hl7-register-and-document{PATIENT}{REGISTER_AND_DOCUMENT}");
    let refused = format!("name: hl7-refused{PATIENT}{REGISTER_AND_DOCUMENT}").replace("Lopez-Hernandez", "Refused");
    let wire = WireLog::new();
    let report = Run::new()
        .recording(&wire)
        .scenario_yaml(&registered)
        .scenario_yaml(&refused)
        .target_yaml(&format!(
            "name: vendor-pm\nsystems:\n  emr: {{ hl7v2: {{ send_to: \"{pm}\" }} }}\n  pm:\n    hl7v2:\n      \
             send_to: \"{pm}\"\n      sending_application: CHARTWISE\n      sending_facility: NORTH\n      \
             receiving_application: LEDGERPOINT\n      timeout: 5s\n"
        ))
        .report();
    let t = target(&report, "vendor-pm");

    let received = inbox.lock().unwrap().clone();
    let ours: Vec<&Message> =
        received.iter().filter(|m| m.segment("PID").unwrap().component(5, 1) == "Lopez-Hernandez").collect();
    let types: Vec<String> = ours.iter().map(|m| m.encoded_field("MSH", 9).unwrap()).collect();
    assert_eq!(types, ["ADT^A04^ADT_A01", "SIU^S12^SIU_S12", "DFT^P03^DFT_P03"]);
    let routes: Vec<(&str, &str, &str)> = ours
        .iter()
        .map(|m| {
            let msh = m.segment("MSH").unwrap();
            (msh.value(3), msh.value(4), msh.value(5))
        })
        .collect();
    assert!(routes.iter().all(|r| *r == ("CHARTWISE", "NORTH", "LEDGERPOINT")), "{routes:?}");
    // Every message names the patient by the id the registration gave them, and carries the tracking identifier.
    let patient_ids: Vec<&str> = ours.iter().map(|m| m.segment("PID").unwrap().component(3, 1)).collect();
    assert!(patient_ids[0].starts_with("HO") && patient_ids[0].len() == 14, "{patient_ids:?}");
    assert!(patient_ids.iter().all(|id| *id == patient_ids[0]), "{patient_ids:?}");
    let pid3 = ours[0].encoded_field("PID", 3).unwrap();
    assert!(pid3.contains("~test-run:hl7-register-and-document^^^&urn:handoff:tracking&URI"), "{pid3}");
    let dft = ours[2];
    let codes: Vec<&str> = dft.segments_with_id("FT1").map(|(_, ft1)| ft1.component(7, 1)).collect();
    assert_eq!(codes, ["99204", "20610"]);
    let posted = read_dft(dft).unwrap();
    assert_eq!(posted.charges[0].modifiers, ["25", "GC"]);
    assert_eq!(posted.diagnoses.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["M17.11", "E11.65"]);

    // What a user attaches to the vendor's ticket: each message as sent and the ACK that answered it.
    let exchanged: Vec<(String, &str, String)> = wire
        .exchanges()
        .iter()
        .filter(|e| e.scope.scenario() == Some("hl7-register-and-document"))
        .map(|e| (e.role.to_string(), e.direction.as_str(), e.label.clone()))
        .collect();
    let expected = [
        ("pm", "sent", "ADT^A04"),
        ("pm", "received", "ACK^A04"),
        ("pm", "sent", "SIU^S12"),
        ("pm", "received", "ACK^S12"),
        ("pm", "sent", "DFT^P03"),
        ("pm", "received", "ACK^P03"),
    ]
    .map(|(r, d, l)| (r.to_string(), d, l.to_string()));
    assert_eq!(exchanged, expected);

    let found = findings(t);
    assert_eq!(found.len(), 1, "{found:#?}");
    let nak = &t.findings[0];
    assert_eq!(
        (nak.scenario.as_str(), nak.step, nak.kind.as_str(), nak.record.as_str()),
        ("hl7-refused", 3, "rejected", "encounter")
    );
    assert!(
        nak.message.ends_with(&format!(
            "document (pm): mllp://{pm} answered AE: provider 1234567893 is not enrolled with this practice's PM"
        )),
        "{}",
        nak.message
    );
}

/// A vendor EMR that takes registrations and visits on its inbound port and, like a real one, emits its own
/// ADT^A04 and DFT^P03 (under its own record number) to the PM's port — dropping modifier GC on the way.
async fn vendor_emr(pm_port: u16) -> String {
    let pm = format!("127.0.0.1:{pm_port}");
    // Its outbound interface is one queue, as a real one is: the ADT^A04 reaches the PM before the DFT^P03 that
    // follows it, however fast the harness documents the visit after registering the patient.
    let (outbox, mut queued) = tokio::sync::mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        while let Some(outbound) = queued.recv().await {
            let ack = hl7v2::send(pm.as_str(), &outbound, std::time::Duration::from_secs(5)).await.unwrap();
            assert_eq!(hl7v2::read_ack(&ack).unwrap().acknowledgment.code, hl7v2::AckCode::Accept);
        }
    });
    vendor_port(move |message: Message| {
        let outbox = outbox.clone();
        async move {
            let reply = answer(&message, "");
            let route = Route {
                sending_application: "VENDOREMR".into(),
                sending_facility: "NORTH".into(),
                receiving_application: "PM".into(),
                receiving_facility: "NORTH".into(),
            };
            let envelope = |id: &str| Envelope {
                route: route.clone(),
                control_id: format!("EMR{id}"),
                sent_at: jiff::Timestamp::now(),
            };
            let own = PatientId { value: "EMR-77".into(), assigning_authority: "VENDOREMR".into() };
            let header = MessageHeader::read(&message).unwrap();
            let outbound = match header.message_type.code.as_str() {
                "ADT" => {
                    let mut record = read_adt(&message).unwrap();
                    record.id = own;
                    hl7v2::adt_a04(&envelope(&header.control_id), &record)
                }
                _ => {
                    let mut posted = read_dft(&message).unwrap();
                    posted.patient.id = own;
                    for charge in &mut posted.charges {
                        charge.modifiers.retain(|m| m != "GC");
                    }
                    hl7v2::dft_p03(&envelope(&header.control_id), &posted)
                }
            };
            // Its outbound interface runs after it has answered, as a real one does.
            outbox.send(outbound).unwrap();
            reply
        }
    })
    .await
}

#[test]
fn standing_in_for_the_pm_inbound_port_reads_what_the_vendor_emr_emits_and_finds_the_dropped_modifier() {
    let background = tokio::runtime::Runtime::new().unwrap();
    let listen = free_port();
    let emr = background.block_on(vendor_emr(listen));
    // What the PM exported after billing what it received: the claim without GC.
    let outbox = tempfile::tempdir().unwrap();
    let claim = Claim {
        id: "EMR-77-1".into(),
        payer: "medicare".into(),
        member_id: "1EG4TE5MK72".into(),
        diagnoses: vec!["M17.11".into(), "E11.65".into()],
        lines: vec![claim_line("99204", &["25"], 1.0, &[1, 2]), claim_line("20610", &["RT"], 1.0, &[1])],
        total_charge: 200.0,
    };
    std::fs::write(outbox.path().join("batch-0601.837"), claim_batch(claim, 601)).unwrap();
    let steps = r#"
steps:
  - register: { at: emr }
  - document:
      at: emr
      date_of_service: 2026-06-01
      rendering_npi: "1234567893"
      place_of_service: "11"
      diagnoses: [M17.11, E11.65]
      services:
        - { code: "99204", modifiers: ["25", GC], dx: [1, 2] }
        - { code: "20610", modifiers: [RT], dx: [1] }
  - expect_charges: { at: pm, within: 5s }
  - build_claim: { at: pm }
  - expect_claim: { at: pm }
"#;
    let wire = WireLog::new();
    let report = Run::new()
        .recording(&wire)
        .scenario_yaml(&format!("name: vendor-emr-feed{PATIENT}{steps}"))
        .target_yaml(&format!(
            "name: emr-feed\nsystems:\n  emr: {{ hl7v2: {{ send_to: \"{emr}\", timeout: 5s }} }}\n  pm:\n    \
             hl7v2: {{ listen: \"127.0.0.1:{listen}\" }}\n    x12: {{ outbox: \"{}\" }}\n",
            outbox.path().display()
        ))
        .report();
    let t = target(&report, "emr-feed");
    assert_eq!(
        findings(t),
        ["vendor-emr-feed#5 handoff/dropped pm claim.line[1].modifier[2]: \"GC\" -> null @pm.charge"]
    );
    let flow = &t.flows[0];
    let statuses: Vec<String> = flow.steps.iter().map(|s| format!("{} {:?}", s.action, s.status)).collect();
    assert_eq!(
        statuses,
        ["register Passed", "document Passed", "expect_charges Passed", "build_claim Passed", "expect_claim Failed"]
    );
    // The PM's patient is the vendor EMR's record, found by the identifier the harness registered them with.
    let pm = flow.identities.iter().find(|i| i.role == handoff::model::Role::Pm).unwrap();
    assert_eq!(pm.patient_id, "EMR-77");
    assert_eq!(t.tallies.handoff_elements, t.tallies.handoff_exact + 1);
    // What the vendor EMR emitted is kept as the interface's traffic, each message with the ACK the harness gave it,
    // traced to the patient by the vendor's own record number.
    let emitted: Vec<(&str, String, Option<String>)> = wire
        .exchanges()
        .iter()
        .filter(|e| e.scope == Scope::Interface)
        .map(|e| (e.direction.as_str(), e.label.clone(), e.patient.as_ref().map(|p| format!("{} {}", p.role, p.id))))
        .collect();
    let pm_patient = Some("pm EMR-77".to_string());
    assert_eq!(
        emitted,
        [
            ("received", "ADT^A04".to_string(), pm_patient.clone()),
            ("sent", "ACK^A04".to_string(), None),
            ("received", "DFT^P03".to_string(), pm_patient),
            ("sent", "ACK^P03".to_string(), None),
        ]
    );
}
