//! A patient's fourteen export fields ⇄ the model's [`Patient`], so every export format — CSV, FHIR NDJSON, HL7 v2,
//! X12 — is read and written through the same mapping the live run's adapters use for the same patient.

use super::columns::{COLUMNS, Column};
use crate::model::{Address, Coverage, Date, HumanName, Patient, Relationship, Sex};

/// A patient's fields in [`Column`] order, owned.
pub type Row = [String; COLUMNS];

/// The fields of `patient` as the system with id `id` exports them, `xref` being the other system's id.
pub fn row(patient: &Patient, id: String, xref: String) -> Row {
    let mut fields: Row = Default::default();
    let coverage = patient.coverage.as_ref();
    let address = patient.address.as_ref();
    for column in Column::ALL {
        fields[column.index()] = match column {
            Column::PatientId => id.clone(),
            Column::Xref => xref.clone(),
            Column::Family => patient.name.family.clone(),
            Column::Given => patient.name.given.first().cloned().unwrap_or_default(),
            Column::Middle => patient.name.given.get(1..).unwrap_or_default().join(" "),
            Column::BirthDate => patient.birth_date.to_string(),
            Column::Sex => patient.sex.as_str().to_string(),
            Column::AddressLine => address.map(|a| a.line.join(" ")).unwrap_or_default(),
            Column::City => address.map(|a| a.city.clone()).unwrap_or_default(),
            Column::State => address.map(|a| a.state.clone()).unwrap_or_default(),
            Column::PostalCode => address.map(|a| a.postal_code.clone()).unwrap_or_default(),
            Column::Phone => patient.phone.clone().unwrap_or_default(),
            Column::Payer => coverage.map(|c| c.payer.clone()).unwrap_or_default(),
            Column::MemberId => coverage.map(|c| c.member_id.clone()).unwrap_or_default(),
        };
    }
    fields
}

/// The patient a row describes, undoing [`row`] (ids aside), so a generated export can be written in any format.
/// `None` when the birth date is not a date, which no generated row has.
pub fn patient(fields: &Row) -> Option<Patient> {
    let get = |c: Column| fields[c.index()].as_str();
    let given = [get(Column::Given), get(Column::Middle)].into_iter().filter(|g| !g.is_empty());
    let address_fields = [Column::AddressLine, Column::City, Column::State, Column::PostalCode];
    let address = address_fields.iter().any(|c| !get(*c).is_empty()).then(|| Address {
        line: Some(get(Column::AddressLine)).filter(|l| !l.is_empty()).map(str::to_string).into_iter().collect(),
        city: get(Column::City).to_string(),
        state: get(Column::State).to_string(),
        postal_code: get(Column::PostalCode).to_string(),
    });
    let coverage = (!get(Column::Payer).is_empty() || !get(Column::MemberId).is_empty()).then(|| Coverage {
        payer: get(Column::Payer).to_string(),
        member_id: get(Column::MemberId).to_string(),
        relationship: Relationship::Self_,
    });
    Some(Patient {
        name: HumanName { given: given.map(str::to_string).collect(), family: get(Column::Family).to_string() },
        birth_date: get(Column::BirthDate).parse::<Date>().ok()?,
        sex: Sex::from_code(get(Column::Sex)),
        address,
        phone: Some(get(Column::Phone)).filter(|p| !p.is_empty()).map(str::to_string),
        identifiers: Vec::new(),
        coverage,
        secondary_coverage: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::fixtures::ANA;

    #[test]
    fn a_row_read_as_a_patient_and_written_back_is_the_same_row() {
        let mut fields: Row = ANA.map(String::from);
        fields[Column::Xref.index()] = "E1".into();
        fields[Column::Middle.index()] = "Maria José".into();
        let patient = patient(&fields).unwrap();
        assert_eq!(patient.name.given, ["Ana", "Maria José"]);
        assert_eq!(row(&patient, "P1".into(), "E1".into()), fields);
        let mut bare = fields.clone();
        for c in [Column::Middle, Column::Phone, Column::Payer, Column::MemberId] {
            bare[c.index()].clear();
        }
        let patient = super::patient(&bare).unwrap();
        assert_eq!((patient.phone, patient.coverage), (None, None));
    }
}
