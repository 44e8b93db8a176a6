//! A simulator told to retain a number of patients (`retain_patients`), seen by a client: the oldest patient is
//! gone from every system with its claims, remittances and X12, and the newer ones are whole.

mod support;

use std::time::Duration;

use handoff::connect::fhir::FhirAdapter;
use handoff::connect::{Action, Adapter, Query, Records};
use handoff::model::{ClaimDecision, Coverage, Encounter, HumanName, Identifier, Patient, Relationship, Sex};
use handoff::scenario::parse_target;
use serde_json::{Value, json};
use support::{Run, findings, target};

fn patient(family: &str) -> Patient {
    Patient {
        name: HumanName { given: vec!["Rita".into()], family: family.into() },
        birth_date: "1950-03-14".parse().unwrap(),
        sex: Sex::Female,
        address: None,
        phone: None,
        identifiers: vec![],
        coverage: Some(Coverage {
            payer: "medicare".into(),
            member_id: "1EG4TE5MK72".into(),
            relationship: Relationship::Self_,
        }),
        secondary_coverage: None,
    }
}

async fn simulator(topology: &str) -> handoff::mock::RunningSimulator {
    let yaml = format!("name: t\nsimulator: {{ topology: {topology}, retain_patients: 2 }}\n");
    let target = parse_target("t.yaml", &yaml).unwrap();
    handoff::mock::start("t", target.simulator.as_ref().unwrap(), &[], 0, 0).await.unwrap()
}

async fn get(url: String) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Registers, documents and bills one patient on a shared record, and waits for the payer's answer.
async fn billed(fhir: &FhirAdapter, family: &str) -> String {
    let tracking = Identifier { system: "urn:test".into(), value: family.into() };
    let id = fhir.apply(Action::Register { patient: &patient(family), tracking: &tracking }).await.unwrap().id.unwrap();
    let visit: Encounter = serde_json::from_value(json!({
        "date_of_service": "2026-06-02", "place_of_service": "11", "rendering_npi": "1042850002",
        "diagnoses": [{ "code": "M54.50" }],
        "service_lines": [{ "code": "99213", "modifiers": [], "units": 1.0, "dx_pointers": [1], "place_of_service": "11",
                            "date_of_service": "2026-06-02", "rendering_npi": "1042850002" }]
    }))
    .unwrap();
    fhir.apply(Action::Document { patient_id: &id, encounter: &visit }).await.unwrap();
    fhir.apply(Action::BuildClaim { patient_id: &id }).await.unwrap();
    for _ in 0..100 {
        if let Records::Remittances(found) = fhir.fetch(Query::Remittance { patient_id: &id }).await.unwrap()
            && let Some(r) = found.first()
        {
            assert_eq!(r.value.status, ClaimDecision::Paid);
            return id;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no remittance for {family} within 5 s");
}

#[tokio::test]
async fn a_shared_record_retaining_two_patients_forgets_the_first_with_its_claim_and_x12() {
    let sim = simulator("shared").await;
    let fhir = FhirAdapter::new(&sim.pm_url, Duration::from_secs(5)).unwrap();
    let mut ids = Vec::new();
    for family in ["First", "Second", "Third"] {
        ids.push(billed(&fhir, family).await);
    }
    let (status, outcome) = get(format!("{}/Patient/{}", sim.emr_url, ids[0])).await;
    assert_eq!(status, 404);
    assert_eq!(outcome["issue"][0]["diagnostics"], format!("Patient/{} is not known", ids[0]));
    for resource_type in ["Patient", "Coverage", "Encounter", "Condition", "ChargeItem", "Claim", "ClaimResponse"] {
        let (_, all) = get(format!("{}/{resource_type}", sim.pm_url)).await;
        assert_eq!(all["total"], 2, "{resource_type}");
    }
    let (_, claims) = get(format!("{}/Claim?patient=Patient/{}", sim.pm_url, ids[0])).await;
    assert_eq!(claims["total"], 0);
    let exchanges = |id: &str| get(format!("{}/$remittance?patient={id}", sim.pm_url));
    assert_eq!(exchanges(&ids[0]).await.1["exchanges"], json!([]));
    for id in &ids[1..] {
        let (_, held) = exchanges(id).await;
        assert_eq!(held["exchanges"].as_array().unwrap().len(), 1);
        assert!(held["exchanges"][0]["835"].as_str().unwrap().contains("CLP*"));
    }
    // The payer forgot its answers to the first claim's 837 (the PM's first interchange) and kept the others'.
    let remittance = |isa13: &str| reqwest::get(format!("{}/835/{isa13}", sim.payer_url));
    assert_eq!(remittance("000000001").await.unwrap().status().as_u16(), 404);
    assert_eq!(remittance("000000002").await.unwrap().status().as_u16(), 200);
}

/// The family names of every patient a system holds, oldest first.
async fn families(url: &str) -> Vec<String> {
    let (_, all) = get(format!("{url}/Patient")).await;
    let entries = all["entry"].as_array().cloned().unwrap_or_default();
    entries.iter().map(|e| e["resource"]["name"][0]["family"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn an_interfaced_pair_retaining_two_patients_forgets_the_first_in_both_systems() {
    let sim = simulator("interfaced").await;
    let pm = FhirAdapter::new(&sim.pm_url, Duration::from_secs(5)).unwrap();
    for family in ["First", "Second", "Third"] {
        let tracking = Identifier { system: "urn:test".into(), value: family.into() };
        pm.apply(Action::Register { patient: &patient(family), tracking: &tracking }).await.unwrap();
        // Each patient reaches the EMR before the next is registered, so the EMR admits them in the same order.
        let mut arrived = false;
        for _ in 0..100 {
            if families(&sim.emr_url).await.contains(&family.to_string()) {
                arrived = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(arrived, "{family} did not reach the EMR within 2 s");
    }
    for url in [&sim.pm_url, &sim.emr_url] {
        assert_eq!(families(url).await, ["Second", "Third"], "{url}");
        let (_, coverage) = get(format!("{url}/Coverage")).await;
        assert_eq!(coverage["total"], 2, "{url}");
    }
}

/// The shipped interfaced pair, its defects and payer as shipped, with each system told to forget a finished
/// flow's patient: each flow's findings are what they are without it.
#[test]
fn forgetting_each_finished_flows_patients_changes_no_finding() {
    let shipped = std::fs::read_to_string(support::repo("mocks/interfaced-pair.yaml")).unwrap();
    let forgetting = shipped
        .replace("name: interfaced-pair", "name: forgetting-pair")
        .replace("simulator:\n", "simulator:\n  forget_finished_flows: true\n");
    assert_ne!(forgetting, shipped.replace("name: interfaced-pair", "name: forgetting-pair"));
    let report = Run::new()
        .scenario_file("scenarios/address-and-phone-change.yaml")
        .scenario_file("scenarios/established-patient-in-office-lab.yaml")
        .scenario_file("scenarios/new-medicare-patient-em-25-with-procedure.yaml")
        .target_yaml(&shipped)
        .target_yaml(&forgetting)
        .report();
    let (kept, forgot) = (target(&report, "interfaced-pair"), target(&report, "forgetting-pair"));
    assert_eq!(findings(forgot), findings(kept));
    assert_eq!(findings(kept).len(), 6);
    let passed = |t: &handoff::report::TargetReport| t.flows.iter().filter(|f| f.passed).count();
    assert_eq!((passed(kept), passed(forgot)), (1, 1));
}
