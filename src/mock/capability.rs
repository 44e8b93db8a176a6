//! The CapabilityStatement each simulator publishes at `/metadata`: what it can do, as a real server would say it.

use serde_json::{Value, json};

pub const RESOURCES: [&str; 8] =
    ["Patient", "Coverage", "Appointment", "Encounter", "Condition", "Procedure", "ChargeItem", "Claim"];

/// The operations the simulators answer, by name.
pub const OPERATIONS: [&str; 1] = ["build-claim"];

pub const BUILD_CLAIM: &str = "https://handoff.dev/fhir/OperationDefinition/Patient-build-claim";

pub fn capability_statement(profile: &str, role: &str, base: &str, bills: bool) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .map(|r| {
            json!({
                "type": r,
                "interaction": [{ "code": "read" }, { "code": "create" }, { "code": "update" }, { "code": "search-type" }],
                "versioning": "versioned-update",
                "conditionalUpdate": false,
            })
        })
        .collect();
    let mut rest = json!({
        "mode": "server",
        "resource": resources,
        "interaction": [{ "code": "transaction" }],
    });
    if bills {
        rest["operation"] = json!([{ "name": OPERATIONS[0], "definition": BUILD_CLAIM }]);
    }
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": jiff::Timestamp::now().strftime("%Y-%m-%d").to_string(),
        "kind": "instance",
        "software": { "name": "handoff simulator", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": format!("{profile} ({role})"), "url": base },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [rest],
    })
}
