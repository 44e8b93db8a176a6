//! The resources a flow creates (its Patient, Coverages, Appointment and visit's transaction Bundle) written
//! straight from the model into JSON bytes, through serde structs that borrow its fields, rather than built as a
//! `serde_json::Value` tree first.
//!
//! Why: building, writing and dropping those `Value`s was about a tenth of the harness's CPU during a run's flows.
//! Each is the resource the builder of the same name in [`resources`](super::resources) makes, which stay as the
//! reference the tests hold these to (and for the rest of the code).

use serde::{Serialize, Serializer};

use super::resources::{
    ACT_CODE, CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, CPT, DIAGNOSIS_ROLE, ICD10CM,
    MODIFIER_EXTENSION, NPI, POS, POS_EXTENSION, SUBSCRIBER_RELATIONSHIP, VISIT_ENCOUNTER, appointment_instants,
    procedure_system,
};
use crate::model::{Appointment, Coverage, Encounter, Patient};

/// A resource written as JSON, with its type (for the request's label and the CapabilityStatement's check).
pub struct Written {
    pub resource_type: &'static str,
    pub json: Vec<u8>,
}

/// The patient, as `resources::patient_to_fhir` makes them.
pub fn patient(patient: &Patient) -> Written {
    written(
        "Patient",
        &PatientBody {
            identifier: patient.identifiers.iter().map(|i| Identifier { system: &i.system, value: &i.value }).collect(),
            name: [Name { r#use: "official", family: &patient.name.family, given: &patient.name.given }],
            gender: patient.sex.as_str(),
            birth_date: &patient.birth_date,
            telecom: patient.phone.as_deref().map(|value| [Telecom { system: "phone", value, r#use: "home" }]),
            address: patient.address.as_ref().map(|a| {
                [Address { r#use: "home", line: &a.line, city: &a.city, state: &a.state, postal_code: &a.postal_code }]
            }),
        },
    )
}

/// The coverage, as `resources::coverage_to_fhir` makes it.
pub fn coverage(coverage: &Coverage, patient_id: &str, order: usize) -> Written {
    written(
        "Coverage",
        &CoverageBody {
            status: "active",
            order,
            beneficiary: Reference { reference: format!("Patient/{patient_id}") },
            subscriber_id: &coverage.member_id,
            relationship: concept(SUBSCRIBER_RELATIONSHIP, coverage.relationship.as_str()),
            payor: [Display { display: &coverage.payer }],
        },
    )
}

/// The appointment, as `resources::appointment_to_fhir` makes it.
pub fn appointment(appointment: &Appointment, patient_id: &str) -> Written {
    let (start, end) = appointment_instants(appointment);
    written(
        "Appointment",
        &AppointmentBody {
            status: "booked",
            start,
            end,
            minutes_duration: appointment.minutes,
            participant: (
                Participant { actor: Reference { reference: format!("Patient/{patient_id}") }, status: "accepted" },
                Participant { actor: npi(&appointment.provider_npi), status: "accepted" },
            ),
        },
    )
}

/// The visit's transaction Bundle, as `resources::documentation_bundle` makes it.
pub fn documentation(encounter: &Encounter, patient_id: &str) -> Written {
    let subject = Reference { reference: format!("Patient/{patient_id}") };
    let in_encounter = Reference { reference: VISIT_ENCOUNTER.to_string() };
    let mut entry = Vec::with_capacity(encounter.diagnoses.len() + 1 + 2 * encounter.service_lines.len());
    for (i, dx) in encounter.diagnoses.iter().enumerate() {
        entry.push(Entry::new(
            format!("urn:uuid:condition-{}", i + 1),
            Resource::Condition {
                clinical_status: concept(CONDITION_CLINICAL, "active"),
                verification_status: concept(CONDITION_VERIFICATION, "confirmed"),
                category: [concept(CONDITION_CATEGORY, "encounter-diagnosis")],
                code: concept(ICD10CM, &dx.code),
                subject: &subject,
                encounter: &in_encounter,
            },
        ));
    }
    let diagnosis = (1..=encounter.diagnoses.len())
        .map(|rank| EncounterDiagnosis {
            condition: Reference { reference: format!("urn:uuid:condition-{rank}") },
            r#use: concept(DIAGNOSIS_ROLE, "billing"),
            rank,
        })
        .collect();
    entry.push(Entry::new(
        VISIT_ENCOUNTER.to_string(),
        Resource::Encounter {
            status: "finished",
            class: Coding { system: ACT_CODE, code: "AMB" },
            subject: &subject,
            period: Period { start: &encounter.date_of_service, end: &encounter.date_of_service },
            participant: [Individual { individual: npi(&encounter.rendering_npi) }],
            diagnosis,
        },
    ));
    let charges: Vec<_> = encounter.service_lines.iter().map(|line| encounter.charge_for(line)).collect();
    for (i, (line, charge)) in encounter.service_lines.iter().zip(&charges).enumerate() {
        let procedure = format!("urn:uuid:procedure-{}", i + 1);
        entry.push(Entry::new(
            procedure.clone(),
            Resource::Procedure {
                status: "completed",
                code: concept(procedure_system(&line.code), &line.code),
                subject: &subject,
                encounter: &in_encounter,
                performed_date_time: &line.date_of_service,
                performer: [Actor { actor: npi(&line.rendering_npi) }],
            },
        ));
        let mut extension: Vec<Extension> = charge
            .modifiers
            .iter()
            .map(|m| Extension { url: MODIFIER_EXTENSION, value_coding: Coding { system: CPT, code: m } })
            .collect();
        extension.push(Extension {
            url: POS_EXTENSION,
            value_coding: Coding { system: POS, code: &charge.place_of_service },
        });
        entry.push(Entry::new(
            format!("urn:uuid:charge-{}", i + 1),
            Resource::ChargeItem {
                extension,
                status: "billable",
                code: concept(procedure_system(&charge.code), &charge.code),
                subject: &subject,
                context: &in_encounter,
                occurrence_date_time: &charge.date_of_service,
                performer: [Actor { actor: npi(&charge.rendering_npi) }],
                quantity: Quantity { value: charge.units },
                reason: charge.diagnoses.iter().map(|d| concept(ICD10CM, d)).collect(),
                service: [Reference { reference: procedure }],
            },
        ));
    }
    written("Bundle", &Bundle { r#type: "transaction", entry })
}

/// `resource` written as JSON, `resourceType` its first field.
fn written(resource_type: &'static str, resource: &impl Serialize) -> Written {
    // Room for the largest of these, a visit's Bundle of a few KB, so none is grown from nothing.
    let mut json = Vec::with_capacity(4096);
    // Writing into a Vec fails only if a value cannot be JSON, and none of these can (a unit count that is not a
    // finite number writes as null).
    serde_json::to_writer(&mut json, &Typed { resource_type, resource }).unwrap_or_default();
    Written { resource_type, json }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Typed<'a, T> {
    resource_type: &'static str,
    #[serde(flatten)]
    resource: &'a T,
}

fn concept<'a>(system: &'a str, code: &'a str) -> Concept<'a> {
    Concept { coding: [Coding { system, code }] }
}

fn npi(npi: &str) -> NpiReference<'_> {
    NpiReference { identifier: Identifier { system: NPI, value: npi } }
}

/// A date or date-time as its text, written without an intermediate `String`.
fn as_text<T: std::fmt::Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PatientBody<'a> {
    identifier: Vec<Identifier<'a>>,
    name: [Name<'a>; 1],
    gender: &'static str,
    #[serde(serialize_with = "as_text")]
    birth_date: &'a crate::model::Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    telecom: Option<[Telecom<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<[Address<'a>; 1]>,
}

#[derive(Serialize)]
struct Name<'a> {
    r#use: &'static str,
    family: &'a str,
    given: &'a [String],
}

#[derive(Serialize)]
struct Telecom<'a> {
    system: &'static str,
    value: &'a str,
    r#use: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Address<'a> {
    r#use: &'static str,
    line: &'a [String],
    city: &'a str,
    state: &'a str,
    postal_code: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CoverageBody<'a> {
    status: &'static str,
    order: usize,
    beneficiary: Reference,
    subscriber_id: &'a str,
    relationship: Concept<'a>,
    payor: [Display<'a>; 1],
}

#[derive(Serialize)]
struct Display<'a> {
    display: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppointmentBody<'a> {
    status: &'static str,
    start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    minutes_duration: u32,
    participant: (Participant<Reference>, Participant<NpiReference<'a>>),
}

#[derive(Serialize)]
struct Participant<A> {
    actor: A,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bundle<'a> {
    r#type: &'static str,
    entry: Vec<Entry<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    full_url: String,
    resource: Resource<'a>,
    request: Request,
}

impl<'a> Entry<'a> {
    fn new(full_url: String, resource: Resource<'a>) -> Entry<'a> {
        let url = match resource {
            Resource::Condition { .. } => "Condition",
            Resource::Encounter { .. } => "Encounter",
            Resource::Procedure { .. } => "Procedure",
            Resource::ChargeItem { .. } => "ChargeItem",
        };
        Entry { full_url, resource, request: Request { method: "POST", url } }
    }
}

#[derive(Serialize)]
struct Request {
    method: &'static str,
    url: &'static str,
}

#[derive(Serialize)]
#[serde(tag = "resourceType", rename_all_fields = "camelCase")]
enum Resource<'a> {
    Condition {
        clinical_status: Concept<'a>,
        verification_status: Concept<'a>,
        category: [Concept<'a>; 1],
        code: Concept<'a>,
        subject: &'a Reference,
        encounter: &'a Reference,
    },
    Encounter {
        status: &'static str,
        class: Coding<'a>,
        subject: &'a Reference,
        period: Period<'a>,
        participant: [Individual<'a>; 1],
        diagnosis: Vec<EncounterDiagnosis<'a>>,
    },
    Procedure {
        status: &'static str,
        code: Concept<'a>,
        subject: &'a Reference,
        encounter: &'a Reference,
        #[serde(serialize_with = "as_text")]
        performed_date_time: &'a crate::model::Date,
        performer: [Actor<'a>; 1],
    },
    ChargeItem {
        extension: Vec<Extension<'a>>,
        status: &'static str,
        code: Concept<'a>,
        subject: &'a Reference,
        context: &'a Reference,
        #[serde(serialize_with = "as_text")]
        occurrence_date_time: &'a crate::model::Date,
        performer: [Actor<'a>; 1],
        quantity: Quantity,
        reason: Vec<Concept<'a>>,
        service: [Reference; 1],
    },
}

#[derive(Serialize)]
struct Reference {
    reference: String,
}

#[derive(Serialize)]
struct Concept<'a> {
    coding: [Coding<'a>; 1],
}

#[derive(Serialize)]
struct Coding<'a> {
    system: &'a str,
    code: &'a str,
}

#[derive(Serialize)]
struct NpiReference<'a> {
    identifier: Identifier<'a>,
}

#[derive(Serialize)]
struct Identifier<'a> {
    system: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Period<'a> {
    #[serde(serialize_with = "as_text")]
    start: &'a crate::model::Date,
    #[serde(serialize_with = "as_text")]
    end: &'a crate::model::Date,
}

#[derive(Serialize)]
struct Individual<'a> {
    individual: NpiReference<'a>,
}

#[derive(Serialize)]
struct Actor<'a> {
    actor: NpiReference<'a>,
}

#[derive(Serialize)]
struct EncounterDiagnosis<'a> {
    condition: Reference,
    r#use: Concept<'a>,
    rank: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extension<'a> {
    url: &'static str,
    value_coding: Coding<'a>,
}

#[derive(Serialize)]
struct Quantity {
    value: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::fhir::resources::documentation_bundle;
    use crate::model::{Date, Diagnosis, ServiceLine};

    fn visit(lines: usize) -> Encounter {
        let day: Date = "2026-06-01".parse().unwrap();
        let line = |code: &str, modifiers: &[&str], pointers: &[u8]| ServiceLine {
            code: code.to_string(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            units: 1.0,
            dx_pointers: pointers.to_vec(),
            place_of_service: "11".to_string(),
            date_of_service: day,
            rendering_npi: "1234567893".to_string(),
        };
        let all = [line("99214", &["25"], &[1, 2]), line("J1030", &[], &[3]), line("20610", &["RT", "59"], &[2, 9])];
        Encounter {
            date_of_service: day,
            place_of_service: "11".to_string(),
            rendering_npi: "1234567893".to_string(),
            diagnoses: ["E11.65", "I10", "M17.11", "Z79.4"].map(|c| Diagnosis { code: c.to_string() }).to_vec(),
            service_lines: all.into_iter().take(lines).collect(),
        }
    }

    /// The JSON written, its type checked against the `resourceType` in it.
    fn json(written: &Written) -> serde_json::Value {
        let json: serde_json::Value = serde_json::from_slice(&written.json).unwrap();
        assert_eq!(json["resourceType"], written.resource_type);
        json
    }

    #[test]
    fn each_written_resource_is_the_one_built_as_a_value() {
        use crate::connect::fhir::resources::{appointment_to_fhir, coverage_to_fhir, patient_to_fhir};
        use crate::model::{Address, DateTime, HumanName, Identifier, Relationship, Sex};
        let mut patient = Patient {
            name: HumanName { given: vec!["Ana".into(), "Maria".into()], family: "Lopez".into() },
            birth_date: "1958-03-12".parse().unwrap(),
            sex: Sex::Female,
            address: None,
            phone: None,
            identifiers: vec![Identifier { system: "urn:mrn".into(), value: "M1".into() }],
            coverage: None,
            secondary_coverage: None,
        };
        assert_eq!(json(&super::patient(&patient)), patient_to_fhir(&patient));
        patient.phone = Some("555-0100".into());
        patient.address = Some(Address {
            line: vec!["1 Main St".into(), "Apt 2".into()],
            city: "Springfield".into(),
            state: "IL".into(),
            postal_code: "62701".into(),
        });
        assert_eq!(json(&super::patient(&patient)), patient_to_fhir(&patient));
        let coverage =
            Coverage { payer: "medicare".into(), member_id: "1EG4TE5MK73".into(), relationship: Relationship::Spouse };
        assert_eq!(json(&super::coverage(&coverage, "p7", 2)), coverage_to_fhir(&coverage, "p7", 2));
        let mut visit = Appointment {
            start: "2026-06-01T09:30:00".parse().unwrap(),
            minutes: 30,
            provider_npi: "1234567893".into(),
        };
        assert_eq!(json(&super::appointment(&visit, "p7")), appointment_to_fhir(&visit, "p7"));
        // No end can be written past the year 9999.
        visit.start = DateTime("9999-12-31T23:50:00".parse().unwrap());
        let written = json(&super::appointment(&visit, "p7"));
        assert_eq!(written, appointment_to_fhir(&visit, "p7"));
        assert!(written.get("end").is_none());
    }

    #[test]
    fn the_written_bundle_is_the_one_built_as_a_value() {
        for lines in [0, 1, 3] {
            assert_eq!(json(&documentation(&visit(lines), "p7")), documentation_bundle(&visit(lines), "p7"), "{lines}");
        }
    }

    #[test]
    fn a_charge_names_its_modifiers_before_its_place_of_service_and_its_procedure() {
        let written = json(&documentation(&visit(3), "p7"));
        let entries = written["entry"].as_array().unwrap();
        // Four Conditions, the Encounter, then a Procedure and a ChargeItem for each line.
        assert_eq!(entries.len(), 4 + 1 + 2 * 3);
        let charge = &entries[10]["resource"];
        assert_eq!(charge["resourceType"], "ChargeItem");
        let extensions: Vec<&str> = charge["extension"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["valueCoding"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(extensions, ["RT", "59", "11"]);
        assert_eq!(charge["service"][0]["reference"], "urn:uuid:procedure-3");
        // The pointer past the four diagnoses has no code.
        assert_eq!(charge["reason"].as_array().unwrap().len(), 1);
        assert_eq!(entries[10]["request"]["url"], "ChargeItem");
    }
}
