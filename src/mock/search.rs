//! The FHIR search parameters the simulators answer, and what each one matches.

use serde_json::Value;

/// Where a reference parameter looks in each resource type.
fn reference_paths(resource_type: &str, param: &str) -> Option<&'static [&'static str]> {
    Some(match (resource_type, param) {
        ("Coverage", "beneficiary" | "patient") => &["beneficiary"],
        ("Appointment", "patient" | "actor") => &["participant.actor"],
        ("Encounter", "patient" | "subject") => &["subject"],
        ("Condition" | "Procedure", "patient" | "subject") => &["subject"],
        ("Condition" | "Procedure", "encounter") => &["encounter"],
        ("ChargeItem", "patient" | "subject") => &["subject"],
        ("ChargeItem", "context") => &["context"],
        ("Claim" | "ClaimResponse", "patient") => &["patient"],
        _ => return None,
    })
}

/// Parameters that shape the result page rather than select resources.
pub const PAGING: [&str; 3] = ["_count", "_offset", "_sort"];

/// Whether this simulator answers `param` on `resource_type`.
pub fn supports(resource_type: &str, param: &str) -> bool {
    matches!(param, "_id" | "identifier")
        || (resource_type == "Patient" && param == "birthdate")
        || reference_paths(resource_type, param).is_some()
}

/// The index entry that holds every resource `param=value` can match, where there is one.
pub fn index_key(resource_type: &str, param: &str, value: &str) -> Option<super::store::IndexKey> {
    match param {
        "identifier" => Some(("identifier", if value.contains('|') { value.to_string() } else { format!("|{value}") })),
        "birthdate" => Some(("birthdate", value.to_string())),
        _ => {
            reference_paths(resource_type, param)?;
            // A bare id is typed by what the parameter points at.
            let target = match param {
                "context" | "encounter" => "Encounter",
                _ => "Patient",
            };
            let id = value.rsplit('/').next().unwrap_or(value);
            Some(("reference", format!("{target}/{id}")))
        }
    }
}

/// The top-level fields of a resource that a search parameter of this simulator reads: `_id`, `identifier`,
/// `birthdate`, and the first step of every path in [`reference_paths`].
#[derive(serde::Deserialize)]
struct Searched {
    id: Option<Value>,
    identifier: Option<Value>,
    #[serde(rename = "birthDate")]
    birth_date: Option<Value>,
    beneficiary: Option<Value>,
    participant: Option<Value>,
    subject: Option<Value>,
    encounter: Option<Value>,
    context: Option<Value>,
    patient: Option<Value>,
}

/// Of a stored resource's text, only what [`matches`] reads, as a resource of those fields alone: the rest is
/// skipped without being built, which is most of what testing a candidate against a search cost when the whole
/// record was parsed. Text that is not a JSON object reads as a resource with none of them.
pub fn searched(json: &str) -> Value {
    let Ok(fields) = serde_json::from_str::<Searched>(json) else { return Value::Null };
    let fields = [
        ("id", fields.id),
        ("identifier", fields.identifier),
        ("birthDate", fields.birth_date),
        ("beneficiary", fields.beneficiary),
        ("participant", fields.participant),
        ("subject", fields.subject),
        ("encounter", fields.encounter),
        ("context", fields.context),
        ("patient", fields.patient),
    ];
    Value::Object(fields.into_iter().filter_map(|(name, value)| Some((name.to_string(), value?))).collect())
}

/// Whether `resource` matches `param=value`; `None` if this simulator does not know the parameter.
pub fn matches(resource_type: &str, resource: &Value, param: &str, value: &str) -> Option<bool> {
    match param {
        "_id" => Some(resource["id"].as_str() == Some(value)),
        "identifier" => Some(identifier_matches(resource, value)),
        "birthdate" if resource_type == "Patient" => Some(resource["birthDate"].as_str() == Some(value)),
        _ => {
            let paths = reference_paths(resource_type, param)?;
            // `Patient/123` and a bare `123` name the same record.
            let wanted_id = value.rsplit('/').next().unwrap_or(value);
            Some(paths.iter().any(|path| {
                values_at(resource, path)
                    .iter()
                    .any(|r| r["reference"].as_str().and_then(|s| s.rsplit('/').next()) == Some(wanted_id))
            }))
        }
    }
}

fn identifier_matches(resource: &Value, token: &str) -> bool {
    let (system, value) = match token.split_once('|') {
        Some((s, v)) => (Some(s), v),
        None => (None, token),
    };
    resource["identifier"].as_array().into_iter().flatten().any(|i| {
        i["value"].as_str() == Some(value) && system.is_none_or(|s| s.is_empty() || i["system"].as_str() == Some(s))
    })
}

/// Every value at a dotted path, stepping into arrays on the way.
fn values_at<'a>(value: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![value];
    for key in path.split('.') {
        current = current
            .into_iter()
            .flat_map(|v| match &v[key] {
                Value::Array(items) => items.iter().collect::<Vec<_>>(),
                Value::Null => vec![],
                other => vec![other],
            })
            .collect();
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reference_parameters_take_typed_or_bare_ids() {
        let appt = json!({"participant": [{"actor": {"reference": "Patient/p1"}}, {"actor": {"identifier": {}}}]});
        assert_eq!(matches("Appointment", &appt, "patient", "Patient/p1"), Some(true));
        assert_eq!(matches("Appointment", &appt, "patient", "p1"), Some(true));
        assert_eq!(matches("Appointment", &appt, "patient", "p2"), Some(false));
        assert_eq!(matches("Appointment", &appt, "colour", "red"), None);
    }

    #[test]
    fn a_search_reads_only_the_fields_it_tests_and_matches_on_them_as_on_the_whole_record() {
        let coverage = json!({"resourceType": "Coverage", "id": "c1", "status": "active",
            "beneficiary": {"reference": "Patient/p1"}, "payor": [{"display": "Medicare"}]});
        let fields = searched(&coverage.to_string());
        assert_eq!(fields, json!({"id": "c1", "beneficiary": {"reference": "Patient/p1"}}));
        for (param, value, expected) in
            [("beneficiary", "p1", true), ("patient", "Patient/p2", false), ("_id", "c1", true)]
        {
            assert_eq!(matches("Coverage", &fields, param, value), Some(expected), "{param}={value}");
            assert_eq!(matches("Coverage", &coverage, param, value), Some(expected), "{param}={value}");
        }
        let patient = json!({"resourceType": "Patient", "birthDate": "1950-02-03",
            "identifier": [{"system": "urn:a", "value": "1"}], "name": [{"family": "Ng"}]});
        let fields = searched(&patient.to_string());
        assert_eq!(matches("Patient", &fields, "birthdate", "1950-02-03"), Some(true));
        assert_eq!(matches("Patient", &fields, "identifier", "urn:a|1"), Some(true));
        assert_eq!(fields.get("name"), None);
        // Every field a reference parameter starts from is read.
        let appointment = json!({"participant": [{"actor": {"reference": "Patient/p1"}}]});
        assert_eq!(matches("Appointment", &searched(&appointment.to_string()), "patient", "p1"), Some(true));
        assert_eq!(searched("[1, 2]"), Value::Null);
    }

    #[test]
    fn identifier_tokens_match_system_and_value() {
        let p = json!({"identifier": [{"system": "urn:a", "value": "1"}]});
        assert_eq!(matches("Patient", &p, "identifier", "urn:a|1"), Some(true));
        assert_eq!(matches("Patient", &p, "identifier", "urn:b|1"), Some(false));
        assert_eq!(matches("Patient", &p, "identifier", "1"), Some(true));
    }
}
