//! The FHIR adapter against a simulator on loopback: paging, versions, and what a server cannot do.

use std::time::Duration;

use handoff::connect::fhir::FhirAdapter;
use handoff::connect::{Action, Adapter, AdapterError, Query, Records};
use handoff::model::{HumanName, Identifier, Patient, Sex};
use handoff::scenario::parse_target;

fn patient(family: &str) -> Patient {
    Patient {
        name: HumanName { given: vec!["Test".into()], family: family.into() },
        birth_date: "2000-01-01".parse().unwrap(),
        sex: Sex::Unknown,
        address: None,
        phone: None,
        identifiers: vec![],
        coverage: None,
        secondary_coverage: None,
    }
}

async fn simulator(topology: &str) -> handoff::mock::RunningSimulator {
    let target = parse_target("t.yaml", &format!("name: t\nsimulator: {{ topology: {topology} }}\n")).unwrap();
    handoff::mock::start("t", target.simulator.as_ref().unwrap(), &[], 0, 0).await.unwrap()
}

#[tokio::test]
async fn search_follows_next_links_across_pages() {
    let sim = simulator("shared").await;
    let fhir = FhirAdapter::new(&sim.pm_url, Duration::from_secs(5)).unwrap();
    let family = Identifier { system: "urn:test:family".into(), value: "many".into() };
    // The simulator pages at 20, so 45 records take three pages.
    for i in 0..45 {
        let patient = Patient { identifiers: vec![family.clone()], ..patient(&format!("P{i:02}")) };
        let tracking = Identifier { system: "urn:test".into(), value: format!("p{i}") };
        fhir.apply(Action::Register { patient: &patient, tracking: &tracking }).await.unwrap();
    }
    let Records::Patients(found) = fhir.fetch(Query::PatientByIdentifier(&family)).await.unwrap() else { panic!() };
    assert_eq!(found.len(), 45);
    assert_eq!(found[44].value.name.family, "P44");
}

#[tokio::test]
async fn next_links_keep_a_searched_value_that_holds_reserved_characters() {
    let sim = simulator("shared").await;
    let fhir = FhirAdapter::new(&sim.pm_url, Duration::from_secs(5)).unwrap();
    // `#` would end the next link's query, `&` and `+` split or change it, unless the link encodes them.
    let family = Identifier { system: "urn:test:family".into(), value: "lot #7 & co+1".into() };
    for i in 0..25 {
        let patient = Patient { identifiers: vec![family.clone()], ..patient(&format!("R{i:02}")) };
        let tracking = Identifier { system: "urn:test".into(), value: format!("r{i}") };
        fhir.apply(Action::Register { patient: &patient, tracking: &tracking }).await.unwrap();
    }
    let Records::Patients(found) = fhir.fetch(Query::PatientByIdentifier(&family)).await.unwrap() else { panic!() };
    assert_eq!(found.len(), 25);
    assert_eq!(found[24].value.name.family, "R24");
}

/// The simulator writes a searchset around each record's stored text, and sends a read's text as it stores it: what
/// a client gets must still be the Bundle FHIR describes, holding the record a read answers.
#[tokio::test]
async fn a_searchset_holds_each_match_as_a_read_answers_it() {
    let sim = simulator("shared").await;
    let fhir = FhirAdapter::new(&sim.pm_url, Duration::from_secs(5)).unwrap();
    let tracking = Identifier { system: "urn:test".into(), value: "s1".into() };
    let registered = fhir.apply(Action::Register { patient: &patient("Searched"), tracking: &tracking }).await.unwrap();
    let id = registered.id.unwrap();
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let answer = http.get(url).send().await.unwrap();
            assert_eq!(answer.headers()["content-type"], "application/fhir+json");
            answer.json::<serde_json::Value>().await.unwrap()
        }
    };
    let bundle = get(format!("{}/Patient?identifier=urn:test%7Cs1", sim.pm_url)).await;
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    assert_eq!(bundle["total"], 1);
    assert_eq!(bundle["link"][0]["relation"], "self");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["fullUrl"], format!("{}/Patient/{id}", sim.pm_url));
    assert_eq!(entries[0]["search"]["mode"], "match");
    assert_eq!(entries[0]["resource"]["name"][0]["family"], "Searched");
    let read = get(format!("{}/Patient/{id}", sim.pm_url)).await;
    assert_eq!(read, entries[0]["resource"]);
    // Nothing matches another tracking value, and a Bundle with no match still has an (empty) entry list.
    let none = get(format!("{}/Patient?identifier=urn:test%7Cs2", sim.pm_url)).await;
    assert_eq!((none["total"].as_u64(), none["entry"].as_array().map(Vec::len)), (Some(0), Some(0)));
}

#[tokio::test]
async fn registering_the_same_patient_twice_is_a_conditional_create() {
    let sim = simulator("shared").await;
    let fhir = FhirAdapter::new(&sim.pm_url, Duration::from_secs(5)).unwrap();
    let tracking = Identifier { system: "urn:test".into(), value: "again".into() };
    let covered = Patient {
        coverage: Some(handoff::model::Coverage {
            payer: "medicare".into(),
            member_id: "1EG4TE5MK72".into(),
            relationship: handoff::model::Relationship::Self_,
        }),
        ..patient("Twice")
    };
    let first = fhir.apply(Action::Register { patient: &covered, tracking: &tracking }).await.unwrap();
    let second = fhir.apply(Action::Register { patient: &covered, tracking: &tracking }).await.unwrap();
    assert_eq!(first.id, second.id);
    let Records::Patients(found) = fhir.fetch(Query::PatientByIdentifier(&tracking)).await.unwrap() else { panic!() };
    assert_eq!(found.len(), 1);
    let id = first.id.unwrap();
    let Records::Coverages(coverages) = fhir.fetch(Query::Coverage { patient_id: &id }).await.unwrap() else {
        panic!()
    };
    assert_eq!(coverages.len(), 1, "the coverage is not registered again");
}

#[tokio::test]
async fn an_update_sends_the_version_it_read_and_bumps_it() {
    let sim = simulator("shared").await;
    let fhir = FhirAdapter::new(&sim.emr_url, Duration::from_secs(5)).unwrap();
    let tracking = Identifier { system: "urn:test".into(), value: "one".into() };
    let id =
        fhir.apply(Action::Register { patient: &patient("Before"), tracking: &tracking }).await.unwrap().id.unwrap();
    fhir.apply(Action::UpdatePatient { id: &id, patient: &patient("After"), tracking: &tracking }).await.unwrap();
    let Records::Patients(found) = fhir.fetch(Query::PatientByIdentifier(&tracking)).await.unwrap() else { panic!() };
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].version.as_deref(), Some("2"));
    assert_eq!(found[0].value.name.family, "After");
}

#[tokio::test]
async fn an_emr_that_does_not_bill_says_so_instead_of_failing() {
    let sim = simulator("interfaced").await;
    let emr = FhirAdapter::new(&sim.emr_url, Duration::from_secs(5)).unwrap();
    let tracking = Identifier { system: "urn:test".into(), value: "emr".into() };
    let id = emr.apply(Action::Register { patient: &patient("X"), tracking: &tracking }).await.unwrap().id.unwrap();
    let err = emr.apply(Action::BuildClaim { patient_id: &id }).await.unwrap_err();
    // Its CapabilityStatement lists no $build-claim, so the adapter does not ask.
    let what = "building a claim (operation $build-claim is not in its CapabilityStatement)";
    assert_eq!(err, AdapterError::NotSupported { what: what.into() });
}

#[tokio::test]
async fn metadata_is_a_capability_statement_listing_the_resources() {
    let sim = simulator("interfaced").await;
    let body: serde_json::Value = reqwest::get(format!("{}/metadata", sim.pm_url)).await.unwrap().json().await.unwrap();
    assert_eq!(body["resourceType"], "CapabilityStatement");
    assert_eq!(body["fhirVersion"], "4.0.1");
    let types: Vec<&str> =
        body["rest"][0]["resource"].as_array().unwrap().iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "Patient",
            "Coverage",
            "Appointment",
            "Encounter",
            "Condition",
            "Procedure",
            "ChargeItem",
            "Claim",
            "ClaimResponse"
        ]
    );
    assert_eq!(body["rest"][0]["operation"][0]["name"], "build-claim");
}

#[tokio::test]
async fn the_adapter_reads_products_and_module_prices_from_metadata() {
    let target = handoff::scenario::load_target(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mocks/billing-first-pm.yaml"),
    )
    .unwrap();
    let products: Vec<_> = target.products.iter().map(|p| p.value.clone()).collect();
    let sim = handoff::mock::start("b", target.simulator.as_ref().unwrap(), &products, 0, 0).await.unwrap();
    let emr = FhirAdapter::new(&sim.emr_url, Duration::from_secs(5)).unwrap();
    let Records::Capabilities(c) = emr.fetch(Query::Capabilities).await.unwrap() else { panic!() };
    assert_eq!(c.product.as_deref(), Some("LiteChart"));
    assert_eq!(c.modules.get(&handoff::model::Module::EPrescribing), Some(&Some(29.0)));
    assert_eq!(c.modules.len(), 4);
    assert!(c.resources.contains(&"ChargeItem".to_string()));
}

#[tokio::test]
async fn a_bad_search_parameter_is_an_operation_outcome_the_adapter_reports() {
    let sim = simulator("shared").await;
    let response = reqwest::get(format!("{}/Patient?colour=red", sim.pm_url)).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["issue"][0]["diagnostics"],
        "this system does not support the search parameter `colour` on Patient"
    );
}
