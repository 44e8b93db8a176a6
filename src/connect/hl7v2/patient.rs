//! PID ⇄ [`Patient`]: identifiers, name, birth date, sex, address and phone, shared by ADT, SIU and DFT.

use crate::model::{Address, HumanName, Identifier, Patient, Sex};

use super::reader::Located;
use super::values::{format_date, parse_date};
use super::{Component, Field, ReadError, Repetition, Segment};

/// The patient's record number in the sending system and the authority that assigned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientId {
    pub value: String,
    /// CX.4: which system's number this is (the sending application, usually).
    pub assigning_authority: String,
}

/// A patient as one system holds them: its own id for them and their demographics.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRecord {
    pub id: PatientId,
    pub patient: Patient,
}

/// HL7 table 0203: medical record number.
const MEDICAL_RECORD_NUMBER: &str = "MR";

/// PID with PID-3 holding the sender's own id first, then every identifier the practice already knows.
///
/// Coverage is not in PID; ADT carries it in IN1.
pub fn pid(record: &PatientRecord) -> Segment {
    let patient = &record.patient;
    let own_id = record_number(&record.id);
    let known_ids = patient.identifiers.iter().map(|i| cx(&i.value, &i.system, ""));
    let mut segment = Segment::new("PID")
        .with(1, "1")
        .with(3, Field::from_repetitions(std::iter::once(own_id).chain(known_ids)))
        .with(5, name(&patient.name))
        .with(7, format_date(patient.birth_date))
        .with(8, sex_code(patient.sex));
    if let Some(address) = &patient.address {
        segment.set(11, home_address(address));
    }
    if let Some(phone) = &patient.phone {
        segment.set(13, home_phone(phone));
    }
    segment
}

/// A system's own id for a patient as a CX medical record number, as PID-3 and MRG-1 carry it.
pub(super) fn record_number(id: &PatientId) -> Repetition {
    cx(&id.value, &id.assigning_authority, MEDICAL_RECORD_NUMBER)
}

/// The id and assigning authority of a CX, undoing [`record_number`]; `None` when CX.1 is empty.
pub(super) fn read_record_number(cx: &Repetition) -> Option<PatientId> {
    let value = cx.component(1);
    (!value.is_empty())
        .then(|| PatientId { value: value.to_string(), assigning_authority: authority_system(cx.components.get(3)) })
}

/// CX: id^^^assigning authority^identifier type.
fn cx(value: &str, authority: &str, type_code: &str) -> Repetition {
    let component = |text: &str| Component::from_subcomponents([text]);
    Repetition {
        components: vec![
            component(value),
            component(""),
            component(""),
            assigning_authority(authority),
            component(type_code),
        ],
    }
}

/// HD: a short local name (`EMR`) is a namespace id in HD.1; a URI such as a FHIR identifier system goes in
/// HD.2 with HD.3 `URI` (an OID as `ISO`), as HD.1 is limited to 20 characters and meant for local names.
fn assigning_authority(system: &str) -> Component {
    match system.strip_prefix("urn:oid:") {
        Some(oid) => Component::from_subcomponents(["", oid, "ISO"]),
        None if system.contains(':') => Component::from_subcomponents(["", system, "URI"]),
        None => Component::from_subcomponents([system]),
    }
}

/// The system an HD names, undoing [`assigning_authority`]; a universal id wins over a namespace id.
fn authority_system(authority: Option<&Component>) -> String {
    let part = |n: usize| authority.and_then(|a| a.subcomponents.get(n)).map_or("", String::as_str);
    match (part(0), part(1), part(2)) {
        (_, oid, "ISO") if !oid.is_empty() => format!("urn:oid:{oid}"),
        (_, universal, _) if !universal.is_empty() => universal.to_string(),
        (namespace, _, _) => namespace.to_string(),
    }
}

/// XPN: family^first^middle names^^^^L. HL7 has one component for all middle names, so they share it with
/// spaces between them and a middle name that itself holds a space comes back as two.
fn name(name: &HumanName) -> Field {
    let first = name.given.first().map(String::as_str).unwrap_or_default();
    let middle = name.given.get(1..).unwrap_or_default().join(" ");
    Field::from_components([name.family.as_str(), first, &middle, "", "", "", "L"])
}

/// HL7 table 0001.
fn sex_code(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "F",
        Sex::Male => "M",
        Sex::Other => "O",
        Sex::Unknown => "U",
    }
}

fn sex_from_code(code: &str) -> Sex {
    match code {
        "F" => Sex::Female,
        "M" => Sex::Male,
        // A (ambiguous) is the 2.5.1 code nearest to "other".
        "O" | "A" => Sex::Other,
        _ => Sex::Unknown,
    }
}

/// XAD: street^other designation^city^state^zip^^H. Address lines past the second share XAD.2, comma-separated,
/// as there is nowhere else to put them.
fn home_address(address: &Address) -> Field {
    let street = address.line.first().map(String::as_str).unwrap_or_default();
    let other = address.line.get(1..).unwrap_or_default().join(", ");
    Field::from_components([
        street,
        &other,
        address.city.as_str(),
        address.state.as_str(),
        address.postal_code.as_str(),
        "",
        "H",
    ])
}

/// XTN: the number as the practice wrote it in XTN.1, primary residence, telephone. XTN.6/XTN.7 (area code and
/// local number) are added for a ten-digit US number because newer receivers read only those.
fn home_phone(phone: &str) -> Field {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 => Some(digits.as_str()),
        11 => digits.strip_prefix('1'),
        _ => None,
    };
    let (area, local) = national.map_or(("", ""), |n| n.split_at(3));
    Field::from_components([phone, "PRN", "PH", "", "", area, local])
}

/// The patient from a PID, with no coverage (that is read from IN1 by the ADT reader).
pub fn read_pid(pid: Located<'_>) -> Result<PatientRecord, ReadError> {
    let segment = pid.segment;
    let ids = segment.repetitions(3);
    let id = ids.first().and_then(read_record_number).ok_or(ReadError::MissingValue {
        location: pid.location(3, None),
        expected: "the patient's id in the sending system (CX with assigning authority in CX.4)",
    })?;
    let family = pid.required(5, 1, "the patient's family name")?;
    let mut given: Vec<String> = Vec::new();
    given.extend(Some(segment.component(5, 2)).filter(|g| !g.is_empty()).map(str::to_string));
    // XPN.3 holds all further given names as one string; which spaces separate names and which belong inside
    // one ("Mary Ellen") cannot be told apart, so it is kept whole, as receiving systems with one middle-name field do.
    given.extend(Some(segment.component(5, 3)).filter(|g| !g.is_empty()).map(str::to_string));
    let birth_text = pid.required(7, 1, "the birth date as YYYYMMDD")?;
    let birth_date =
        parse_date(birth_text).ok_or_else(|| pid.invalid(7, None, birth_text, "the birth date as YYYYMMDD"))?;
    let address = segment.field(11).filter(|f| !f.is_empty()).map(|f| Address {
        line: [f.component(1), f.component(2)].into_iter().filter(|l| !l.is_empty()).map(str::to_string).collect(),
        city: f.component(3).to_string(),
        state: f.component(4).to_string(),
        postal_code: f.component(5).to_string(),
    });
    let phone = segment.field(13).and_then(|f| {
        let written = f.component(1);
        let (area, local) = (f.component(6), f.component(7));
        if !written.is_empty() {
            Some(written.to_string())
        } else {
            // Byte slicing is safe once every byte is an ASCII digit.
            let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
            (digits(area, 3) && digits(local, 7)).then(|| {
                format!("({area}) {}-{}", local.get(..3).unwrap_or_default(), local.get(3..).unwrap_or_default())
            })
        }
    });
    let identifiers = ids
        .iter()
        .skip(1)
        .filter(|r| !r.component(1).is_empty())
        .map(|r| Identifier { system: authority_system(r.components.get(3)), value: r.component(1).to_string() })
        .collect();
    Ok(PatientRecord {
        id,
        patient: Patient {
            name: HumanName { given, family: family.to_string() },
            birth_date,
            sex: sex_from_code(segment.value(8)),
            address,
            phone,
            identifiers,
            coverage: None,
            secondary_coverage: None,
        },
    })
}
