//! FHIR Bulk Data NDJSON as a patient export: Patient resources one a line, read a line at a time through the live
//! run's FHIR mapping, each joined to its primary Coverage (read first, into a map by patient, so memory grows with
//! the number of patients and not with the files); and the same resources written for `handoff generate`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use serde_json::{Value, json};

use super::columns::Column;
use super::export::{Fields, InputProblem, PatientExport, Source};
use super::record::{self, Row};
use crate::connect::fhir::lenient::from_value;
use crate::connect::fhir::read::{self, IdentifierField, PatientDoc, Resource};
use crate::connect::fhir::resources::{coverage_order, coverage_to_fhir, patient_to_fhir};
use crate::model::Coverage;

/// HL7 table 0203 in FHIR: identifier types.
pub const IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
/// The identifier type of a system's own record number.
pub const OWN_ID_TYPE: &str = "MR";
/// The identifier type of another system's id for the patient ("patient external identifier").
pub const XREF_TYPE: &str = "PT";

/// Which Patient identifier is the exporting system's own id and which the other system's: named by
/// `identifier.system` in the column map (`patient_id`, `xref`), else by `identifier.type` (`MR`, `PT`); without
/// either, the own id is `Patient.id` and there is no cross-reference.
#[derive(Debug, Clone, Default)]
pub struct IdentifierSystems {
    pub own: Option<String>,
    pub xref: Option<String>,
}

impl IdentifierSystems {
    pub fn from_map(names: &BTreeMap<Column, String>) -> IdentifierSystems {
        IdentifierSystems { own: names.get(&Column::PatientId).cloned(), xref: names.get(&Column::Xref).cloned() }
    }
}

/// The primary coverage of each patient, by the Patient's resource id.
#[derive(Debug, Default)]
pub struct Coverages {
    by_patient: HashMap<String, (u64, Coverage)>,
}

impl Coverages {
    pub fn len(&self) -> usize {
        self.by_patient.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_patient.is_empty()
    }

    /// Reads a Coverage.ndjson, keeping each beneficiary's coverage of the lowest `order` (the primary).
    pub fn read(&mut self, source: Source) -> Result<(), InputProblem> {
        let name = source.name;
        let mut lines = Lines::new(BufReader::with_capacity(1 << 20, source.reader));
        while let Some((resource, line)) = lines.next_resource(&name)? {
            let problem = |message: String| InputProblem { file: name.clone(), line: Some(line), message };
            if resource_type(&resource) != "Coverage" {
                return Err(problem(format!(
                    "a {} resource in a Coverage file; expected Coverage resources only, as Bulk Data writes one \
                     file a resource type",
                    resource_type(&resource)
                )));
            }
            if matches!(resource.get("status").and_then(Value::as_str), Some("cancelled" | "entered-in-error")) {
                continue;
            }
            let patient = resource
                .pointer("/beneficiary/reference")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit_once("Patient/").map(|(_, id)| id.to_string()))
                .ok_or_else(|| {
                    problem(
                        "Coverage.beneficiary.reference is missing; expected `Patient/<id>`, the patient covered"
                            .into(),
                    )
                })?;
            let coverage = read_coverage(&resource).map_err(problem)?;
            let order = coverage_order(&resource);
            match self.by_patient.get(&patient) {
                Some((held, _)) if *held <= order => {}
                _ => {
                    self.by_patient.insert(patient, (order, coverage));
                }
            }
        }
        Ok(())
    }
}

/// Payer from `payor` (display, else identifier), member id from `subscriberId` (else the first identifier).
fn read_coverage(resource: &Value) -> Result<Coverage, String> {
    let payor = resource.pointer("/payor/0");
    let payer = payor
        .and_then(|p| p.get("display").and_then(Value::as_str))
        .or_else(|| payor.and_then(|p| p.pointer("/identifier/value")).and_then(Value::as_str))
        .ok_or("Coverage.payor has neither a display nor an identifier; expected the payer's name or id")?;
    let member_id = resource
        .get("subscriberId")
        .and_then(Value::as_str)
        .or_else(|| resource.pointer("/identifier/0/value").and_then(Value::as_str))
        .ok_or("Coverage has neither subscriberId nor identifier; expected the member id on the card")?;
    Ok(Coverage {
        payer: payer.to_string(),
        member_id: member_id.to_string(),
        relationship: crate::model::Relationship::from_code(
            resource.pointer("/relationship/coding/0/code").and_then(Value::as_str).unwrap_or("self"),
        ),
    })
}

fn resource_type(resource: &Value) -> &str {
    resource.get("resourceType").and_then(Value::as_str).unwrap_or("(no resourceType)")
}

/// NDJSON lines, each one resource, with their line numbers; blank lines skipped.
struct Lines<R> {
    reader: R,
    buf: String,
    line: u64,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Lines<R> {
        Lines { reader, buf: String::new(), line: 0 }
    }

    fn next_resource(&mut self, name: &str) -> Result<Option<(Value, u64)>, InputProblem> {
        let Some((text, line)) = self.next_text(name)? else { return Ok(None) };
        Ok(Some((resource_of(text, name, line)?, line)))
    }

    /// The next line that is not blank, trimmed, and its number.
    fn next_text(&mut self, name: &str) -> Result<Option<(&str, u64)>, InputProblem> {
        loop {
            self.buf.clear();
            self.line += 1;
            let problem = |line, message| InputProblem { file: name.to_string(), line: Some(line), message };
            match self.reader.read_line(&mut self.buf) {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    return Err(problem(self.line, "is not UTF-8 text; NDJSON is UTF-8, one resource a line".into()));
                }
                Err(e) => return Err(problem(self.line, format!("cannot read: {e}"))),
            }
            if !self.buf.trim_start_matches('\u{feff}').trim().is_empty() {
                return Ok(Some((self.buf.trim_start_matches('\u{feff}').trim(), self.line)));
            }
        }
    }
}

/// One line's resource as a `Value`, or what is wrong with the line.
fn resource_of(text: &str, name: &str, line: u64) -> Result<Value, InputProblem> {
    let problem = |message| InputProblem { file: name.to_string(), line: Some(line), message };
    let resource: Value = serde_json::from_str(text).map_err(|e| {
        problem(format!(
            "not a JSON resource ({e}); expected one FHIR resource a line (NDJSON), such as \
             {{\"resourceType\":\"Patient\",...}}; hint: a pretty-printed Bundle is not NDJSON"
        ))
    })?;
    if !resource.is_object() {
        return Err(problem("is JSON but not an object; expected one FHIR resource a line".into()));
    }
    Ok(resource)
}

/// One Patient.ndjson, its patients joined to the side's coverages.
pub struct NdjsonPatients {
    name: String,
    lines: Lines<BufReader<Box<dyn std::io::Read + Send>>>,
    coverages: Arc<Coverages>,
    systems: IdentifierSystems,
    fields: Row,
}

impl NdjsonPatients {
    pub fn open(source: Source, coverages: Arc<Coverages>, systems: IdentifierSystems) -> NdjsonPatients {
        NdjsonPatients {
            name: source.name,
            lines: Lines::new(BufReader::with_capacity(1 << 20, source.reader)),
            coverages,
            systems,
            fields: Default::default(),
        }
    }
}

/// The value of the first identifier that `wanted` picks.
fn identifier(patient: &PatientDoc, wanted: impl Fn(&IdentifierField) -> bool) -> Option<&str> {
    patient.identifiers().find(|i| wanted(i))?.value.as_deref()
}

fn has_system(system: &str) -> impl Fn(&IdentifierField) -> bool + '_ {
    move |i| i.system.is(system)
}

fn has_type(code: &str) -> impl Fn(&IdentifierField) -> bool + '_ {
    move |i| i.kind.has_code(code)
}

impl PatientExport for NdjsonPatients {
    fn name(&self) -> &str {
        &self.name
    }

    /// A Patient resource can hold every column; one it lacks is an empty value, which is compared.
    fn carries(&self, _column: Column) -> bool {
        true
    }

    fn next_patient(&mut self) -> Result<Option<(Fields<'_>, u64)>, InputProblem> {
        let Some((text, line)) = self.lines.next_text(&self.name)? else { return Ok(None) };
        // A line is read straight into the fields a patient needs; one that will not read so (not JSON, not an
        // object, a key given twice) is read as a `Value`, which says what is wrong with it, or reads it as before.
        let resource: PatientDoc = match serde_json::from_str(text) {
            Ok(resource) if text.starts_with('{') => resource,
            _ => from_value(&resource_of(text, &self.name, line)?),
        };
        let problem = |message: String| InputProblem { file: self.name.clone(), line: Some(line), message };
        let resource_type = resource.resource_type().as_deref().unwrap_or("(no resourceType)");
        if resource_type != "Patient" {
            return Err(problem(format!(
                "a {resource_type} resource in a Patient file; expected Patient resources only, as Bulk Data writes \
                 one file a resource type"
            )));
        }
        let resource_id = resource.id().as_deref();
        let own = match &self.systems.own {
            Some(system) => identifier(&resource, has_system(system)),
            None => identifier(&resource, has_type(OWN_ID_TYPE)).or(resource_id),
        };
        let Some(own) = own else {
            let which = match &self.systems.own {
                Some(system) => format!("no identifier with system `{system}` (the column map's patient_id)"),
                None => "neither an identifier of type MR nor an id".to_string(),
            };
            return Err(problem(format!(
                "the Patient has {which}; expected this system's own id for the patient; hint: name its identifier \
                 system as `patient_id` in a column map (--map FILE)"
            )));
        };
        let xref = match &self.systems.xref {
            Some(system) => identifier(&resource, has_system(system)),
            None => identifier(&resource, has_type(XREF_TYPE)),
        };
        // The message names the line, not the patient: an id is PHI.
        let coverage = resource_id.and_then(|id| self.coverages.by_patient.get(id)).map(|(_, c)| c.clone());
        let (own, xref) = (own.to_string(), xref.unwrap_or_default().to_string());
        let mut patient = read::patient(resource)
            .map_err(|e| problem(format!("{}; expected a Patient with a name and a birthDate", e.0)))?;
        patient.coverage = coverage;
        self.fields = record::row(&patient, own, xref);
        let fields: Fields<'_> = std::array::from_fn(|i| self.fields[i].as_bytes());
        Ok(Some((fields, line)))
    }
}

/// The namespaces `handoff generate` files each system's ids under.
pub fn generated_system(side: &str) -> String {
    format!("urn:handoff:{side}")
}

/// A Patient resource for a generated row: `Patient.id` and an `MR` identifier are the system's own id, a `PT`
/// identifier the other system's.
pub fn patient_resource(fields: &Row, own_system: &str, xref_system: &str) -> Option<Value> {
    let patient = record::patient(fields)?;
    let mut resource = patient_to_fhir(&patient);
    let typed = |system: &str, value: &str, code: &str, display: &str| {
        json!({
            "type": { "coding": [{ "system": IDENTIFIER_TYPE, "code": code, "display": display }] },
            "system": system,
            "value": value,
        })
    };
    let id = &fields[Column::PatientId.index()];
    let mut identifiers = vec![typed(own_system, id, OWN_ID_TYPE, "Medical record number")];
    let xref = &fields[Column::Xref.index()];
    if !xref.is_empty() {
        identifiers.push(typed(xref_system, xref, XREF_TYPE, "Patient external identifier"));
    }
    resource["identifier"] = Value::Array(identifiers);
    resource["id"] = json!(id);
    Some(resource)
}

/// The primary Coverage of a generated row, if it has one.
pub fn coverage_resource(fields: &Row) -> Option<Value> {
    let coverage = record::patient(fields)?.coverage?;
    let id = &fields[Column::PatientId.index()];
    let mut resource = coverage_to_fhir(&coverage, id, 1);
    resource["id"] = json!(format!("{id}-primary"));
    Some(resource)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::columns::COLUMNS;

    fn owned(fields: Fields<'_>) -> [String; COLUMNS] {
        fields.map(|f| String::from_utf8_lossy(f).into_owned())
    }

    fn source(name: &str, text: &str) -> Source {
        Source { name: name.into(), reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())) }
    }

    const ANA: &str = r#"{"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:pm","type":{"coding":[{"code":"PT"}]},"value":"A-77"},{"system":"urn:emr","type":{"coding":[{"code":"MR"}]},"value":"9001"}],"name":[{"family":"Lopez-Hernandez","given":["Ana","Maria"]}],"gender":"female","birthDate":"1958-03-12","telecom":[{"system":"phone","value":"(813) 555-0142"}],"address":[{"line":["1200 Bayview Ave"],"city":"Tampa","state":"FL","postalCode":"33606"}]}"#;

    fn coverages(text: &str) -> Arc<Coverages> {
        let mut c = Coverages::default();
        c.read(source("Coverage.ndjson", text)).unwrap();
        Arc::new(c)
    }

    #[test]
    fn a_patient_is_read_with_its_typed_ids_and_its_primary_coverage() {
        let c = coverages(concat!(
            r#"{"resourceType":"Coverage","status":"active","order":2,"beneficiary":{"reference":"Patient/p1"},"subscriberId":"AMG-1","payor":[{"display":"aetna"}]}"#,
            "\n\n",
            r#"{"resourceType":"Coverage","status":"active","order":1,"beneficiary":{"reference":"https://x/fhir/Patient/p1"},"identifier":[{"value":"1EG4TE5MK72"}],"payor":[{"identifier":{"value":"medicare"}}]}"#,
        ));
        let mut export = NdjsonPatients::open(source("Patient.ndjson", ANA), c, IdentifierSystems::default());
        let (fields, line) = export.next_patient().unwrap().unwrap();
        let fields = owned(fields);
        assert_eq!(line, 1);
        assert_eq!(
            [&fields[0][..], &fields[1], &fields[2], &fields[3], &fields[4]],
            ["9001", "A-77", "Lopez-Hernandez", "Ana", "Maria"]
        );
        assert_eq!([&fields[5][..], &fields[6], &fields[11]], ["1958-03-12", "female", "(813) 555-0142"]);
        assert_eq!([&fields[12][..], &fields[13]], ["medicare", "1EG4TE5MK72"], "the primary, order 1");
        assert!(export.next_patient().unwrap().is_none());
    }

    #[test]
    fn the_column_map_names_the_identifier_systems() {
        let systems = IdentifierSystems { own: Some("urn:pm".into()), xref: Some("urn:emr".into()) };
        let mut export = NdjsonPatients::open(source("p.ndjson", ANA), Arc::default(), systems);
        let fields = owned(export.next_patient().unwrap().unwrap().0);
        assert_eq!([&fields[0][..], &fields[1]], ["A-77", "9001"]);
        let systems = IdentifierSystems { own: Some("urn:other".into()), xref: None };
        let mut export = NdjsonPatients::open(source("p.ndjson", ANA), Arc::default(), systems);
        let error = export.next_patient().err().unwrap().to_string();
        assert!(error.starts_with("p.ndjson:1: the Patient has no identifier with system `urn:other`"), "{error}");
    }

    #[test]
    fn malformed_lines_are_named_by_file_and_line_with_what_was_expected() {
        let text = format!("{ANA}\n{{\"resourceType\":\"Patient\",\"id\":\"p2\"\n");
        let mut export = NdjsonPatients::open(source("Patient.ndjson", &text), Arc::default(), Default::default());
        export.next_patient().unwrap();
        let error = export.next_patient().err().unwrap().to_string();
        assert!(error.starts_with("Patient.ndjson:2: not a JSON resource"), "{error}");
        assert!(error.contains("one FHIR resource a line"), "{error}");
        let nameless = r#"{"resourceType":"Patient","id":"p3","birthDate":"1960-01-01"}"#;
        let mut export = NdjsonPatients::open(source("P.ndjson", nameless), Arc::default(), Default::default());
        let error = export.next_patient().err().unwrap().to_string();
        assert_eq!(error, "P.ndjson:1: Patient.name is missing; expected a Patient with a name and a birthDate");
        let mut export = NdjsonPatients::open(source("P.ndjson", "[1, 2]\n"), Arc::default(), Default::default());
        let error = export.next_patient().err().unwrap().to_string();
        assert_eq!(error, "P.ndjson:1: is JSON but not an object; expected one FHIR resource a line");
        let mut c = Coverages::default();
        let error = c.read(source("Coverage.ndjson", r#"{"resourceType":"Coverage","payor":[{"display":"x"}]}"#));
        assert!(error.unwrap_err().to_string().starts_with("Coverage.ndjson:1: Coverage.beneficiary.reference"));
    }

    /// A line is read straight into the fields a patient needs, and one that will not read so is read through a
    /// `Value` as before: a key given twice counts once, the last, as it always has.
    #[test]
    fn a_patient_with_a_key_given_twice_reads_as_it_did_through_a_value() {
        let twice = ANA.replace(r#""gender":"female""#, r#""gender":"male","gender":"female""#);
        assert!(serde_json::from_str::<PatientDoc>(&twice).is_err(), "the struct alone refuses it");
        let mut export = NdjsonPatients::open(source("P.ndjson", &twice), Arc::default(), Default::default());
        let fields = owned(export.next_patient().unwrap().unwrap().0);
        assert_eq!([&fields[0][..], &fields[1], &fields[6]], ["9001", "A-77", "female"]);
        let other = r#"{"resourceType":"Coverage","id":"c1"}"#;
        let mut export = NdjsonPatients::open(source("P.ndjson", other), Arc::default(), Default::default());
        let error = export.next_patient().err().unwrap().to_string();
        assert!(error.starts_with("P.ndjson:1: a Coverage resource in a Patient file; expected Patient"), "{error}");
    }

    #[test]
    fn a_generated_row_is_written_and_read_back_the_same() {
        let row: Row = [
            "E00000007",
            "P00000007",
            "O'Connor",
            "Seán",
            "",
            "1961-07-30",
            "male",
            "88 Oak St",
            "Tampa",
            "FL",
            "33606",
            "813-555-0142",
            "aetna",
            "W123456789",
        ]
        .map(String::from);
        let patient = patient_resource(&row, "urn:handoff:emr", "urn:handoff:pm").unwrap();
        let coverage = coverage_resource(&row).unwrap();
        assert_eq!(patient["id"], "E00000007");
        assert_eq!(patient["identifier"][1]["type"]["coding"][0]["code"], "PT");
        assert_eq!(coverage["beneficiary"]["reference"], "Patient/E00000007");
        let c = coverages(&coverage.to_string());
        let mut export = NdjsonPatients::open(source("p", &patient.to_string()), c, Default::default());
        assert_eq!(owned(export.next_patient().unwrap().unwrap().0), row);
    }
}
