//! FHIR R4 resources read into the model: for each resource a flow reads, the few fields its reader needs, as
//! structs read straight from an answer's bytes (or from a `Value`, for the simulators and the reconciler).

use serde::Deserialize;

use super::lenient::{Amount, Count, List, Obj, Text, present};
use super::resources::{MODIFIER_EXTENSION, POS_EXTENSION, Unreadable};
use crate::model::{
    Address, Appointment, Charge, Claim, ClaimLine, Coverage, Date, DateTime, Diagnosis, Encounter, HumanName,
    Identifier, Patient, Relationship, ServiceLine, Sex,
};

type Read<T> = Result<T, Unreadable>;

fn missing(what: &str) -> Unreadable {
    Unreadable(format!("{what} is missing"))
}

fn date(value: &Text, key: &str) -> Read<Date> {
    value.as_deref().ok_or_else(|| missing(key))?.parse().map_err(Unreadable)
}

fn strings(list: List<Text>) -> Vec<String> {
    list.into_iter().filter_map(|t| t.0).collect()
}

/// What every resource carries besides its own fields, and which type the reader wants.
pub trait Resource: for<'de> Deserialize<'de> + Default {
    const TYPE: &'static str;
    fn resource_type(&self) -> &Text;
    fn id(&self) -> &Text;
    fn meta(&self) -> &Meta;
}

macro_rules! resource {
    ($doc:ident, $type:literal) => {
        impl Resource for $doc {
            const TYPE: &'static str = $type;
            fn resource_type(&self) -> &Text {
                &self.resource_type
            }
            fn id(&self) -> &Text {
                &self.id
            }
            fn meta(&self) -> &Meta {
                &self.meta
            }
        }
    };
}
pub(super) use resource;

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Meta {
    pub version_id: Text,
    pub last_updated: Text,
}

/// A reference, by `Type/id` or by identifier (a provider by NPI).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Reference {
    reference: Text,
    identifier: Obj<IdentifierField>,
}

impl Reference {
    /// The id, if the reference is to that type.
    pub fn id_of(&self, resource_type: &str) -> Option<&str> {
        self.reference.as_deref()?.strip_prefix(resource_type)?.strip_prefix('/')
    }

    fn npi(&self) -> Option<&str> {
        self.identifier.value.as_deref()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdentifierField {
    pub system: Text,
    pub value: Text,
    /// What kind of identifier it is (`MR`, `PT` in HL7 table 0203), which the reconciler tells ids apart by.
    #[serde(rename = "type")]
    pub kind: Obj<Concept>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Coding {
    system: Text,
    code: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Concept {
    coding: List<Obj<Coding>>,
    pub text: Text,
}

impl Concept {
    /// Whether any coding has this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.coding.iter().any(|c| c.code.is(code))
    }

    pub fn first_code(&self) -> Option<&str> {
        self.coding.first()?.code.as_deref()
    }

    /// The code of the first coding in `system`.
    pub fn code_in(&self, system: &str) -> Option<&str> {
        self.coding.iter().find(|c| c.system.is(system))?.code.as_deref()
    }
}

/// A Quantity or a Money: only its value.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Quantity {
    pub value: Amount,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Display {
    display: Text,
}

/// A participant, performer or care team member: whom it names.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Participant {
    actor: Obj<Reference>,
    individual: Obj<Reference>,
}

// ---- Patient ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PatientDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    name: List<Obj<Name>>,
    telecom: List<Obj<IdentifierField>>,
    address: List<Obj<AddressField>>,
    identifier: List<Obj<IdentifierField>>,
    birth_date: Text,
    gender: Text,
}
resource!(PatientDoc, "Patient");

impl PatientDoc {
    pub fn identifiers(&self) -> impl Iterator<Item = &IdentifierField> {
        self.identifier.iter().map(|i| &i.0)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Name {
    #[serde(rename = "use")]
    use_: Text,
    family: Text,
    given: List<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AddressField {
    line: List<Text>,
    city: Text,
    state: Text,
    postal_code: Text,
}

pub fn patient(doc: PatientDoc) -> Read<Patient> {
    let mut names = doc.name.0;
    let official = names.iter().position(|n| n.use_.is("official"));
    let at = official.or((!names.is_empty()).then_some(0)).ok_or_else(|| missing("Patient.name"))?;
    let Obj(name) = names.swap_remove(at);
    // A telecom's system and value read like an identifier's.
    let phone = doc.telecom.into_iter().find(|c| c.system.is("phone")).and_then(|c| c.0.value.0);
    let address = doc.address.into_iter().next().map(|Obj(a)| Address {
        line: strings(a.line),
        city: a.city.0.unwrap_or_default(),
        state: a.state.0.unwrap_or_default(),
        postal_code: a.postal_code.0.unwrap_or_default(),
    });
    let identifiers = doc
        .identifier
        .into_iter()
        .filter_map(|Obj(i)| Some(Identifier { system: i.system.0?, value: i.value.0? }))
        .collect();
    Ok(Patient {
        name: HumanName { given: strings(name.given), family: name.family.0.unwrap_or_default() },
        birth_date: date(&doc.birth_date, "birthDate")?,
        sex: Sex::from_code(doc.gender.as_deref().unwrap_or("unknown")),
        address,
        phone,
        identifiers,
        coverage: None,
        secondary_coverage: None,
    })
}

// ---- Coverage ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CoverageDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    order: Count,
    payor: List<Obj<Display>>,
    subscriber_id: Text,
    relationship: Obj<Concept>,
}
resource!(CoverageDoc, "Coverage");

impl CoverageDoc {
    /// The order in which it is billed (1 = primary); 1 when it does not say.
    pub fn order(&self) -> u64 {
        self.order.0.unwrap_or(1)
    }
}

pub fn coverage(doc: CoverageDoc) -> Read<Coverage> {
    Ok(Coverage {
        payer: doc
            .payor
            .0
            .into_iter()
            .next()
            .and_then(|p| p.0.display.0)
            .ok_or_else(|| missing("Coverage.payor.display"))?,
        member_id: doc.subscriber_id.0.ok_or_else(|| missing("Coverage.subscriberId"))?,
        relationship: Relationship::from_code(doc.relationship.first_code().unwrap_or("self")),
    })
}

// ---- Appointment ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppointmentDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    start: Text,
    minutes_duration: Count,
    end: Text,
    participant: List<Obj<Participant>>,
}
resource!(AppointmentDoc, "Appointment");

pub fn appointment(doc: AppointmentDoc) -> Read<Appointment> {
    let start: DateTime =
        doc.start.as_deref().ok_or_else(|| missing("Appointment.start"))?.parse().map_err(Unreadable)?;
    let minutes = match doc.minutes_duration.0 {
        Some(m) => m,
        None => {
            let end: DateTime =
                doc.end.as_deref().ok_or_else(|| missing("Appointment.end"))?.parse().map_err(Unreadable)?;
            let span = start.0.until(end.0).map_err(|e| Unreadable(e.to_string()))?;
            span.total(jiff::Unit::Minute).map_err(|e| Unreadable(e.to_string()))? as u64
        }
    };
    let provider_npi = doc.participant.iter().find_map(|p| p.actor.npi()).unwrap_or_default().to_string();
    Ok(Appointment { start, minutes: u32::try_from(minutes).unwrap_or(u32::MAX), provider_npi })
}

// ---- ChargeItem ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ChargeDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    extension: List<Obj<Extension>>,
    code: Obj<Concept>,
    quantity: Obj<Quantity>,
    reason: List<Obj<Concept>>,
    occurrence_date_time: Text,
    performer: List<Obj<Participant>>,
}
resource!(ChargeDoc, "ChargeItem");

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Extension {
    url: Text,
    value_coding: Obj<Coding>,
}

pub fn charge(doc: ChargeDoc) -> Read<Charge> {
    let coded = |url: &str| -> Vec<String> {
        doc.extension.iter().filter(|e| e.url.is(url)).filter_map(|e| e.value_coding.code.0.clone()).collect()
    };
    Ok(Charge {
        code: doc.code.first_code().ok_or_else(|| missing("ChargeItem.code"))?.to_string(),
        modifiers: coded(MODIFIER_EXTENSION),
        units: doc.quantity.value.0.unwrap_or(1.0),
        diagnoses: doc.reason.iter().filter_map(|r| r.first_code()).map(str::to_string).collect(),
        place_of_service: coded(POS_EXTENSION).into_iter().next().unwrap_or_default(),
        date_of_service: date(&doc.occurrence_date_time, "occurrenceDateTime")?,
        rendering_npi: doc.performer.first().and_then(|p| p.actor.npi()).unwrap_or_default().to_string(),
    })
}

// ---- Encounter and Condition ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EncounterDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    #[serde(deserialize_with = "present")]
    period: Option<Obj<Period>>,
    participant: List<Obj<Participant>>,
    diagnosis: List<Obj<EncounterDiagnosis>>,
}
resource!(EncounterDoc, "Encounter");

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Period {
    start: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EncounterDiagnosis {
    condition: Obj<Reference>,
    rank: Count,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConditionDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    pub code: Obj<Concept>,
}
resource!(ConditionDoc, "Condition");

/// The encounter's diagnoses in rank order, given a way to read each referenced Condition's code.
pub fn encounter_diagnoses(doc: &EncounterDoc, condition_code: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut ranked: Vec<(u64, String)> = doc
        .diagnosis
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let id = d.condition.id_of("Condition")?;
            let rank = d.rank.0.unwrap_or(i as u64 + 1);
            Some((rank, condition_code(id)?))
        })
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, code)| code).collect()
}

/// The documented visit read back: diagnoses from the encounter, service lines from its charges.
pub fn encounter(doc: &EncounterDoc, diagnoses: Vec<String>, charges: &[Charge]) -> Read<Encounter> {
    let period = doc.period.as_ref().ok_or_else(|| missing("Encounter.period"))?;
    let date_of_service = date(&period.start, "start")?;
    let rendering_npi = doc.participant.first().and_then(|p| p.individual.npi()).unwrap_or_default().to_string();
    let service_lines = charges.iter().map(|c| ServiceLine::from_charge(c, &diagnoses)).collect();
    Ok(Encounter {
        date_of_service,
        place_of_service: charges.first().map(|c| c.place_of_service.clone()).unwrap_or_default(),
        rendering_npi,
        diagnoses: diagnoses.into_iter().map(|code| Diagnosis { code }).collect(),
        service_lines,
    })
}

// ---- Claim ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaimDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    diagnosis: List<Obj<ClaimDiagnosis>>,
    care_team: List<Obj<CareTeamMember>>,
    item: List<Obj<ClaimItem>>,
    insurance: List<Obj<Insurance>>,
    insurer: Obj<Display>,
    total: Obj<Quantity>,
}
resource!(ClaimDoc, "Claim");

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ClaimDiagnosis {
    diagnosis_codeable_concept: Obj<Concept>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CareTeamMember {
    sequence: Count,
    provider: Obj<Reference>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ClaimItem {
    care_team_sequence: List<Count>,
    product_or_service: Obj<Concept>,
    modifier: List<Obj<Concept>>,
    quantity: Obj<Quantity>,
    diagnosis_sequence: List<Count>,
    location_codeable_concept: Obj<Concept>,
    serviced_date: Text,
    net: Obj<Quantity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Insurance {
    coverage: Obj<Reference>,
}

impl ClaimDoc {
    /// The claim's coverage reference, which the caller resolves to read the member id.
    pub fn coverage_id(&self) -> Option<&str> {
        self.insurance.first()?.coverage.id_of("Coverage")
    }
}

pub fn claim(doc: &ClaimDoc, id: &str, coverage: Option<&Coverage>) -> Read<Claim> {
    let diagnoses: Vec<String> =
        doc.diagnosis.iter().filter_map(|d| d.diagnosis_codeable_concept.first_code()).map(str::to_string).collect();
    let care_team: Vec<(u64, &str)> =
        doc.care_team.iter().filter_map(|m| Some((m.sequence.0?, m.provider.npi()?))).collect();
    let mut lines = Vec::with_capacity(doc.item.len());
    for item in doc.item.iter() {
        let team = item.care_team_sequence.first().and_then(|t| t.0);
        lines.push(ClaimLine {
            code: item
                .product_or_service
                .first_code()
                .ok_or_else(|| missing("Claim.item.productOrService"))?
                .to_string(),
            modifiers: item.modifier.iter().filter_map(|m| m.first_code()).map(str::to_string).collect(),
            units: item.quantity.value.0.unwrap_or(1.0),
            dx_pointers: item.diagnosis_sequence.iter().filter_map(|p| u8::try_from(p.0?).ok()).collect(),
            place_of_service: item.location_codeable_concept.first_code().unwrap_or_default().to_string(),
            date_of_service: date(&item.serviced_date, "servicedDate")?,
            rendering_npi: care_team
                .iter()
                .find(|(s, _)| Some(*s) == team)
                .map(|(_, n)| n.to_string())
                .unwrap_or_default(),
            charge: item.net.value.0.unwrap_or(0.0),
        });
    }
    Ok(Claim {
        id: id.to_string(),
        payer: coverage.map(|c| c.payer.clone()).or_else(|| doc.insurer.display.0.clone()).unwrap_or_default(),
        member_id: coverage.map(|c| c.member_id.clone()).unwrap_or_default(),
        diagnoses,
        lines,
        total_charge: doc.total.value.0.unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::fhir::lenient::from_value;

    fn from_bytes<R: Resource>(text: &str) -> R {
        serde_json::from_str::<Obj<R>>(text).unwrap().0
    }

    /// A vendor's answer with fields of the wrong kind reads from its bytes as it read through a `Value`.
    #[test]
    fn a_patient_reads_the_same_from_bytes_as_from_a_value() {
        let text = r#"{"resourceType": "Patient", "id": "p1", "meta": {"versionId": "3"},
            "name": ["nameless", {"use": "official", "family": "O\u0027Connor", "given": ["Ana", 7]}],
            "telecom": {"system": "phone"}, "identifier": [{"system": "urn:x", "value": 12}, {"system": "urn:y", "value": "y1"}],
            "birthDate": "1950-03-04", "gender": ["female"], "extension": [{"url": "ignored"}]}"#;
        let doc: PatientDoc = from_bytes(text);
        assert_eq!(doc.meta.version_id.as_deref(), Some("3"));
        let read = patient(doc).unwrap();
        assert_eq!(read, patient(from_value(&serde_json::from_str(text).unwrap())).unwrap());
        assert_eq!((read.name.family.as_str(), read.name.given), ("O'Connor", vec!["Ana".to_string()]));
        assert_eq!(read.identifiers, vec![Identifier { system: "urn:y".into(), value: "y1".into() }]);
        assert_eq!((read.sex, read.phone), (Sex::Unknown, None));
    }

    #[test]
    fn what_is_missing_is_named_by_its_field() {
        let unnamed: PatientDoc = from_bytes(r#"{"resourceType": "Patient", "name": {}, "birthDate": "1950-03-04"}"#);
        assert_eq!(patient(unnamed), Err(Unreadable("Patient.name is missing".into())));
        let item =
            r#"{"resourceType": "Claim", "item": [{"servicedDate": "2026-06-01", "productOrService": {"text": "x"}}]}"#;
        assert_eq!(
            claim(&from_bytes(item), "c1", None),
            Err(Unreadable("Claim.item.productOrService is missing".into()))
        );
        let periodless: EncounterDoc = from_bytes(r#"{"resourceType": "Encounter", "period": null}"#);
        assert_eq!(encounter(&periodless, vec![], &[]), Err(Unreadable("start is missing".into())));
        assert_eq!(
            encounter(&EncounterDoc::default(), vec![], &[]),
            Err(Unreadable("Encounter.period is missing".into()))
        );
    }
}
