//! One system's patient export as the reconciler reads it, whatever its format: patients in [`Column`] order, one
//! at a time, each with the line it starts on; and the CSV export, read through a header that says where each
//! column is.

use std::collections::BTreeMap;
use std::io::Read;

use super::batch::PatientBatch;
use super::blocks::{CsvBlocks, Reopen};
use super::columns::{COLUMNS, Column, Layout};
use super::csv::{CsvError, CsvReader, Row};

/// One export file: what to call it in messages, and its bytes.
pub struct Source {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

/// A problem in an input file, at the line (and field) it is on.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct InputProblem {
    pub file: String,
    pub line: Option<u64>,
    pub message: String,
}

/// A patient's fields in [`Column`] order; a column the export lacks is empty.
pub type Fields<'a> = [&'a [u8]; COLUMNS];

/// A patient export of any format, read a patient at a time so memory does not grow with the file.
pub trait PatientExport: Send {
    /// The file, as messages name it.
    fn name(&self) -> &str;
    /// Whether the export carries a column at all: a column it lacks is not compared for its patients. An export
    /// that lacks `PatientId` gives each patient an id that stands in for the system's own (an 837's member id),
    /// which the other side's cross-references are not compared with.
    fn carries(&self, column: Column) -> bool;
    /// The next patient's fields and the line their record starts on, or `None` at the end.
    fn next_patient(&mut self) -> Result<Option<(Fields<'_>, u64)>, InputProblem>;
    /// Packs the next patient into `batch`; `false` at the end.
    fn pack_next(&mut self, batch: &mut PatientBatch) -> Result<bool, InputProblem> {
        let Some((fields, line)) = self.next_patient()? else { return Ok(false) };
        batch.push(&fields, line);
        Ok(true)
    }
    /// How to read the export's rows in blocks on more than one thread, for an export that can be (a CSV file on
    /// disk); its rows are then read that way instead of by `next_patient`.
    fn blocks(&self) -> Option<&CsvBlocks> {
        None
    }
}

/// A CSV export: rows after a header row that names the columns (through a column map where the vendor's headers
/// are not the generator's).
pub struct CsvExport {
    name: String,
    reader: CsvReader<Box<dyn Read + Send>>,
    layout: Layout,
    /// Whether the layout is the generator's own (`Layout::in_order`), so rows go in without being rearranged.
    in_order: bool,
    blocks: Option<CsvBlocks>,
}

impl CsvExport {
    pub fn open(source: Source, names: &BTreeMap<Column, String>) -> Result<CsvExport, InputProblem> {
        let mut reader = CsvReader::new(source.reader);
        let name = source.name;
        let header: Vec<String> = match reader.next_row().map_err(|e| csv_problem(&name, e))? {
            Some(h) => (0..h.len()).map(|i| String::from_utf8_lossy(h.get(i)).into_owned()).collect(),
            None => {
                let message = "is empty: an export starts with a header row naming its columns".into();
                return Err(InputProblem { file: name, line: None, message });
            }
        };
        let header: Vec<&str> = header.iter().map(|h| h.trim_start_matches('\u{feff}')).collect();
        match Layout::from_header(&header, names) {
            Ok(layout) => Ok(CsvExport { name, reader, in_order: layout.in_order(), layout, blocks: None }),
            Err(message) => Err(InputProblem { file: name, line: Some(1), message }),
        }
    }
}

impl CsvExport {
    /// The export, readable in blocks: the file is `len` bytes long and `reopen` reads it from any offset.
    pub fn in_blocks(mut self, len: u64, reopen: Reopen) -> CsvExport {
        self.blocks = Some(CsvBlocks {
            name: self.name.clone(),
            layout: self.layout,
            rows_start: self.reader.offset(),
            rows_line: self.reader.line(),
            len,
            reopen,
        });
        self
    }
}

impl PatientExport for CsvExport {
    fn blocks(&self) -> Option<&CsvBlocks> {
        self.blocks.as_ref()
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn carries(&self, column: Column) -> bool {
        self.layout.has(column)
    }

    fn next_patient(&mut self) -> Result<Option<(Fields<'_>, u64)>, InputProblem> {
        let Some(row) = self.reader.next_row().map_err(|e| csv_problem(&self.name, e))? else { return Ok(None) };
        Ok(Some((fields_of(&self.name, &row, &self.layout)?, row.line)))
    }

    fn pack_next(&mut self, batch: &mut PatientBatch) -> Result<bool, InputProblem> {
        let Some(row) = self.reader.next_row().map_err(|e| csv_problem(&self.name, e))? else { return Ok(false) };
        if !(self.in_order && batch.push_in_order(row.cuts(), row.bytes(), row.line)) {
            batch.push_cut(&fields_of(&self.name, &row, &self.layout)?, row.line, row.bytes());
        }
        Ok(true)
    }
}

/// A row with more or fewer fields than the header names.
fn too_few_or_many(file: &str, row: &Row<'_>, width: usize) -> InputProblem {
    let message = format!(
        "{} field(s) where the header has {width}; quote a value that holds a comma (\"Smith, Jr\")",
        row.len()
    );
    InputProblem { file: file.to_string(), line: Some(row.line), message }
}

pub(super) fn csv_problem(file: &str, e: CsvError) -> InputProblem {
    let (line, message) = match e {
        CsvError::Unclosed { line, .. } => (Some(line), e.to_string().replacen(&format!("line {line}: "), "", 1)),
        CsvError::Io(e) => (None, format!("cannot read: {e}")),
    };
    InputProblem { file: file.to_string(), line, message }
}

/// A row's fields in [`Column`] order, or the problem with a row of more or fewer fields than the header of
/// `file` names.
pub(super) fn fields_of<'a>(file: &str, row: &Row<'a>, layout: &Layout) -> Result<Fields<'a>, InputProblem> {
    if row.len() != layout.width {
        return Err(too_few_or_many(file, row, layout.width));
    }
    Ok(std::array::from_fn(|i| layout.positions[i].map(|p| row.get(p)).unwrap_or_default()))
}

/// Which columns each export carries.
pub fn columns_carried(exports: &[Box<dyn PatientExport>]) -> Vec<[bool; COLUMNS]> {
    exports.iter().map(|e| Column::ALL.map(|c| e.carries(c))).collect()
}
