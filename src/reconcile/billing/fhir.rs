//! FHIR Bulk Data NDJSON, one resource a line: the EMR's documentation (Encounter, Condition, Procedure, ChargeItem,
//! and Coverage for the member id) gathered by encounter into the visit the live run reads, through the live run's
//! own FHIR mapping; and a PM's FHIR Claims. Memory holds what each encounter needs, never a file.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};

use serde_json::Value;

use super::super::{InputProblem, Source};
use super::x12::BilledClaim;
use crate::connect::fhir::resources::{
    charge_from_fhir, claim_from_fhir, coverage_from_fhir, encounter_diagnoses, encounter_from_fhir, reference_id,
};
use crate::model::{Charge, Coverage, Encounter, Relationship};

/// The resource types a documentation export holds.
pub const DOCUMENTATION: [&str; 5] = ["Encounter", "Condition", "Procedure", "ChargeItem", "Coverage"];

/// One documented visit, as the EMR holds it.
#[derive(Debug, Clone)]
pub struct Documented {
    /// Encounter.id.
    pub id: String,
    /// The EMR's patient id (Encounter.subject).
    pub patient: String,
    pub encounter: Encounter,
    /// The patient's coverage, when the export carries a Coverage for them.
    pub coverage: Option<Coverage>,
    /// `Encounter.ndjson line 4`.
    pub at: String,
}

struct RawEncounter {
    id: String,
    patient: String,
    resource: Value,
    file: usize,
    line: u64,
}

/// The documentation exports as read so far: each resource kept by the encounter it belongs to.
#[derive(Default)]
pub struct Documentation {
    names: Vec<String>,
    encounters: Vec<RawEncounter>,
    conditions: HashMap<String, String>,
    /// Conditions that name their encounter, in file order: the diagnoses of an Encounter that lists none.
    conditions_of: HashMap<String, Vec<String>>,
    charges: HashMap<String, Vec<Charge>>,
    /// Procedures, for an encounter with no ChargeItem: the code, date and performer, one unit, no modifier.
    procedures: HashMap<String, Vec<Charge>>,
    coverages: HashMap<String, Coverage>,
}

/// The first resource type of an NDJSON file's first line, to tell a documentation export from a patient one.
pub fn first_resource_type(path: &std::path::Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut line = String::new();
    BufReader::new(file).take_line(&mut line)?;
    let value: Value = serde_json::from_str(line.trim()).ok()?;
    value.get("resourceType")?.as_str().map(str::to_string)
}

trait TakeLine {
    fn take_line(&mut self, line: &mut String) -> Option<()>;
}

impl<R: BufRead> TakeLine for R {
    /// The first line that is not blank, read at most 1 MiB into the file.
    fn take_line(&mut self, line: &mut String) -> Option<()> {
        let mut limited = std::io::Read::take(self, 1 << 20);
        loop {
            line.clear();
            if limited.read_line(line).ok()? == 0 {
                return None;
            }
            if !line.trim().is_empty() {
                return Some(());
            }
        }
    }
}

fn at_line(file: &str, line: u64, message: String) -> InputProblem {
    InputProblem { file: file.to_string(), line: Some(line), message }
}

/// Each resource of an NDJSON file, with its line; blank lines are skipped.
fn each_resource(
    source: Source,
    each: &mut dyn FnMut(&str, &Value, u64) -> Result<(), String>,
) -> Result<(), InputProblem> {
    let name = source.name;
    let mut reader = BufReader::with_capacity(1 << 16, source.reader);
    let mut text = String::new();
    let mut line = 0u64;
    loop {
        text.clear();
        line += 1;
        let read = reader.read_line(&mut text).map_err(|e| {
            let why =
                if e.kind() == std::io::ErrorKind::InvalidData { "is not UTF-8 text".into() } else { e.to_string() };
            at_line(&name, line, format!("cannot be read: {why}; NDJSON is UTF-8 text, one resource a line"))
        })?;
        if read == 0 {
            return Ok(());
        }
        let trimmed = text.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(trimmed).map_err(|e| {
            at_line(
                &name,
                line,
                format!(
                    "is not a JSON object ({e}); expected one FHIR resource per line\n  hint: FHIR Bulk Data NDJSON \
                     writes each resource on one line, with no commas between lines and no enclosing array"
                ),
            )
        })?;
        let Some(kind) = value.get("resourceType").and_then(Value::as_str) else {
            return Err(at_line(
                &name,
                line,
                "has no `resourceType`; expected a FHIR resource such as Encounter".into(),
            ));
        };
        each(kind, &value, line).map_err(|message| at_line(&name, line, message))?;
    }
}

fn id_of(resource: &Value, kind: &str) -> Result<String, String> {
    match resource.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(format!("{kind}.id is missing; expected the id other resources refer to it by")),
    }
}

fn referenced(resource: &Value, key: &str, kind: &str) -> Option<String> {
    let reference = resource.get(key)?;
    // Claim.item.encounter is a list; Condition.encounter and ChargeItem.context are one reference.
    let reference = reference.as_array().and_then(|a| a.first()).unwrap_or(reference);
    reference_id(reference, kind).map(str::to_string)
}

fn first_code(concept: Option<&Value>) -> Option<String> {
    concept?.get("coding")?.get(0)?.get("code")?.as_str().map(str::to_string)
}

impl Documentation {
    /// Reads one documentation export into what is held so far.
    pub fn read(&mut self, source: Source) -> Result<(), InputProblem> {
        let file = self.names.len();
        self.names.push(source.name.clone());
        each_resource(source, &mut |kind, resource, line| self.take(kind, resource, file, line))
    }

    fn take(&mut self, kind: &str, resource: &Value, file: usize, line: u64) -> Result<(), String> {
        match kind {
            "Encounter" => {
                let id = id_of(resource, kind)?;
                let patient = referenced(resource, "subject", "Patient")
                    .ok_or("Encounter.subject is missing; expected a reference such as `Patient/E00000001`")?;
                self.encounters.push(RawEncounter { id, patient, resource: resource.clone(), file, line });
            }
            "Condition" => {
                let id = id_of(resource, kind)?;
                let code = first_code(resource.get("code"))
                    .ok_or("Condition.code is missing; expected an ICD-10-CM coding such as `E11.65`")?;
                if let Some(encounter) = referenced(resource, "encounter", "Encounter") {
                    self.conditions_of.entry(encounter).or_default().push(code.clone());
                }
                self.conditions.insert(id, code);
            }
            "ChargeItem" => {
                let charge = charge_from_fhir(resource).map_err(|e| format!("ChargeItem: {}", e.0))?;
                let encounter = referenced(resource, "context", "Encounter")
                    .ok_or("ChargeItem.context is missing; expected the encounter it bills, `Encounter/<id>`")?;
                self.charges.entry(encounter).or_default().push(charge);
            }
            "Procedure" => {
                let code = first_code(resource.get("code")).ok_or("Procedure.code is missing")?;
                let encounter = referenced(resource, "encounter", "Encounter")
                    .ok_or("Procedure.encounter is missing; expected `Encounter/<id>`")?;
                let performed = resource
                    .get("performedDateTime")
                    .or_else(|| resource.get("performedPeriod").and_then(|p| p.get("start")))
                    .and_then(Value::as_str)
                    .ok_or("Procedure.performedDateTime is missing; expected the date of service")?;
                let date_of_service = performed.parse().map_err(|e| format!("Procedure.performedDateTime: {e}"))?;
                let rendering_npi = resource
                    .pointer("/performer/0/actor/identifier/value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let charge = Charge {
                    code,
                    modifiers: Vec::new(),
                    units: 1.0,
                    diagnoses: Vec::new(),
                    place_of_service: String::new(),
                    date_of_service,
                    rendering_npi,
                };
                self.procedures.entry(encounter).or_default().push(charge);
            }
            "Coverage" => {
                let coverage = coverage_from_fhir(resource).map_err(|e| format!("Coverage: {}", e.0))?;
                let patient = referenced(resource, "beneficiary", "Patient")
                    .ok_or("Coverage.beneficiary is missing; expected `Patient/<id>`")?;
                self.coverages.entry(patient).or_insert(coverage);
            }
            other => {
                return Err(format!(
                    "holds a {other} resource; a documentation export holds {}\n  hint: give patient exports and claims their \
                     own flags (--claims for Claim)",
                    DOCUMENTATION.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Every documented visit, in the order the Encounters were read.
    pub fn visits(mut self) -> Result<Vec<Documented>, InputProblem> {
        let mut visits = Vec::with_capacity(self.encounters.len());
        for raw in std::mem::take(&mut self.encounters) {
            let mut diagnoses = encounter_diagnoses(&raw.resource, |id| self.conditions.get(id).cloned());
            if diagnoses.is_empty() {
                diagnoses = self.conditions_of.remove(&raw.id).unwrap_or_default();
            }
            let charges = self.charges.remove(&raw.id).or_else(|| self.procedures.remove(&raw.id)).unwrap_or_default();
            let encounter = encounter_from_fhir(&raw.resource, diagnoses, &charges)
                .map_err(|e| at_line(&self.names[raw.file], raw.line, format!("Encounter: {}", e.0)))?;
            visits.push(Documented {
                coverage: self.coverages.get(&raw.patient).cloned(),
                at: format!("{} line {}", self.names[raw.file], raw.line),
                id: raw.id,
                patient: raw.patient,
                encounter,
            });
        }
        Ok(visits)
    }
}

/// Every Claim of a FHIR NDJSON export; the member id comes from `insurance[0].coverage.identifier`, the encounter
/// from the first item's `encounter`.
pub fn read_claims(source: Source, claims: &mut Vec<BilledClaim>) -> Result<(), InputProblem> {
    let name = source.name.clone();
    each_resource(source, &mut |kind, resource, line| {
        if kind != "Claim" {
            return Err(format!("holds a {kind} resource; --claims takes Claim resources (or X12 837P batches)"));
        }
        let id = id_of(resource, kind)?;
        let member_id = resource.pointer("/insurance/0/coverage/identifier/value").and_then(Value::as_str);
        let payer = resource.pointer("/insurer/display").and_then(Value::as_str).unwrap_or_default();
        let coverage = member_id.map(|m| Coverage {
            payer: payer.to_string(),
            member_id: m.to_string(),
            relationship: Relationship::Self_,
        });
        let claim = claim_from_fhir(resource, &id, coverage.as_ref()).map_err(|e| format!("Claim: {}", e.0))?;
        let encounter = resource.pointer("/item/0").and_then(|item| referenced(item, "encounter", "Encounter"));
        claims.push(BilledClaim { claim, medical_record: None, encounter, at: format!("{name} line {line}") });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, lines: &[&str]) -> Source {
        Source { name: name.into(), reader: Box::new(std::io::Cursor::new(lines.join("\n").into_bytes())) }
    }

    const ENCOUNTER: &str = r#"{"resourceType":"Encounter","id":"V1","subject":{"reference":"Patient/E1"},"period":{"start":"2026-05-04"},"participant":[{"individual":{"identifier":{"value":"1234567893"}}}],"diagnosis":[{"condition":{"reference":"Condition/c2"},"rank":2},{"condition":{"reference":"Condition/c1"},"rank":1}]}"#;
    const CHARGE: &str = r#"{"resourceType":"ChargeItem","context":{"reference":"Encounter/V1"},"code":{"coding":[{"code":"20610"}]},"extension":[{"url":"https://handoff.dev/fhir/StructureDefinition/procedure-modifier","valueCoding":{"code":"RT"}}],"occurrenceDateTime":"2026-05-04","quantity":{"value":1},"reason":[{"coding":[{"code":"M17.11"}]}]}"#;

    #[test]
    fn resources_in_any_order_and_any_file_make_one_visit_in_rank_order() {
        let mut docs = Documentation::default();
        docs.read(source("ChargeItem.ndjson", &[CHARGE, ""])).unwrap();
        docs.read(source(
            "mixed.ndjson",
            &[
                r#"{"resourceType":"Condition","id":"c2","code":{"coding":[{"code":"I10"}]}}"#,
                ENCOUNTER,
                r#"{"resourceType":"Condition","id":"c1","code":{"coding":[{"code":"M17.11"}]}}"#,
                r#"{"resourceType":"Coverage","beneficiary":{"reference":"Patient/E1"},"subscriberId":"1EG4TE5MK72","payor":[{"display":"medicare"}]}"#,
            ],
        ))
        .unwrap();
        let visits = docs.visits().unwrap();
        assert_eq!(visits.len(), 1);
        let v = &visits[0];
        assert_eq!((v.id.as_str(), v.patient.as_str(), v.at.as_str()), ("V1", "E1", "mixed.ndjson line 2"));
        let codes: Vec<_> = v.encounter.diagnoses.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["M17.11", "I10"]);
        let line = &v.encounter.service_lines[0];
        assert_eq!(
            (line.code.as_str(), &line.modifiers[..], &line.dx_pointers[..]),
            ("20610", &["RT".to_string()][..], &[1u8][..])
        );
        assert_eq!(v.coverage.as_ref().map(|c| c.member_id.as_str()), Some("1EG4TE5MK72"));
    }

    #[test]
    fn without_charge_items_or_a_diagnosis_list_procedures_and_conditions_that_name_the_encounter_stand_in() {
        let encounter = r#"{"resourceType":"Encounter","id":"V2","subject":{"reference":"Patient/E2"},"period":{"start":"2026-05-04"}}"#;
        let mut docs = Documentation::default();
        docs.read(source(
            "Encounter.ndjson",
            &[
                encounter,
                r#"{"resourceType":"Condition","id":"x","code":{"coding":[{"code":"J02.9"}]},"encounter":{"reference":"Encounter/V2"}}"#,
                r#"{"resourceType":"Procedure","code":{"coding":[{"code":"87880"}]},"encounter":{"reference":"Encounter/V2"},"performedDateTime":"2026-05-04"}"#,
            ],
        ))
        .unwrap();
        let v = &docs.visits().unwrap()[0];
        assert_eq!(v.encounter.diagnoses[0].code, "J02.9");
        assert_eq!((v.encounter.service_lines[0].code.as_str(), v.encounter.service_lines[0].units), ("87880", 1.0));
        assert!(v.coverage.is_none());
    }

    #[test]
    fn a_bad_line_is_named_with_what_was_expected() {
        let problem =
            |lines: &[&str]| Documentation::default().read(source("Encounter.ndjson", lines)).unwrap_err().to_string();
        assert!(problem(&[ENCOUNTER, "[1, 2"]).starts_with("Encounter.ndjson:2: is not a JSON object"));
        assert_eq!(
            problem(&["", r#"{"id":"V1"}"#]),
            "Encounter.ndjson:2: has no `resourceType`; expected a FHIR resource such as Encounter"
        );
        assert_eq!(
            problem(&[r#"{"resourceType":"Encounter","subject":{"reference":"Patient/E1"}}"#]),
            "Encounter.ndjson:1: Encounter.id is missing; expected the id other resources refer to it by"
        );
        assert!(problem(&[r#"{"resourceType":"Patient","id":"E1"}"#]).starts_with(
            "Encounter.ndjson:1: holds a Patient resource; a documentation export holds Encounter, Condition, Procedure, \
             ChargeItem, Coverage"
        ));
        let mut docs = Documentation::default();
        docs.read(source(
            "Encounter.ndjson",
            &[r#"{"resourceType":"Encounter","id":"V1","subject":{"reference":"Patient/E1"}}"#],
        ))
        .unwrap();
        assert_eq!(
            docs.visits().err().map(|p| p.to_string()).as_deref(),
            Some("Encounter.ndjson:1: Encounter: Encounter.period is missing")
        );
    }

    #[test]
    fn a_fhir_claim_names_its_encounter_and_member() {
        let claim = r#"{"resourceType":"Claim","id":"P9","insurer":{"display":"medicare"},"insurance":[{"coverage":{"identifier":{"value":"1EG4TE5MK72"}}}],"diagnosis":[{"sequence":1,"diagnosisCodeableConcept":{"coding":[{"code":"M17.11"}]}}],"item":[{"sequence":1,"encounter":[{"reference":"Encounter/V1"}],"productOrService":{"coding":[{"code":"20610"}]},"servicedDate":"2026-05-04","diagnosisSequence":[1]}]}"#;
        let mut claims = Vec::new();
        read_claims(source("Claim.ndjson", &[claim]), &mut claims).unwrap();
        let b = &claims[0];
        assert_eq!(
            (b.claim.id.as_str(), b.encounter.as_deref(), b.at.as_str()),
            ("P9", Some("V1"), "Claim.ndjson line 1")
        );
        assert_eq!((b.claim.member_id.as_str(), b.claim.payer.as_str()), ("1EG4TE5MK72", "medicare"));
        let wrong = read_claims(source("Claim.ndjson", &[ENCOUNTER]), &mut claims).unwrap_err().to_string();
        assert_eq!(
            wrong,
            "Claim.ndjson:1: holds a Encounter resource; --claims takes Claim resources (or X12 837P batches)"
        );
    }
}
