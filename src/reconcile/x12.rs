//! X12 837P claim batches as a PM's patient source: the patient of each claim — the subscriber (loop 2010BA) or,
//! for a dependent, the patient (2010CA) — with name, birth date, sex and address, the payer (2010BB NM1*PR) and the
//! subscriber's member id, read through the live run's X12 parser. A patient billed on several claims is one
//! patient, as the last claim has them. An 837 carries no patient id of the PM's own, so the member id stands for it
//! (with the dependent's birth date after a `/`), and no cross-reference: such patients match by demographics.

use std::collections::HashMap;
use std::io::Read;

use super::columns::Column;
use super::export::{Fields, InputProblem, PatientExport, Source};
use super::record::Row;
use crate::connect::x12::{Document, Location, ReadError, Segment};

/// The patients of an 837 file, read whole when opened (an interchange is parsed whole, and a later claim for the
/// same patient updates them).
pub struct X12Patients {
    name: String,
    patients: Vec<(Row, u64)>,
    next: usize,
}

/// The person whose demographics the segments after an NM1 describe.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Party {
    Subscriber,
    Patient,
    Other,
}

fn missing(seg: &Segment, n: usize, expected: &'static str) -> ReadError {
    ReadError::MissingValue { location: Location::new(seg.index, &seg.id, n, None), expected }
}

/// `CCYYMMDD` as `YYYY-MM-DD`.
fn birth_date(seg: &Segment) -> Result<String, ReadError> {
    let d = seg.element(2);
    if seg.element(1) != "D8" || d.len() != 8 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReadError::InvalidValue {
            location: Location::new(seg.index, &seg.id, 2, None),
            found: d.to_string(),
            expected: "the birth date as D8 CCYYMMDD",
        });
    }
    let date = format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..]);
    date.parse::<crate::model::Date>().map(|_| date).map_err(|_| ReadError::InvalidValue {
        location: Location::new(seg.index, &seg.id, 2, None),
        found: d.to_string(),
        expected: "a calendar date as CCYYMMDD",
    })
}

fn sex(code: &str) -> &'static str {
    match code {
        "F" => "female",
        "M" => "male",
        _ => "unknown",
    }
}

impl X12Patients {
    pub fn open(source: Source) -> Result<X12Patients, InputProblem> {
        let name = source.name;
        let problem = |line: Option<u64>, message: String| InputProblem { file: name.clone(), line, message };
        let mut bytes = Vec::new();
        let mut reader = source.reader;
        reader.read_to_end(&mut bytes).map_err(|e| problem(None, format!("cannot read: {e}")))?;
        let doc = Document::parse_bytes(&bytes).map_err(|e| problem(None, e.to_string()))?;
        let claims: Vec<_> = doc.transactions().into_iter().filter(|t| t.id() == "837").collect();
        if claims.is_empty() {
            let found = doc.transactions().first().map(|t| t.id().to_string()).unwrap_or_default();
            return Err(problem(
                None,
                format!(
                    "holds no 837 claim (its transaction sets are {found}); a patient source needs 837P claims, \
                     whose subscriber and patient loops carry the demographics"
                ),
            ));
        }
        let mut patients: Vec<(Row, u64)> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for tx in claims {
            let mut subscriber = Row::default();
            let mut dependent: Option<Row> = None;
            let mut party = Party::Other;
            let mut payer = String::new();
            for seg in tx.segments {
                let located = |e: ReadError| problem(Some(seg.index as u64), e.to_string());
                let current = match party {
                    Party::Subscriber => Some(&mut subscriber),
                    Party::Patient => dependent.as_mut(),
                    Party::Other => None,
                };
                match (seg.id.as_str(), seg.element(1)) {
                    ("HL", _) => {
                        party = Party::Other;
                        match seg.element(3) {
                            "22" => {
                                subscriber = Row::default();
                                dependent = None;
                            }
                            "23" => dependent = Some(Row::default()),
                            _ => {}
                        }
                    }
                    ("NM1", "IL" | "QC") => {
                        party = if seg.element(1) == "IL" { Party::Subscriber } else { Party::Patient };
                        let row = match party {
                            Party::Subscriber => &mut subscriber,
                            _ => dependent.get_or_insert_with(Row::default),
                        };
                        let family = seg.element(3);
                        if family.is_empty() {
                            return Err(located(missing(seg, 3, "the person's family name")));
                        }
                        row[Column::Family.index()] = family.to_string();
                        row[Column::Given.index()] = seg.element(4).to_string();
                        row[Column::Middle.index()] = seg.element(5).to_string();
                        if party == Party::Subscriber {
                            let member = seg.element(9);
                            if member.is_empty() {
                                return Err(located(missing(seg, 9, "the subscriber's member id")));
                            }
                            row[Column::MemberId.index()] = member.to_string();
                        }
                    }
                    ("NM1", "PR") => {
                        party = Party::Other;
                        payer = seg.element(3).to_string();
                    }
                    ("NM1", _) => party = Party::Other,
                    ("N3", _) => {
                        if let Some(row) = current {
                            let lines = [seg.element(1), seg.element(2)].into_iter().filter(|l| !l.is_empty());
                            row[Column::AddressLine.index()] = lines.collect::<Vec<_>>().join(" ");
                        }
                    }
                    ("N4", _) => {
                        if let Some(row) = current {
                            row[Column::City.index()] = seg.element(1).to_string();
                            row[Column::State.index()] = seg.element(2).to_string();
                            row[Column::PostalCode.index()] = seg.element(3).to_string();
                        }
                    }
                    ("DMG", _) => {
                        if let Some(row) = current {
                            row[Column::BirthDate.index()] = birth_date(seg).map_err(located)?;
                            row[Column::Sex.index()] = sex(seg.element(3)).to_string();
                        }
                    }
                    ("CLM", _) => {
                        party = Party::Other;
                        let member = subscriber[Column::MemberId.index()].clone();
                        let mut row = dependent.clone().unwrap_or_else(|| subscriber.clone());
                        if row[Column::BirthDate.index()].is_empty() {
                            return Err(located(ReadError::MissingSegment {
                                transaction: "837".into(),
                                segment_id: "DMG",
                                purpose: "the patient's birth date and sex (loop 2010BA or 2010CA) before this claim",
                            }));
                        }
                        let id = match &dependent {
                            Some(d) => format!("{member}/{}", d[Column::BirthDate.index()].replace('-', "")),
                            None => member.clone(),
                        };
                        row[Column::PatientId.index()] = id.clone();
                        row[Column::MemberId.index()] = member;
                        row[Column::Payer.index()] = payer.clone();
                        let line = seg.index as u64;
                        match by_id.get(&id) {
                            Some(&i) => patients[i] = (row, line),
                            None => {
                                by_id.insert(id, patients.len());
                                patients.push((row, line));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(X12Patients { name, patients, next: 0 })
    }
}

impl PatientExport for X12Patients {
    fn name(&self) -> &str {
        &self.name
    }

    /// An 837 has no cross-reference and no patient phone.
    fn carries(&self, column: Column) -> bool {
        // The member id stands in for the PM's own id, which an 837 does not carry.
        !matches!(column, Column::PatientId | Column::Xref | Column::Phone)
    }

    fn next_patient(&mut self) -> Result<Option<(Fields<'_>, u64)>, InputProblem> {
        let Some((row, line)) = self.patients.get(self.next) else { return Ok(None) };
        self.next += 1;
        Ok(Some((std::array::from_fn(|i| row[i].as_bytes()), *line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(text: &str) -> Result<X12Patients, InputProblem> {
        let source =
            Source { name: "claims.837".into(), reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())) };
        X12Patients::open(source)
    }

    const TWO_CLAIMS: &str = include_str!("../../tests/interop/x12/837p_two_claims.x12");

    #[test]
    fn the_subscriber_of_each_claim_is_a_patient_once() {
        let mut claims = open(TWO_CLAIMS).unwrap();
        let (fields, _) = claims.next_patient().unwrap().unwrap();
        let fields: Vec<String> = fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        assert_eq!(
            fields,
            [
                "1EG4TE5MK72",
                "",
                "Lopez-Hernandez",
                "Ana",
                "Maria",
                "1958-03-12",
                "female",
                "1200 Bayview Ave Apt 4B",
                "Tampa",
                "FL",
                "33606",
                "",
                "MEDICARE",
                "1EG4TE5MK72"
            ]
        );
        assert!(claims.next_patient().unwrap().is_none(), "two claims, one patient");
        assert!(!claims.carries(Column::Xref) && claims.carries(Column::MemberId));
    }

    #[test]
    fn a_bad_birth_date_and_a_remittance_are_named() {
        let error = open(&TWO_CLAIMS.replacen("DMG*D8*19580312", "DMG*D8*19581312", 1)).err().unwrap().to_string();
        assert!(error.starts_with("claims.837:"), "{error}");
        assert!(error.contains("DMG02") && error.contains("a calendar date as CCYYMMDD"), "{error}");
        let remit = include_str!("../../tests/inputs/x12/835.x12");
        let error = open(remit).err().unwrap().to_string();
        assert!(error.contains("holds no 837 claim (its transaction sets are 835)"), "{error}");
    }
}
