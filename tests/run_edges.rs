//! Runs that go wrong in the ways real integrations do: late records, re-keyed patients, systems that are down.

mod support;

use handoff::engine::RunEvent;
use support::{Run, findings, target};

const SLOW_INTERFACE: &str = r#"
name: slow-interface
simulator:
  topology: interfaced
  interface: { delay: 1500ms }
"#;

/// A real-systems target whose bearer token is in a variable nobody set.
const NEEDS_A_TOKEN: &str = r#"
name: needs-a-token
systems:
  emr: { fhir: { base_url: "http://127.0.0.1:9/fhir", auth: { bearer: { env: HANDOFF_TEST_TOKEN_THAT_IS_NOT_SET } } } }
  pm: { fhir: { base_url: "http://127.0.0.1:9/fhir" } }
"#;

#[test]
fn a_record_that_misses_its_window_is_a_missing_record_and_counts_every_field() {
    let report = Run::new()
        .scenario_yaml(
            r#"
name: impatient
patient:
  name: { given: [Lee], family: Park }
  birth_date: 1980-05-05
  sex: male
  phone: "813-555-0100"
steps:
  - register: { at: pm }
  - expect_synced: { record: patient, at: emr, within: 200ms }
"#,
        )
        .target_yaml(SLOW_INTERFACE)
        .report();
    let t = target(&report, "slow-interface");
    assert_eq!(findings(t), ["impatient#2 sync/missing_record emr patient.: null -> null"]);
    assert_eq!(t.findings[0].message, "the patient keyed in the pm did not reach the emr within 200ms");
    // given, family, birth date, sex, phone and the tracking identifier: all six expected, none agreed in time.
    assert_eq!((t.tallies.sync_expected, t.tallies.sync_gaps), (6, 6));
    assert_eq!(t.scores.sync_gap_pct, Some(100.0));
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn a_patient_not_yet_in_the_emr_is_keyed_again_and_their_charges_never_reach_the_pm() {
    let report = Run::new()
        .scenario_yaml(
            r#"
name: documented-too-soon
patient:
  name: { given: [Rosa], family: Diaz }
  birth_date: 1966-02-14
  sex: female
  coverage: { payer: medicare, member_id: 2FG5UF6NL83 }
steps:
  - register: { at: pm }
  - document:
      at: emr
      date_of_service: 2026-12-03
      rendering_npi: "1234567893"
      place_of_service: "11"
      diagnoses: [I10]
      services:
        - { code: "99213", dx: [1] }
  - expect_charges: { at: pm, within: 2500ms }
"#,
        )
        .target_yaml(SLOW_INTERFACE)
        .report();
    let t = target(&report, "slow-interface");
    assert_eq!(
        findings(t),
        [
            r#"documented-too-soon#2 redundancy/duplicate_entry emr patient.patient: 7 -> null"#,
            r#"documented-too-soon#3 sync/missing_record pm charge.line[1]: "99213" -> null"#,
        ]
    );
    // Keyed: 4 patient + 3 coverage fields at registration, 7 again in the EMR, 7 visit elements.
    assert_eq!((t.tallies.keyed_fields, t.tallies.rekeyed_fields), (21, 7));
    assert_eq!(t.scores.duplicate_entry_pct, Some(33.33));
}

#[test]
fn an_unreachable_vendor_is_a_finding_and_exit_code_3_not_a_crash() {
    // Port 9 (discard) on loopback has no listener here, so the connection is refused at once.
    let report = Run::new()
        .scenario_file("scenarios/address-and-phone-change.yaml")
        .target_yaml(
            r#"
name: vendor-down
systems:
  emr: { fhir: { base_url: "http://127.0.0.1:9/fhir" } }
  pm: { fhir: { base_url: "http://127.0.0.1:9/fhir", timeout: 2s } }
"#,
        )
        .report();
    let t = target(&report, "vendor-down");
    assert_eq!(findings(t), ["address-and-phone-change#1 system/unreachable pm patient.: null -> null"]);
    assert!(
        t.findings[0].message.starts_with("register (pm): cannot reach http://127.0.0.1:9/fhir/Patient"),
        "{}",
        t.findings[0].message
    );
    let statuses: Vec<_> = t.flows[0].steps.iter().map(|s| format!("{:?}", s.status)).collect();
    assert_eq!(statuses, ["Error", "Skipped", "Skipped", "Skipped"]);
    assert_eq!(report.exit_code(), 3);
}

#[test]
fn a_missing_credential_names_the_variable_and_stops_only_that_target() {
    let report = Run::new()
        .scenario_file("scenarios/address-and-phone-change.yaml")
        .target_yaml(NEEDS_A_TOKEN)
        .target_file("mocks/integrated-suite.yaml")
        .report();
    let t = target(&report, "needs-a-token");
    assert_eq!(
        t.setup_error.as_deref(),
        Some("the environment variable HANDOFF_TEST_TOKEN_THAT_IS_NOT_SET (holding the bearer token) is not set")
    );
    assert!(target(&report, "integrated-suite").flows[0].passed);
    assert_eq!(report.exit_code(), 3);
}

#[test]
fn the_run_tells_listeners_each_flow_as_it_finishes_and_each_target_that_could_not_start() {
    let (sender, receiver) = std::sync::mpsc::channel();
    Run::new()
        .scenario_file("scenarios/address-and-phone-change.yaml")
        .scenario_file("scenarios/established-patient-in-office-lab.yaml")
        .target_yaml(NEEDS_A_TOKEN)
        .target_file("mocks/integrated-suite.yaml")
        .events_to(sender)
        .report();
    let events: Vec<RunEvent> = receiver.try_iter().collect();
    let about = |name: &str| -> Vec<RunEvent> {
        events
            .iter()
            .filter(|e| match e {
                RunEvent::TargetStarted { target, .. }
                | RunEvent::FlowFinished { target, .. }
                | RunEvent::TargetFinished { target, .. } => target == name,
            })
            .cloned()
            .collect()
    };
    assert_eq!(
        about("needs-a-token"),
        [RunEvent::TargetFinished {
            target: "needs-a-token".into(),
            setup_error: Some(
                "the environment variable HANDOFF_TEST_TOKEN_THAT_IS_NOT_SET (holding the bearer token) is not set"
                    .into()
            ),
        }]
    );
    let suite = about("integrated-suite");
    assert_eq!(suite.first(), Some(&RunEvent::TargetStarted { target: "integrated-suite".into(), flows: 2 }));
    assert_eq!(suite.last(), Some(&RunEvent::TargetFinished { target: "integrated-suite".into(), setup_error: None }));
    let mut finished: Vec<_> = suite[1..suite.len() - 1]
        .iter()
        .map(|e| match e {
            RunEvent::FlowFinished { scenario, passed, .. } => (scenario.as_str(), *passed),
            other => panic!("{other:?} between a target's start and finish"),
        })
        .collect();
    finished.sort();
    assert_eq!(finished, [("address-and-phone-change", true), ("established-patient-in-office-lab", true)]);
}

#[test]
fn a_planted_hl7_nak_leaves_the_registration_out_of_the_emr_and_is_counted() {
    let report = Run::new()
        .scenario_yaml(
            r#"
name: refused
patient:
  name: { given: [Lee], family: Park }
  birth_date: 1980-05-05
  sex: male
steps:
  - register: { at: pm }
  - expect_synced: { record: patient, at: emr, within: 1s }
"#,
        )
        .target_yaml(
            r#"
name: nak
simulator:
  topology: interfaced
  interface: { delay: 10ms }
  faults:
    - hl7_nak: { role: emr, code: AR, nth: 1 }
"#,
        )
        .report();
    let t = target(&report, "nak");
    // The EMR rejected the ADT^A04 with MSA-1 AR, so the patient never arrived.
    assert_eq!(findings(t), ["refused#2 sync/missing_record emr patient.: null -> null"]);
}
