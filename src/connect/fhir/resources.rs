//! Canonical model ⇄ FHIR R4 JSON, for the resources a register-to-claim flow touches.

use serde_json::{Value, json};

use super::lenient::from_value;
use super::read;

use crate::model::{Appointment, Capabilities, Charge, Claim, Coverage, Encounter, Module, Patient};

pub const NPI: &str = "http://hl7.org/fhir/sid/us-npi";
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
pub const HCPCS: &str = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets";
pub const POS: &str = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
pub const SUBSCRIBER_RELATIONSHIP: &str = "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
pub(super) const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
pub(super) const CONDITION_VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
pub(super) const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
pub(super) const DIAGNOSIS_ROLE: &str = "http://terminology.hl7.org/CodeSystem/diagnosis-role";
pub(super) const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// The visit's Encounter inside its transaction Bundle, before the server gives it an id.
pub(super) const VISIT_ENCOUNTER: &str = "urn:uuid:encounter";
/// ChargeItem has no modifier or place-of-service element in R4, so they travel as extensions.
pub const MODIFIER_EXTENSION: &str = "https://handoff.dev/fhir/StructureDefinition/procedure-modifier";
pub const POS_EXTENSION: &str = "https://handoff.dev/fhir/StructureDefinition/place-of-service";

/// Where a CapabilityStatement lists the product's modules and their prices (R4 has no element for them).
pub const MODULE_EXTENSION: &str = "https://handoff.dev/fhir/StructureDefinition/product-module";

/// A FHIR resource that could not be read into the model, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

type Read<T> = Result<T, Unreadable>;

pub(super) fn procedure_system(code: &str) -> &'static str {
    // HCPCS Level II codes start with a letter; CPT codes with a digit.
    if code.starts_with(|c: char| c.is_ascii_alphabetic()) { HCPCS } else { CPT }
}

pub fn coding(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

fn npi_reference(npi: &str) -> Value {
    json!({ "identifier": { "system": NPI, "value": npi } })
}

/// A JSON object of these fields, moved in: `json!` copies every `Value` it is given (it serialises each one into a
/// new tree), which made building a visit's transaction cost more than sending it.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(name, value)| (name.to_string(), value)).collect())
}

pub fn reference(resource_type: &str, id: &str) -> Value {
    json!({ "reference": format!("{resource_type}/{id}") })
}

/// The id in a `Type/id` reference, if it is of that type.
pub fn reference_id<'a>(value: &'a Value, resource_type: &str) -> Option<&'a str> {
    value.get("reference")?.as_str()?.strip_prefix(resource_type)?.strip_prefix('/')
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key)?.as_str()
}

// ---- CapabilityStatement ----

/// The product, modules and resources a server publishes; modules it does not list are inferred from its resources.
pub fn capabilities_from_fhir(statement: &Value) -> Capabilities {
    let rest = statement.get("rest").and_then(|r| r.get(0));
    let resources = rest
        .and_then(|r| r.get("resource"))
        .and_then(Value::as_array)
        .map(|rs| rs.iter().filter_map(|r| str_at(r, "type")).map(str::to_string).collect())
        .unwrap_or_default();
    let mut modules = std::collections::BTreeMap::new();
    for ext in statement.get("extension").and_then(Value::as_array).into_iter().flatten() {
        if str_at(ext, "url") != Some(MODULE_EXTENSION) {
            continue;
        }
        let parts = ext.get("extension").and_then(Value::as_array).cloned().unwrap_or_default();
        let part = |name: &str| parts.iter().find(|p| str_at(p, "url") == Some(name)).cloned();
        let module = part("module").and_then(|p| p.get("valueCode")?.as_str().and_then(Module::from_code));
        let price = part("monthlyPrice").and_then(|p| p.get("valueMoney")?.get("value")?.as_f64());
        if let Some(module) = module {
            modules.insert(module, price);
        }
    }
    let mut capabilities = Capabilities {
        product: statement.get("software").and_then(|s| str_at(s, "name")).map(str::to_string),
        modules,
        resources,
    };
    if capabilities.modules.is_empty() {
        capabilities.infer_modules();
    }
    capabilities
}

/// The extensions a CapabilityStatement carries to list a product's modules and prices.
pub fn module_extensions(modules: &std::collections::BTreeMap<Module, f64>) -> Vec<Value> {
    modules
        .iter()
        .map(|(module, price)| {
            json!({
                "url": MODULE_EXTENSION,
                "extension": [
                    { "url": "module", "valueCode": module.code() },
                    { "url": "monthlyPrice", "valueMoney": { "value": price, "currency": "USD" } },
                ],
            })
        })
        .collect()
}

// ---- Patient ----

pub fn patient_to_fhir(patient: &Patient) -> Value {
    let identifiers: Vec<Value> =
        patient.identifiers.iter().map(|i| json!({ "system": i.system, "value": i.value })).collect();
    let mut resource = json!({
        "resourceType": "Patient",
        "identifier": identifiers,
        "name": [{ "use": "official", "family": patient.name.family, "given": patient.name.given }],
        "gender": patient.sex.as_str(),
        "birthDate": patient.birth_date.to_string(),
    });
    if let Some(phone) = &patient.phone {
        resource["telecom"] = json!([{ "system": "phone", "value": phone, "use": "home" }]);
    }
    if let Some(a) = &patient.address {
        resource["address"] = json!([{
            "use": "home", "line": a.line, "city": a.city, "state": a.state, "postalCode": a.postal_code
        }]);
    }
    resource
}

pub fn patient_from_fhir(resource: &Value) -> Read<Patient> {
    read::patient(from_value(resource))
}

// ---- Coverage ----

/// `order` is 1 for the primary payer, 2 for the secondary.
pub fn coverage_to_fhir(coverage: &Coverage, patient_id: &str, order: usize) -> Value {
    json!({
        "resourceType": "Coverage",
        "status": "active",
        "order": order,
        "beneficiary": reference("Patient", patient_id),
        "subscriberId": coverage.member_id,
        "relationship": coding(SUBSCRIBER_RELATIONSHIP, coverage.relationship.as_str()),
        "payor": [{ "display": coverage.payer }],
    })
}

/// The order in which a coverage is billed (1 = primary); 1 when the resource does not say.
pub fn coverage_order(resource: &Value) -> u64 {
    resource.get("order").and_then(Value::as_u64).unwrap_or(1)
}

pub fn coverage_from_fhir(resource: &Value) -> Read<Coverage> {
    read::coverage(from_value(resource))
}

// ---- Appointment ----

pub fn appointment_to_fhir(appointment: &Appointment, patient_id: &str) -> Value {
    let (start, end) = appointment_instants(appointment);
    let mut resource = json!({
        "resourceType": "Appointment",
        "status": "booked",
        "start": start,
        "minutesDuration": appointment.minutes,
        "participant": [
            { "actor": reference("Patient", patient_id), "status": "accepted" },
            { "actor": npi_reference(&appointment.provider_npi), "status": "accepted" },
        ],
    });
    if let Some(end) = end {
        resource["end"] = json!(end);
    }
    resource
}

/// The appointment's start and end as FHIR instants; no end past the year 9999, where none can be written (a
/// duration read from elsewhere can run that far).
pub(super) fn appointment_instants(appointment: &Appointment) -> (String, Option<String>) {
    // With seconds: a time read from another server may have them, and writing it back must not drop them.
    let instant = |t: jiff::civil::DateTime| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let end = appointment.start.0.checked_add(jiff::Span::new().minutes(i64::from(appointment.minutes)));
    (instant(appointment.start.0), end.ok().map(instant))
}

pub fn appointment_patient(resource: &Value) -> Option<&str> {
    resource.get("participant")?.as_array()?.iter().find_map(|p| reference_id(p.get("actor")?, "Patient"))
}

pub fn appointment_from_fhir(resource: &Value) -> Read<Appointment> {
    read::appointment(from_value(resource))
}

// ---- Documentation: Condition, Encounter, Procedure, ChargeItem ----

/// The visit as one FHIR transaction, so the encounter, its diagnoses and its charges arrive together or not at all.
pub fn documentation_bundle(encounter: &Encounter, patient_id: &str) -> Value {
    let subject = reference("Patient", patient_id);
    let encounter_ref = json!({ "reference": VISIT_ENCOUNTER });
    let mut entries = Vec::new();
    for (i, dx) in encounter.diagnoses.iter().enumerate() {
        entries.push(entry(
            &format!("urn:uuid:condition-{}", i + 1),
            object([
                ("resourceType", "Condition".into()),
                ("clinicalStatus", coding(CONDITION_CLINICAL, "active")),
                ("verificationStatus", coding(CONDITION_VERIFICATION, "confirmed")),
                ("category", Value::Array(vec![coding(CONDITION_CATEGORY, "encounter-diagnosis")])),
                ("code", coding(ICD10CM, &dx.code)),
                ("subject", subject.clone()),
                ("encounter", encounter_ref.clone()),
            ]),
        ));
    }
    let diagnoses: Vec<Value> = (1..=encounter.diagnoses.len())
        .map(|rank| {
            object([
                ("condition", json!({ "reference": format!("urn:uuid:condition-{rank}") })),
                ("use", coding(DIAGNOSIS_ROLE, "billing")),
                ("rank", rank.into()),
            ])
        })
        .collect();
    entries.push(entry(
        VISIT_ENCOUNTER,
        object([
            ("resourceType", "Encounter".into()),
            ("status", "finished".into()),
            ("class", json!({ "system": ACT_CODE, "code": "AMB" })),
            ("subject", subject.clone()),
            (
                "period",
                json!({ "start": encounter.date_of_service.to_string(), "end": encounter.date_of_service.to_string() }),
            ),
            ("participant", Value::Array(vec![object([("individual", npi_reference(&encounter.rendering_npi))])])),
            ("diagnosis", Value::Array(diagnoses)),
        ]),
    ));
    for (i, line) in encounter.service_lines.iter().enumerate() {
        let procedure = format!("urn:uuid:procedure-{}", i + 1);
        entries.push(entry(
            &procedure,
            object([
                ("resourceType", "Procedure".into()),
                ("status", "completed".into()),
                ("code", coding(procedure_system(&line.code), &line.code)),
                ("subject", subject.clone()),
                ("encounter", encounter_ref.clone()),
                ("performedDateTime", line.date_of_service.to_string().into()),
                ("performer", Value::Array(vec![object([("actor", npi_reference(&line.rendering_npi))])])),
            ]),
        ));
        let mut charge_item = charge_to_fhir(&encounter.charge_for(line), &subject, &encounter_ref);
        charge_item["service"] = json!([{ "reference": procedure }]);
        entries.push(entry(&format!("urn:uuid:charge-{}", i + 1), charge_item));
    }
    object([("resourceType", "Bundle".into()), ("type", "transaction".into()), ("entry", Value::Array(entries))])
}

fn entry(full_url: &str, resource: Value) -> Value {
    let resource_type = resource["resourceType"].as_str().unwrap_or_default().to_string();
    object([
        ("fullUrl", full_url.into()),
        ("resource", resource),
        ("request", json!({ "method": "POST", "url": resource_type })),
    ])
}

pub fn charge_to_fhir(charge: &Charge, subject: &Value, encounter: &Value) -> Value {
    let mut extension: Vec<Value> = charge
        .modifiers
        .iter()
        .map(|m| json!({ "url": MODIFIER_EXTENSION, "valueCoding": { "system": CPT, "code": m } }))
        .collect();
    extension.push(json!({ "url": POS_EXTENSION, "valueCoding": { "system": POS, "code": charge.place_of_service } }));
    let mut resource = object([
        ("resourceType", "ChargeItem".into()),
        ("extension", Value::Array(extension)),
        ("status", "billable".into()),
        ("code", coding(procedure_system(&charge.code), &charge.code)),
        ("subject", subject.clone()),
        ("context", encounter.clone()),
        ("occurrenceDateTime", charge.date_of_service.to_string().into()),
        ("performer", Value::Array(vec![object([("actor", npi_reference(&charge.rendering_npi))])])),
        ("quantity", json!({ "value": charge.units })),
        ("reason", charge.diagnoses.iter().map(|d| coding(ICD10CM, d)).collect()),
    ]);
    // A charge keyed by hand in the PM belongs to no encounter.
    if encounter.is_null()
        && let Some(fields) = resource.as_object_mut()
    {
        fields.remove("context");
    }
    resource
}

pub fn charge_from_fhir(resource: &Value) -> Read<Charge> {
    read::charge(from_value(resource))
}

/// The encounter's diagnoses in rank order, given a way to read each referenced Condition's code.
pub fn encounter_diagnoses(encounter: &Value, condition_code: impl Fn(&str) -> Option<String>) -> Vec<String> {
    read::encounter_diagnoses(&from_value(encounter), condition_code)
}

/// The documented visit read back: diagnoses from the encounter, service lines from its charges.
pub fn encounter_from_fhir(encounter: &Value, diagnoses: Vec<String>, charges: &[Charge]) -> Read<Encounter> {
    read::encounter(&from_value(encounter), diagnoses, charges)
}

// ---- Claim ----

/// A professional claim built from charges, as a PM would.
pub fn claim_to_fhir(claim: &Claim, patient_id: &str, coverage_id: Option<&str>, created: &str) -> Value {
    let mut care_team: Vec<String> = Vec::new();
    let items: Vec<Value> = claim
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let team = match care_team.iter().position(|n| n == &line.rendering_npi) {
                Some(p) => p + 1,
                None => {
                    care_team.push(line.rendering_npi.clone());
                    care_team.len()
                }
            };
            object([
                ("sequence", (i + 1).into()),
                ("careTeamSequence", json!([team])),
                ("diagnosisSequence", line.dx_pointers.iter().copied().collect()),
                ("productOrService", coding(procedure_system(&line.code), &line.code)),
                ("modifier", line.modifiers.iter().map(|m| coding(CPT, m)).collect()),
                ("servicedDate", line.date_of_service.to_string().into()),
                ("locationCodeableConcept", coding(POS, &line.place_of_service)),
                ("quantity", json!({ "value": line.units })),
                ("unitPrice", json!({ "value": round2(line.charge / line.units), "currency": "USD" })),
                ("net", json!({ "value": round2(line.charge), "currency": "USD" })),
            ])
        })
        .collect();
    let mut insurance = json!({ "sequence": 1, "focal": true, "coverage": { "display": claim.payer } });
    if let Some(id) = coverage_id {
        insurance["coverage"] = reference("Coverage", id);
    }
    let care_team = care_team.iter().enumerate().map(|(i, npi)| {
        object([
            ("sequence", (i + 1).into()),
            ("provider", npi_reference(npi)),
            ("role", coding("http://terminology.hl7.org/CodeSystem/claimcareteamrole", "primary")),
        ])
    });
    let diagnoses =
        claim.diagnoses.iter().enumerate().map(|(i, code)| {
            object([("sequence", (i + 1).into()), ("diagnosisCodeableConcept", coding(ICD10CM, code))])
        });
    object([
        ("resourceType", "Claim".into()),
        ("status", "active".into()),
        ("type", coding("http://terminology.hl7.org/CodeSystem/claim-type", "professional")),
        ("use", "claim".into()),
        ("patient", reference("Patient", patient_id)),
        ("created", created.into()),
        ("insurer", json!({ "display": claim.payer })),
        ("provider", npi_reference(claim.lines.first().map(|l| l.rendering_npi.as_str()).unwrap_or_default())),
        ("priority", coding("http://terminology.hl7.org/CodeSystem/processpriority", "normal")),
        ("careTeam", care_team.collect()),
        ("diagnosis", diagnoses.collect()),
        ("insurance", Value::Array(vec![insurance])),
        ("item", Value::Array(items)),
        ("total", json!({ "value": round2(claim.total_charge), "currency": "USD" })),
    ])
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The claim's coverage reference, which the caller resolves to read the member id.
pub fn claim_coverage_id(resource: &Value) -> Option<&str> {
    reference_id(resource.get("insurance")?.get(0)?.get("coverage")?, "Coverage")
}

pub fn claim_from_fhir(resource: &Value, id: &str, coverage: Option<&Coverage>) -> Read<Claim> {
    read::claim(&from_value(resource), id, coverage)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::Identifier;
    use crate::model::fixtures::ana;

    #[test]
    fn patient_survives_the_round_trip_with_its_tracking_identifier() {
        let tracking = Identifier { system: "urn:handoff".into(), value: "t-1".into() };
        let fhir = patient_to_fhir(&Patient { identifiers: vec![tracking.clone()], ..ana() });
        assert_eq!(fhir["name"][0]["given"][1], "Maria");
        let back = patient_from_fhir(&fhir).unwrap();
        assert_eq!(back.identifiers, vec![tracking]);
        assert_eq!(Patient { identifiers: vec![], ..back }, ana());
    }

    #[test]
    fn appointment_duration_is_read_from_end_when_minutes_are_absent() {
        let appt =
            Appointment { start: "2026-12-01T09:00".parse().unwrap(), minutes: 30, provider_npi: "1234567893".into() };
        let mut fhir = appointment_to_fhir(&appt, "p1");
        assert_eq!(fhir["end"], "2026-12-01T09:30:00Z");
        fhir.as_object_mut().unwrap().remove("minutesDuration");
        assert_eq!(appointment_from_fhir(&fhir).unwrap(), appt);
        assert_eq!(appointment_patient(&fhir), Some("p1"));
    }

    /// Found by `cargo fuzz run fhir`: seconds in a server's start were dropped when the appointment was written
    /// back, and a duration past the year 9999 made the end overflow.
    #[test]
    fn appointments_keep_their_seconds_and_survive_any_duration() {
        let read = json!({ "resourceType": "Appointment", "start": "2026-06-02T14:30:02Z", "minutesDuration": 20 });
        let appt = appointment_from_fhir(&read).unwrap();
        let written = appointment_to_fhir(&appt, "p1");
        assert_eq!(written["start"], "2026-06-02T14:30:02Z");
        assert_eq!(written["end"], "2026-06-02T14:50:02Z");
        assert_eq!(appointment_from_fhir(&written).unwrap(), appt);
        let endless = Appointment { minutes: u32::MAX, ..appt };
        let written = appointment_to_fhir(&endless, "p1");
        assert_eq!(written.get("end"), None);
        assert_eq!(appointment_from_fhir(&written).unwrap(), endless);
    }

    #[test]
    fn charge_keeps_modifiers_and_place_of_service_in_extensions() {
        let charge = Charge {
            code: "99204".into(),
            modifiers: vec!["25".into(), "GC".into()],
            units: 1.0,
            diagnoses: vec!["M17.11".into(), "E11.65".into()],
            place_of_service: "11".into(),
            date_of_service: "2026-12-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        };
        let fhir = charge_to_fhir(&charge, &reference("Patient", "p"), &reference("Encounter", "e"));
        assert_eq!(fhir["code"]["coding"][0]["system"], CPT);
        assert_eq!(charge_from_fhir(&fhir).unwrap(), charge);
    }
}
