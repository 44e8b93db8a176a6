//! The CapabilityStatement each simulator publishes at `/metadata`: what it can do, as a real server would say it.

use serde_json::{Value, json};

use crate::connect::fhir::resources::module_extensions;
use crate::scenario::Product;

pub const RESOURCES: [&str; 9] = [
    "Patient",
    "Coverage",
    "Appointment",
    "Encounter",
    "Condition",
    "Procedure",
    "ChargeItem",
    "Claim",
    "ClaimResponse",
];

/// The operations the simulators answer, by name.
pub const OPERATIONS: [&str; 1] = ["build-claim"];

pub const BUILD_CLAIM: &str = "https://handoff.dev/fhir/OperationDefinition/Patient-build-claim";

/// `product` is what this endpoint sells: its name and modules appear as a vendor's would.
pub fn capability_statement(profile: &str, role: &str, base: &str, bills: bool, product: Option<&Product>) -> Value {
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
    let software = product.map(|p| p.name.as_str()).unwrap_or("handoff simulator");
    let mut statement = json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": jiff::Timestamp::now().strftime("%Y-%m-%d").to_string(),
        "kind": "instance",
        "software": { "name": software, "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": format!("{profile} ({role})"), "url": base },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [rest],
    });
    if let Some(product) = product {
        statement["extension"] = json!(module_extensions(&product.modules));
    }
    statement
}
