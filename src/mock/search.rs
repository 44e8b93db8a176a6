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

/// Every path [`reference_paths`] names, whatever the resource's type, in the order the store indexes them.
const REFERENCE_PATHS: [&str; 6] = ["subject", "beneficiary", "patient", "context", "encounter", "participant.actor"];

/// What a search parameter of this simulator tests in a resource: its id, identifiers, birth date, and the
/// reference at each of [`REFERENCE_PATHS`]. The store reads it once, when it keeps the resource, and keeps it
/// beside the resource's text, so a search tests each candidate without parsing its text (which was most of what
/// a search cost) and the index keys of a record are known without parsing it again. A few strings, not a
/// `Value`: a JSON object is a B-tree node of its own, and a store keeps every record a run sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Searched {
    pub id: Option<String>,
    /// `(system, value)`; the system is empty when the identifier has none.
    pub identifiers: Vec<(String, String)>,
    pub birth_date: Option<String>,
    /// `(path, reference)`, the reference as written (`Patient/123`).
    pub references: Vec<(&'static str, String)>,
}

impl Searched {
    /// Anything but a JSON object reads as a resource with none of them.
    pub fn of(resource: &Value) -> Searched {
        let text = |value: &Value| value.as_str().map(str::to_string);
        let identifiers = resource["identifier"].as_array().into_iter().flatten().filter_map(|identifier| {
            Some((text(&identifier["system"]).unwrap_or_default(), text(&identifier["value"])?))
        });
        let references = REFERENCE_PATHS.iter().flat_map(|&path| {
            values_at(resource, path).into_iter().filter_map(move |r| Some((path, text(&r["reference"])?)))
        });
        Searched {
            id: text(&resource["id"]),
            identifiers: identifiers.collect(),
            birth_date: text(&resource["birthDate"]),
            references: references.collect(),
        }
    }
}

/// Whether `resource` matches `param=value`; `None` if this simulator does not know the parameter.
pub fn matches(resource_type: &str, resource: &Searched, param: &str, value: &str) -> Option<bool> {
    match param {
        "_id" => Some(resource.id.as_deref() == Some(value)),
        "identifier" => Some(identifier_matches(resource, value)),
        "birthdate" if resource_type == "Patient" => Some(resource.birth_date.as_deref() == Some(value)),
        _ => {
            let paths = reference_paths(resource_type, param)?;
            // `Patient/123` and a bare `123` name the same record.
            let wanted_id = value.rsplit('/').next().unwrap_or(value);
            Some(
                resource
                    .references
                    .iter()
                    .any(|(path, reference)| paths.contains(path) && reference.rsplit('/').next() == Some(wanted_id)),
            )
        }
    }
}

fn identifier_matches(resource: &Searched, token: &str) -> bool {
    let (system, value) = match token.split_once('|') {
        Some((s, v)) => (Some(s), v),
        None => (None, token),
    };
    resource
        .identifiers
        .iter()
        .any(|(held_system, held_value)| held_value == value && system.is_none_or(|s| s.is_empty() || held_system == s))
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
        let appt = Searched::of(
            &json!({"participant": [{"actor": {"reference": "Patient/p1"}}, {"actor": {"identifier": {}}}]}),
        );
        assert_eq!(matches("Appointment", &appt, "patient", "Patient/p1"), Some(true));
        assert_eq!(matches("Appointment", &appt, "patient", "p1"), Some(true));
        assert_eq!(matches("Appointment", &appt, "patient", "p2"), Some(false));
        assert_eq!(matches("Appointment", &appt, "colour", "red"), None);
    }

    #[test]
    fn a_search_reads_only_the_fields_it_tests_and_matches_on_them_as_on_the_whole_record() {
        let coverage = json!({"resourceType": "Coverage", "id": "c1", "status": "active",
            "beneficiary": {"reference": "Patient/p1"}, "payor": [{"reference": "Organization/o1"}]});
        let fields = Searched::of(&coverage);
        assert_eq!(
            fields,
            Searched {
                id: Some("c1".into()),
                references: vec![("beneficiary", "Patient/p1".into())],
                ..Searched::default()
            }
        );
        for (param, value, expected) in
            [("beneficiary", "p1", true), ("patient", "Patient/p2", false), ("_id", "c1", true), ("_id", "c2", false)]
        {
            assert_eq!(matches("Coverage", &fields, param, value), Some(expected), "{param}={value}");
        }
        let patient = json!({"resourceType": "Patient", "birthDate": "1950-02-03",
            "identifier": [{"system": "urn:a", "value": "1"}, {"value": "2"}], "name": [{"family": "Ng"}]});
        let fields = Searched::of(&patient);
        assert_eq!(fields.identifiers, [("urn:a".to_string(), "1".to_string()), (String::new(), "2".to_string())]);
        assert_eq!(matches("Patient", &fields, "birthdate", "1950-02-03"), Some(true));
        assert_eq!(matches("Patient", &fields, "birthdate", "1950-02-04"), Some(false));
        assert_eq!(matches("Patient", &fields, "identifier", "urn:a|1"), Some(true));
        assert_eq!(matches("Patient", &fields, "identifier", "urn:a|2"), Some(false));
        assert_eq!(matches("Patient", &fields, "identifier", "|2"), Some(true));
        // A reference is tested only at the path the parameter names for the type: a Condition's encounter is not
        // its subject.
        let condition = json!({"subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"}});
        let fields = Searched::of(&condition);
        assert_eq!(matches("Condition", &fields, "encounter", "e1"), Some(true));
        assert_eq!(matches("Condition", &fields, "subject", "e1"), Some(false));
        assert_eq!(matches("Condition", &fields, "patient", "Patient/p1"), Some(true));
        assert_eq!(Searched::of(&json!([1, 2])), Searched::default());
    }

    #[test]
    fn identifier_tokens_match_system_and_value() {
        let p = Searched::of(&json!({"identifier": [{"system": "urn:a", "value": "1"}]}));
        assert_eq!(matches("Patient", &p, "identifier", "urn:a|1"), Some(true));
        assert_eq!(matches("Patient", &p, "identifier", "urn:b|1"), Some(false));
        assert_eq!(matches("Patient", &p, "identifier", "1"), Some(true));
    }
}
