//! The fourteen demographic and coverage columns an export is reconciled on, what each is called in a report, how
//! its values are compared, and the column map that names them in a vendor's own CSV headers.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diff::{address_line, exact, phone, postal, text};

/// One column of a patient export; the names are the generator's CSV headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// This system's own id for the patient (an MRN, an account number).
    PatientId,
    /// The other system's id for the same patient, where this one keeps it.
    Xref,
    Family,
    Given,
    Middle,
    BirthDate,
    Sex,
    AddressLine,
    City,
    State,
    PostalCode,
    Phone,
    Payer,
    MemberId,
}

pub const COLUMNS: usize = 14;

impl Column {
    pub const ALL: [Column; COLUMNS] = [
        Column::PatientId,
        Column::Xref,
        Column::Family,
        Column::Given,
        Column::Middle,
        Column::BirthDate,
        Column::Sex,
        Column::AddressLine,
        Column::City,
        Column::State,
        Column::PostalCode,
        Column::Phone,
        Column::Payer,
        Column::MemberId,
    ];

    /// The header the generator writes, and the one read when no column map names another.
    pub fn header(self) -> &'static str {
        match self {
            Column::PatientId => "patient_id",
            Column::Xref => "xref",
            Column::Family => "family",
            Column::Given => "given",
            Column::Middle => "middle",
            Column::BirthDate => "birth_date",
            Column::Sex => "sex",
            Column::AddressLine => "address_line",
            Column::City => "city",
            Column::State => "state",
            Column::PostalCode => "postal_code",
            Column::Phone => "phone",
            Column::Payer => "payer",
            Column::MemberId => "member_id",
        }
    }

    /// The field as a live run's findings name it.
    pub fn field(self) -> &'static str {
        match self {
            Column::PatientId => "id",
            Column::Xref => "xref",
            Column::Family => "name.family",
            Column::Given => "name.given[1]",
            Column::Middle => "name.given[2]",
            Column::BirthDate => "birth_date",
            Column::Sex => "sex",
            Column::AddressLine => "address.line[1]",
            Column::City => "address.city",
            Column::State => "address.state",
            Column::PostalCode => "address.postal_code",
            Column::Phone => "phone",
            Column::Payer => "payer",
            Column::MemberId => "member_id",
        }
    }

    /// The record the field belongs to, as findings name it.
    pub fn record(self) -> &'static str {
        match self {
            Column::Payer | Column::MemberId => "coverage",
            _ => "patient",
        }
    }

    /// What a value is once differences of form are set aside, as a live run compares the same field.
    pub fn normaliser(self) -> fn(&str) -> String {
        match self {
            Column::AddressLine => address_line,
            Column::PostalCode => postal,
            Column::Phone => phone,
            Column::PatientId | Column::Xref | Column::BirthDate | Column::Sex => exact,
            _ => text,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which header of each export holds each column, for CSV exports whose headers are not the generator's
/// (`handoff schema map`). A column left out is read from the header of its own name (in any case); a column an
/// export lacks is not compared. For FHIR NDJSON, `patient_id` and `xref` name the `identifier.system` of the own id
/// and of the cross-reference instead, and for an HL7 v2 log their PID-3 assigning authority; other columns are
/// where the format puts them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "handoff column map",
    description = "The CSV headers of each export that hold the columns `handoff reconcile` compares; for FHIR \
                   NDJSON and HL7 v2 sources, patient_id and xref name identifier systems (assigning authorities)."
)]
pub struct ColumnMap {
    /// The EMR export's headers, by column: `{ patient_id: MRN, family: Last Name }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub emr: BTreeMap<Column, String>,
    /// The PM export's headers, by column.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pm: BTreeMap<Column, String>,
}

/// Where each column is in one export's rows: its position, or `None` when the export lacks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub positions: [Option<usize>; COLUMNS],
    /// How many fields each row has.
    pub width: usize,
}

impl Layout {
    /// The layout of an export with this header row, its column names taken from `names` where it gives them.
    pub fn from_header(header: &[&str], names: &BTreeMap<Column, String>) -> Result<Layout, String> {
        let mut positions = [None; COLUMNS];
        for column in Column::ALL {
            let wanted = names.get(&column).map(String::as_str).unwrap_or(column.header());
            positions[column.index()] = header.iter().position(|h| h.trim().eq_ignore_ascii_case(wanted));
            if positions[column.index()].is_none() && names.contains_key(&column) {
                return Err(format!(
                    "the column map names `{wanted}` for {}, but the header has no such column (it has {})",
                    column.header(),
                    listed(header)
                ));
            }
        }
        if positions[Column::PatientId.index()].is_none() {
            return Err(format!(
                "the header has no `patient_id` column (it has {}); name the patient id column in a column map \
                 (--map FILE, `handoff schema map`)",
                listed(header)
            ));
        }
        Ok(Layout { positions, width: header.len() })
    }

    /// Whether the rows hold the fourteen columns and nothing else, in [`Column`] order, as the generator writes them.
    pub fn in_order(&self) -> bool {
        self.width == COLUMNS && self.positions.iter().enumerate().all(|(i, p)| *p == Some(i))
    }

    pub fn has(&self, column: Column) -> bool {
        self.positions[column.index()].is_some()
    }
}

/// A header's names as an error shows them: control characters escaped, each name and the list cut short, so a
/// file that is not the export meant (a wide sheet, a log) still gives a message that fits on a screen.
fn listed(header: &[&str]) -> String {
    const NAMES: usize = 20;
    const CHARS: usize = 40;
    let mut shown: Vec<String> = header
        .iter()
        .take(NAMES)
        .map(|name| {
            let escaped: String = name.chars().flat_map(|c| c.escape_debug()).collect();
            match escaped.char_indices().nth(CHARS) {
                Some((cut, _)) => format!("{}…", &escaped[..cut]),
                None => escaped,
            }
        })
        .collect();
    if header.len() > NAMES {
        shown.push(format!("and {} more", header.len() - NAMES));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_without_the_id_is_listed_short_and_escaped() {
        let wide: Vec<String> = (1..=25).map(|i| format!("col{i}")).collect();
        let wide: Vec<&str> = wide.iter().map(String::as_str).collect();
        let error = Layout::from_header(&wide, &BTreeMap::new()).unwrap_err();
        assert!(error.contains("(it has col1, col2, "), "{error}");
        assert!(error.contains("col20, and 5 more); name the patient id column"), "{error}");
        let long = "x".repeat(60);
        let error = Layout::from_header(&["a\tb\u{1b}", &long], &BTreeMap::new()).unwrap_err();
        assert!(error.contains(&format!("(it has a\\tb\\u{{1b}}, {}…)", "x".repeat(40))), "{error}");
    }

    #[test]
    fn the_generator_headers_need_no_map() {
        let header: Vec<&str> = Column::ALL.iter().map(|c| c.header()).collect();
        let layout = Layout::from_header(&header, &BTreeMap::new()).unwrap();
        assert_eq!(layout.positions[Column::MemberId.index()], Some(13));
        assert_eq!(layout.width, 14);
    }

    #[test]
    fn a_map_names_a_vendor_header_and_a_missing_one_is_an_error_naming_it() {
        let names = BTreeMap::from([(Column::PatientId, "MRN".to_string()), (Column::Family, "Last Name".into())]);
        let layout = Layout::from_header(&["MRN", "Last Name", "DOB"], &names).unwrap();
        assert_eq!((layout.positions[0], layout.positions[2]), (Some(0), Some(1)));
        assert!(!layout.has(Column::BirthDate));
        let error = Layout::from_header(&["MRN"], &names).unwrap_err();
        assert!(error.contains("`Last Name` for family"), "{error}");
        let error = Layout::from_header(&["id", "family"], &BTreeMap::new()).unwrap_err();
        assert!(error.contains("no `patient_id` column"), "{error}");
    }
}
