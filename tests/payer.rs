//! The simulated payer closing the register-to-claim flow: a scenario that ends with `expect_remittance` against a
//! profile whose payer denies a code, and the X12 the PM and the payer exchanged, read back over HTTP.

mod support;

use std::time::Duration;

use handoff::connect::fhir::FhirAdapter;
use handoff::connect::{Action, Adapter, Query, Records};
use handoff::diff::{Category, FindingKind};
use handoff::model::{ClaimDecision, Coverage, Encounter, HumanName, Identifier, Patient, Relationship, Sex};
use handoff::scenario::parse_target;
use serde_json::json;
use support::{Run, findings, target};

/// A shared record whose payer never pays for therapeutic exercise.
const TARGET: &str = r#"
name: strict-payer
simulator:
  topology: shared
  payer:
    name: GULF COAST HEALTH PLAN
    deny: [{ code: "97110", carc: CO-50 }]
"#;

fn scenario(name: &str, services: &str) -> String {
    format!(
        r#"
name: {name}
patient:
  name: {{ given: [Minh], family: Nguyen }}
  birth_date: 1971-09-30
  sex: male
  coverage: {{ payer: aetna, member_id: W284461937, relationship: self }}
steps:
  - register: {{ at: pm }}
  - document:
      at: emr
      date_of_service: 2026-06-02
      rendering_npi: "1042850002"
      place_of_service: "11"
      diagnoses: [M54.50]
      services:
{services}
  - expect_charges: {{ at: pm, within: 5s }}
  - build_claim: {{ at: pm }}
  - expect_claim: {{ at: pm, matches: documented, scrub: cms }}
  - expect_remittance: {{ at: pm, within: 10s }}
"#
    )
}

#[test]
fn a_denied_service_is_a_finding_and_a_predicted_one_says_so() {
    let report = Run::new()
        // The payer's own denial: nothing the scrubber knows predicts it.
        .scenario_yaml(&scenario(
            "therapy-after-visit",
            "        - { code: \"99213\", dx: [1] }\n        - { code: \"97110\", units: 2, dx: [1] }",
        ))
        // Modifier 25 with nothing else that day: the scrubber predicts CO-4, and the payer, by the same rule, denies.
        .scenario_yaml(&scenario(
            "visit-with-a-stray-25",
            "        - { code: \"99213\", modifiers: [\"25\"], dx: [1] }",
        ))
        .target_yaml(TARGET)
        .report();
    let t = target(&report, "strict-payer");
    assert_eq!(
        findings(t),
        vec![
            r#"therapy-after-visit#6 payment/denied pm remittance.line[2]: "paid" -> "denied CO-50" @payer.835"#,
            r#"visit-with-a-stray-25#5 rule/rule_break pm claim.line[1]: null -> "modifier.25_no_procedure" @pm.claim"#,
            r#"visit-with-a-stray-25#6 payment/denied pm remittance.line[1]: "denied CO-4 (modifier.25_no_procedure)" -> "denied CO-4" @payer.835"#,
        ]
    );
    let denied = |scenario: &str| {
        t.findings
            .iter()
            .find(|f| f.scenario == scenario && f.category == Category::Payment)
            .unwrap_or_else(|| panic!("no payment finding in {scenario}"))
    };
    let therapy = denied("therapy-after-visit");
    assert_eq!(
        (therapy.kind, therapy.action.as_str(), therapy.record.as_str()),
        (FindingKind::Denied, "expect_remittance", "remittance")
    );
    let evidence = therapy.denial.as_ref().unwrap();
    // Two units at the simulated PM's $100 a unit.
    assert_eq!((evidence.carc.as_str(), evidence.amount, evidence.predicted.is_none()), ("CO-50", 200.0, true));
    assert_eq!(therapy.message, "line 2 (97110) was denied CO-50, $200.00 not paid: not predicted");
    let stray = denied("visit-with-a-stray-25");
    let predicted = stray.denial.as_ref().and_then(|d| d.predicted.as_ref()).unwrap();
    assert_eq!((predicted.id.as_str(), predicted.carc.as_str()), ("modifier.25_no_procedure", "CO-4"));
    assert_eq!(stray.expected, json!("denied CO-4 (modifier.25_no_procedure)"));
    assert_eq!(stray.actual, json!("denied CO-4"));
    assert!(stray.message.ends_with(": predicted CO-4 by modifier.25_no_procedure"), "{}", stray.message);

    // Therapy: 99213 paid at 80% of $100; 97110 denied. The stray 25: its only line denied.
    assert_eq!((t.tallies.claims_remitted, t.tallies.lines_adjudicated, t.tallies.lines_denied), (2, 3, 2));
    assert_eq!((t.tallies.denials_predicted, t.tallies.charged_cents, t.tallies.paid_cents), (1, 40_000, 8_000));
    assert_eq!(t.scores.first_pass_paid_pct, Some(0.0));
    assert_eq!(t.scores.denials_predicted_pct, Some(50.0));
    assert_eq!(t.scores.paid_of_charged_pct, Some(20.0));
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn the_pm_keeps_the_claim_response_and_every_x12_text_it_exchanged() {
    let profile = parse_target("t.yaml", TARGET).unwrap();
    let sim = handoff::mock::start("t", profile.simulator.as_ref().unwrap(), &[], 0, 0).await.unwrap();
    let pm = FhirAdapter::new(&sim.pm_url, Duration::from_secs(5)).unwrap();
    let patient = Patient {
        name: HumanName { given: vec!["Minh".into()], family: "Nguyen".into() },
        birth_date: "1971-09-30".parse().unwrap(),
        sex: Sex::Male,
        address: None,
        phone: None,
        identifiers: vec![],
        coverage: Some(Coverage {
            payer: "aetna".into(),
            member_id: "W284461937".into(),
            relationship: Relationship::Self_,
        }),
        secondary_coverage: None,
    };
    let tracking = Identifier { system: "urn:test".into(), value: "x12".into() };
    let id = pm.apply(Action::Register { patient: &patient, tracking: &tracking }).await.unwrap().id.unwrap();
    let visit: Encounter = serde_json::from_value(json!({
        "date_of_service": "2026-06-02", "place_of_service": "11", "rendering_npi": "1042850002",
        "diagnoses": [{ "code": "M54.50" }],
        "service_lines": [{ "code": "97110", "modifiers": [], "units": 1.0, "dx_pointers": [1], "place_of_service": "11",
                            "date_of_service": "2026-06-02", "rendering_npi": "1042850002" }]
    }))
    .unwrap();
    pm.apply(Action::Document { patient_id: &id, encounter: &visit }).await.unwrap();
    let claim_id = pm.apply(Action::BuildClaim { patient_id: &id }).await.unwrap().id.unwrap();
    let mut remittance = None;
    for _ in 0..100 {
        if let Records::Remittances(found) = pm.fetch(Query::Remittance { patient_id: &id }).await.unwrap()
            && let Some(r) = found.into_iter().next()
        {
            remittance = Some(r.value);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let remittance = remittance.expect("a ClaimResponse within 5 s");
    assert_eq!((remittance.claim_id.as_str(), remittance.status), (claim_id.as_str(), ClaimDecision::Denied));
    let line = &remittance.lines[0];
    assert_eq!((line.code.as_str(), line.charged, line.paid), ("97110", 100.0, 0.0));
    assert_eq!(line.adjustments[0].carc(), "CO-50");

    let exchanges: serde_json::Value =
        reqwest::get(format!("{}/$remittance?patient={id}", sim.pm_url)).await.unwrap().json().await.unwrap();
    let exchange = &exchanges["exchanges"][0];
    assert_eq!(exchange["claim"], claim_id.as_str());
    assert!(exchange["837"].as_str().unwrap().contains("SV1*HC:97110*100*UN*1***1~"));
    assert!(exchange["999"].as_str().unwrap().contains("AK9*A*1*1*1~"));
    assert!(exchange["277ca"].as_str().unwrap().contains("STC*A2:20:PR*"));
    assert!(exchange["835"].as_str().unwrap().contains("SVC*HC:97110*100*0**1~"));
    assert!(exchange["835"].as_str().unwrap().contains("CAS*CO*50*100~"));
}
