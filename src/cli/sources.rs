//! The patient sources `handoff reconcile` is given, opened in their formats: each file's format told by its name
//! and confirmed by its first bytes (or forced by `--emr-format`/`--pm-format`), a folder read as every export in
//! it (a Bulk Data export's output folder, say), and NDJSON Coverage files joined to the Patient files beside them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::reconcile::hl7log::{Authorities, Hl7Log};
use crate::reconcile::ndjson::{Coverages, IdentifierSystems, NdjsonPatients};
use crate::reconcile::x12::X12Patients;
use crate::reconcile::{Column, CsvExport, PatientExport, Reopen, Source};

/// The formats a patient source can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceFormat {
    /// CSV with a header row (column names through `--map`).
    Csv,
    /// FHIR Bulk Data NDJSON: Patient and Coverage resources, one a line.
    Ndjson,
    /// An HL7 v2 message log (ADT), optionally MLLP-framed.
    Hl7,
    /// X12 837P claim batches: subscriber and patient demographics, payer and member id.
    X12,
}

impl SourceFormat {
    fn said(self) -> &'static str {
        match self {
            SourceFormat::Csv => "CSV",
            SourceFormat::Ndjson => "FHIR NDJSON",
            SourceFormat::Hl7 => "an HL7 v2 log",
            SourceFormat::X12 => "X12",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            SourceFormat::Csv => "csv",
            SourceFormat::Ndjson => "ndjson",
            SourceFormat::Hl7 => "hl7",
            SourceFormat::X12 => "x12",
        }
    }

    /// The format a file's name says, if it says one (`.txt` does not: logs and CSVs alike are saved as text).
    fn by_name(path: &Path) -> Option<SourceFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(SourceFormat::Csv),
            "ndjson" | "jsonl" => Some(SourceFormat::Ndjson),
            "hl7" => Some(SourceFormat::Hl7),
            "x12" | "837" | "835" | "edi" => Some(SourceFormat::X12),
            _ => None,
        }
    }

    /// The format the first bytes of a file show: a JSON object, an MSH segment, an ISA envelope, else CSV.
    pub fn by_content(head: &[u8]) -> SourceFormat {
        let start = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let start = &start[start.iter().position(|b| !b.is_ascii_whitespace() && *b != 0x0b).unwrap_or(start.len())..];
        if start.starts_with(b"{") {
            SourceFormat::Ndjson
        } else if start.starts_with(b"MSH") {
            SourceFormat::Hl7
        } else if start.starts_with(b"ISA") {
            SourceFormat::X12
        } else {
            SourceFormat::Csv
        }
    }
}

/// Extensions a folder is searched for.
const EXPORT_EXTENSIONS: [&str; 9] = ["csv", "ndjson", "jsonl", "hl7", "txt", "x12", "837", "835", "edi"];

/// A file, its format, and a reader that gives its bytes from the start.
struct Opened {
    path: PathBuf,
    format: SourceFormat,
    reader: Box<dyn Read + Send>,
}

/// Every export of one side opened, or why one cannot be, naming the file (and line).
pub fn open_side(
    paths: &[PathBuf],
    forced: Option<SourceFormat>,
    names: &BTreeMap<Column, String>,
) -> Result<Vec<Box<dyn PatientExport>>, String> {
    let files = super::files::with_folders_opened(paths, &EXPORT_EXTENSIONS, "export")?;
    let mut exports: Vec<Box<dyn PatientExport>> = Vec::new();
    let mut coverages = Coverages::default();
    let mut patient_files = Vec::new();
    for path in files {
        let opened = open_file(&path, forced)?;
        let name = opened.path.display().to_string();
        let source = Source { name: name.clone(), reader: opened.reader };
        match opened.format {
            SourceFormat::Csv => {
                let export = CsvExport::open(source, names).map_err(|p| p.to_string())?;
                exports.push(Box::new(readable_in_blocks(export, &opened.path)));
            }
            SourceFormat::Hl7 => {
                let log = Hl7Log::open(source, &Authorities::from_map(names)).map_err(|p| p.to_string())?;
                let c = log.counts();
                eprintln!(
                    "{name}: {} message(s): {} registration(s) and update(s), {} merge(s), {} skipped (not ADT \
                     A04/A08/A28/A31/A40)",
                    c.messages, c.applied, c.merges, c.skipped
                );
                exports.push(Box::new(log));
            }
            SourceFormat::X12 => {
                let claims = X12Patients::open(source).map_err(|p| p.to_string())?;
                exports.push(Box::new(claims));
            }
            SourceFormat::Ndjson => {
                let (resource_type, source) = first_resource_type(source)?;
                match resource_type.as_str() {
                    "Patient" => patient_files.push((exports.len(), source)),
                    "Coverage" => coverages.read(source).map_err(|p| p.to_string())?,
                    other => {
                        eprintln!("{name}: skipped: holds {other} resources; a patient source is Patient and Coverage")
                    }
                }
            }
        }
    }
    if patient_files.is_empty() && !coverages.is_empty() {
        return Err(format!(
            "{}: Coverage resources but no Patient file to join them to; pass the Patient.ndjson of the same export",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    let coverages = Arc::new(coverages);
    let systems = IdentifierSystems::from_map(names);
    // Patient files keep their place among the other exports, so line numbers and files read in the order given.
    for (offset, (at, source)) in patient_files.into_iter().enumerate() {
        let export = NdjsonPatients::open(source, Arc::clone(&coverages), systems.clone());
        exports.insert(at + offset, Box::new(export));
    }
    if exports.is_empty() {
        return Err(format!(
            "{}: no patient source (CSV, Patient NDJSON, an HL7 v2 log or an 837)",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(exports)
}

/// A CSV export on disk, readable in blocks from any offset (a file that cannot be measured is read from start to
/// end).
fn readable_in_blocks(export: CsvExport, path: &Path) -> CsvExport {
    let Ok(len) = std::fs::metadata(path).map(|m| m.len()) else { return export };
    let path = path.to_path_buf();
    let reopen: Reopen = Arc::new(move |offset| {
        let mut file = File::open(&path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(file) as Box<dyn Read + Send>)
    });
    export.in_blocks(len, reopen)
}

/// Opens a file and tells its format: forced, or by its name confirmed by its first bytes, or by its first bytes.
fn open_file(path: &Path, forced: Option<SourceFormat>) -> Result<Opened, String> {
    let mut file = File::open(path).map_err(|e| format!("{}: cannot open the export: {e}", path.display()))?;
    let mut head = Vec::with_capacity(4096);
    (&mut file).take(4096).read_to_end(&mut head).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let shown = SourceFormat::by_content(&head);
    let format = match (forced, SourceFormat::by_name(path)) {
        (Some(format), _) => format,
        (None, Some(named)) if named == shown => named,
        (None, Some(named)) => {
            return Err(format!(
                "{}: the name says {} but the file starts like {} (`{}`); to read it as {} anyway, pass \
                 --emr-format/--pm-format {}; otherwise check that this is the file you meant",
                path.display(),
                named.said(),
                shown.said(),
                String::from_utf8_lossy(&head[..head.len().min(24)]).replace(['\r', '\n'], " "),
                named.said(),
                named.flag()
            ));
        }
        (None, None) => shown,
    };
    if format == SourceFormat::Csv
        && let Some(what) = super::files::not_text(&head)
    {
        return Err(format!("{}: is not a text export: {what}", path.display()));
    }
    Ok(Opened { path: path.to_path_buf(), format, reader: Box::new(Cursor::new(head).chain(file)) })
}

/// The resourceType of an NDJSON file's first resource, and a source that still starts at its first byte.
fn first_resource_type(source: Source) -> Result<(String, Source), String> {
    let mut reader = BufReader::new(source.reader);
    let mut first = String::new();
    loop {
        first.clear();
        let read = (&mut reader)
            .take(64 << 20)
            .read_line(&mut first)
            .map_err(|e| format!("{}:1: cannot read: {e}", source.name))?;
        if read == 0 || !first.trim().is_empty() {
            break;
        }
    }
    let resource_type = serde_json::from_str::<serde_json::Value>(first.trim().trim_start_matches('\u{feff}'))
        .ok()
        .and_then(|v| v.get("resourceType").and_then(|t| t.as_str()).map(str::to_string))
        // The reader says exactly what is wrong with the line; the Patient reader reads it.
        .unwrap_or_else(|| "Patient".into());
    let rest: Box<dyn Read + Send> = Box::new(Cursor::new(first.into_bytes()).chain(reader));
    Ok((resource_type, Source { name: source.name, reader: rest }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_tell_each_format() {
        assert_eq!(SourceFormat::by_content(b"\xef\xbb\xbf{\"resourceType\":\"Patient\"}"), SourceFormat::Ndjson);
        assert_eq!(SourceFormat::by_content(b"\x0bMSH|^~\\&|"), SourceFormat::Hl7);
        assert_eq!(SourceFormat::by_content(b"ISA*00*"), SourceFormat::X12);
        assert_eq!(SourceFormat::by_content(b"patient_id,xref\n"), SourceFormat::Csv);
        assert_eq!(SourceFormat::by_name(Path::new("a/Patient.JSONL")), Some(SourceFormat::Ndjson));
        assert_eq!(SourceFormat::by_name(Path::new("archive.txt")), None);
    }

    #[test]
    fn workbooks_archives_and_binary_data_are_not_read_as_csv() {
        let dir = tempfile::tempdir().unwrap();
        let error = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            open_file(&path, None).err().unwrap_or_else(|| panic!("{name} was opened"))
        };
        assert!(error("emr.csv", b"PK\x03\x04\x14\x00").ends_with("emr.csv: is not a text export: it is a ZIP archive (as an .xlsx workbook is); save the sheet as CSV (UTF-8), or unzip the archive"));
        assert!(error("pm.csv", b"\xd0\xcf\x11\xe0\xa1\xb1").contains("an Excel 97-2003 workbook (.xls)"));
        assert!(error("pm.bin", b"\x1f\x8b\x08\x00").contains("gzip-compressed; unpack it first"));
        assert!(error("pm.csv", b"\xff\xfep\x00a\x00").contains("UTF-16 text"));
        assert!(error("noise", b"patient_id\x00\x7f").contains("byte 11 is a NUL"));
        let path = dir.path().join("latin1.csv");
        std::fs::write(&path, b"patient_id,family\nE1,M\xfcller\n").unwrap();
        assert_eq!(open_file(&path, None).unwrap().format, SourceFormat::Csv);
    }

    #[test]
    fn a_name_that_disagrees_with_the_content_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pm.csv");
        std::fs::write(&path, "MSH|^~\\&|PM||EMR||20261201||ADT^A04^ADT_A01|1|P|2.5.1\r").unwrap();
        let error = open_file(&path, None).err().unwrap();
        assert!(
            error.contains("the name says CSV but the file starts like an HL7 v2 log (`MSH|^~\\&|PM||EMR||20261"),
            "{error}"
        );
        assert!(error.contains("--emr-format/--pm-format csv"), "{error}");
        assert_eq!(open_file(&path, Some(SourceFormat::Hl7)).unwrap().format, SourceFormat::Hl7);
    }
}
