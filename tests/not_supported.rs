//! What a FHIR server cannot do: refused from its CapabilityStatement without asking, reported as "not supported by
//! this system", and the flow goes on past it; what a server refuses reaches the finding in its own words.

mod support;

use std::sync::Arc;
use std::time::Duration;

use handoff::connect::fhir::FhirAdapter;
use handoff::connect::{Action, Adapter, AdapterError, Query};
use handoff::engine::{StepStatus, Systems, run_flow};
use handoff::scenario::parse_scenario;
use serde_json::{Value, json};
use support::{Run, findings, target};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fhir_json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/fhir+json")
}

/// A server that lists its resources, interactions and search parameters but no operations, as Medplum does.
async fn server_without_operations() -> MockServer {
    let server = MockServer::start().await;
    let statement = json!({
        "resourceType": "CapabilityStatement",
        "rest": [{
            "mode": "server",
            "resource": [
                { "type": "Patient", "interaction": [{ "code": "read" }, { "code": "create" }] },
                {
                    "type": "ChargeItem",
                    "interaction": [{ "code": "read" }, { "code": "search-type" }],
                    "searchParam": [{ "name": "context", "type": "reference" }],
                },
            ],
            "interaction": [{ "code": "transaction" }],
        }],
    });
    Mock::given(method("GET")).and(path("/metadata")).respond_with(fhir_json(200, statement)).mount(&server).await;
    server
}

async fn requests(server: &MockServer) -> Vec<String> {
    let received = server.received_requests().await.unwrap();
    received.iter().map(|r| format!("{} {}", r.method, r.url.path())).collect()
}

#[tokio::test]
async fn an_operation_the_server_does_not_declare_is_not_supported_and_never_sent() {
    let server = server_without_operations().await;
    let fhir = FhirAdapter::new(&server.uri(), Duration::from_secs(5)).unwrap();
    let err = fhir.apply(Action::BuildClaim { patient_id: "p1" }).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "not supported by this system: building a claim (operation $build-claim is not in its CapabilityStatement)"
    );
    assert_eq!(err.kind(), "not_supported");
    assert_eq!(requests(&server).await, ["GET /metadata"]);
}

#[tokio::test]
async fn a_search_parameter_or_resource_the_server_does_not_list_is_not_sent() {
    let server = server_without_operations().await;
    let fhir = FhirAdapter::new(&server.uri(), Duration::from_secs(5)).unwrap();
    let err = fhir.fetch(Query::Charges { patient_id: "p1" }).await.unwrap_err();
    assert_eq!(
        err,
        AdapterError::NotSupported {
            what: "searching ChargeItem by patient (search parameter `patient` on ChargeItem is not in its \
                   CapabilityStatement)"
                .into()
        }
    );
    let err = fhir.fetch(Query::Claims { patient_id: "p1" }).await.unwrap_err();
    assert_eq!(
        err,
        AdapterError::NotSupported {
            what: "searching Claim (resource type Claim is not in its CapabilityStatement)".into()
        }
    );
    // The statement is read once, and nothing it rules out is asked.
    assert_eq!(requests(&server).await, ["GET /metadata"]);
}

#[tokio::test]
async fn the_statement_read_for_capabilities_is_the_one_requests_are_checked_against() {
    let server = server_without_operations().await;
    let fhir = FhirAdapter::new(&server.uri(), Duration::from_secs(5)).unwrap();
    fhir.fetch(Query::Capabilities).await.unwrap();
    assert!(fhir.apply(Action::BuildClaim { patient_id: "p1" }).await.is_err());
    assert_eq!(requests(&server).await, ["GET /metadata"]);
}

#[tokio::test]
async fn without_a_capability_statement_the_request_is_tried_and_a_404_is_not_supported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/Patient/p1/$build-claim"))
        .respond_with(fhir_json(404, json!({"resourceType": "OperationOutcome", "issue": []})))
        .mount(&server)
        .await;
    let fhir = FhirAdapter::new(&server.uri(), Duration::from_secs(5)).unwrap();
    let err = fhir.apply(Action::BuildClaim { patient_id: "p1" }).await.unwrap_err();
    assert_eq!(err, AdapterError::NotSupported { what: "building a claim (operation $build-claim)".into() });
    assert_eq!(requests(&server).await, ["GET /metadata", "POST /Patient/p1/$build-claim"]);
}

#[tokio::test]
async fn the_issue_text_of_an_operation_outcome_is_the_findings_message() {
    let server = MockServer::start().await;
    let outcome = json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": "invalid", "details": { "text": "Invalid date format" },
                    "expression": ["Patient.birthDate"] }],
    });
    Mock::given(method("POST")).and(path("/Patient")).respond_with(fhir_json(400, outcome)).mount(&server).await;
    let fhir: Arc<dyn Adapter> = Arc::new(FhirAdapter::new(&server.uri(), Duration::from_secs(5)).unwrap());
    let systems = Systems { emr: fhir.clone(), pm: fhir };
    let scenario = parse_scenario(
        "refused.yaml",
        "name: refused\npatient: { name: { given: [Ana], family: Ruiz }, birth_date: 1970-01-02, sex: female }\n\
         steps:\n  - register: { at: pm }\n  - expect_synced: { record: patient, at: emr, within: 1s }\n",
    )
    .unwrap();
    let outcome = run_flow(&scenario, &systems, "t".into(), None).await;
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(outcome.findings[0].kind.as_str(), "http_error");
    assert_eq!(
        outcome.findings[0].message,
        format!("register (pm): {}/Patient answered HTTP 400: Patient.birthDate: Invalid date format", server.uri())
    );
    assert_eq!(outcome.steps[1].status, StepStatus::Skipped);
}

#[test]
fn a_step_the_system_cannot_do_is_reported_and_the_steps_that_do_not_need_it_still_run() {
    let report = Run::new()
        .scenario_yaml(
            r#"
name: claim-from-the-emr
patient:
  name: { given: [Lee], family: Park }
  birth_date: 1980-05-05
  sex: male
steps:
  - register: { at: pm }
  - schedule: { at: pm, provider_npi: "1234567893", start: 2026-06-01T09:00, minutes: 30 }
  - expect_synced: { record: patient, at: emr, within: 5s }
  - document: { at: emr, place_of_service: "11", diagnoses: [I10], services: [{ code: "99213", dx: [1] }] }
  - build_claim: { at: emr }
  - expect_claim: { at: emr, matches: documented }
  - expect_remittance: { at: emr, within: 5s }
  - expect_synced: { record: appointment, at: emr, within: 5s }
"#,
        )
        .target_yaml("name: t\nsimulator: { topology: interfaced }\n")
        .report();
    let t = target(&report, "t");
    // The EMR of an interfaced pair does not bill: its CapabilityStatement has no $build-claim.
    assert_eq!(findings(t), ["claim-from-the-emr#5 system/not_supported emr claim.: null -> null"]);
    let steps = &t.flows[0].steps;
    let said = "build_claim (emr): not supported by this system: building a claim (operation $build-claim is not in \
                its CapabilityStatement)";
    assert_eq!((steps[4].status, steps[4].message.as_deref()), (StepStatus::Error, Some(said)));
    assert_eq!(steps[5].status, StepStatus::Skipped);
    assert_eq!(
        steps[5].message.as_deref(),
        Some(format!("nothing to check: the emr could not do step 5 (build_claim): {}", &said[19..]).as_str())
    );
    // No claim was built, so there is no payer's answer to wait for either.
    assert_eq!((steps[6].action.as_str(), steps[6].status), ("expect_remittance", StepStatus::Skipped));
    assert_eq!(steps[6].message, steps[5].message);
    // The appointment is checked after the step that could not be done, as if it had not been there.
    assert_eq!(steps[7].status, StepStatus::Passed);
}
