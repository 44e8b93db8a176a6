//! Readers for the official CMS quarterly files: the NCCI practitioner PTP text and the practitioner MUE CSV.
//!
//! CMS ships these only as downloads (no registry has them), so users import each quarter's files; every error names the
//! file and line and says what the layout expected there.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{MueEdit, MueIndicator, MueTable, ProcedureCode, PtpEdit, PtpIndicator, PtpTable};

/// Where a table came from: kept in the store so `status` can say which quarter is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub file_name: String,
    pub rows: usize,
    /// From the file name: `v321r0` (PTP), `2026-01-01` (MUE "Eff" date) or `2026Q1`; `unversioned` when it says none.
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", file.display())]
    Io { file: PathBuf, source: io::Error },
    #[error("{}:{line}: expected {expected}, found `{found}`", file.display())]
    Layout { file: PathBuf, line: u64, expected: String, found: String },
    #[error("{}: {expected}", file.display())]
    Empty { file: PathBuf, expected: String },
}

fn layout(file: &Path, line: u64, expected: impl Into<String>, found: &str) -> ImportError {
    // Long rows make unreadable errors; the start is enough to find the row.
    let found: String = found.chars().take(120).collect();
    ImportError::Layout { file: file.to_path_buf(), line, expected: expected.into(), found }
}

/// Reads a practitioner PTP file from disk into `table` (the four code-range files of one quarter go into one table).
pub fn import_ptp_file(path: &Path, table: &mut PtpTable) -> Result<SourceInfo, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io { file: path.to_path_buf(), source })?;
    read_ptp(BufReader::with_capacity(1 << 16, file), path, table)
}

/// Reads a practitioner MUE CSV from disk.
pub fn import_mue_file(path: &Path) -> Result<(MueTable, SourceInfo), ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io { file: path.to_path_buf(), source })?;
    read_mue(BufReader::with_capacity(1 << 16, file), path)
}

/// Reads the tab-delimited PTP layout: header rows (copyright, then `Column 1`, `Column 2`, ... split over rows), then
/// `column 1, column 2, prior-to-1996 flag, effective YYYYMMDD, deletion YYYYMMDD or *, modifier 0/1/9, rationale`.
pub fn read_ptp(mut reader: impl BufRead, file: &Path, table: &mut PtpTable) -> Result<SourceInfo, ImportError> {
    let mut bytes = Vec::with_capacity(256);
    let mut line = 0u64;
    let mut saw_header = false;
    let mut in_data = false;
    let mut rows = 0usize;
    loop {
        bytes.clear();
        line += 1;
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(source) => return Err(ImportError::Io { file: file.to_path_buf(), source }),
        }
        // The copyright row carries a Latin-1 ©; codes and dates are ASCII, so a lossy read loses nothing checked.
        let text = String::from_utf8_lossy(&bytes);
        let row = text.trim_end_matches(['\n', '\r']);
        if row.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = row.split('\t').map(str::trim).collect();
        let starts_with_code = cells.len() >= 2 && ProcedureCode::parse(cells[0]).is_some();
        if !in_data && !starts_with_code {
            saw_header |= cells.iter().any(|c| c.eq_ignore_ascii_case("column 1"));
            continue;
        }
        if !in_data && !saw_header {
            return Err(layout(
                file,
                line,
                "the PTP header rows (`Column 1`, `Column 2`, `*=in existence prior to 1996`, ...) before the first edit",
                row,
            ));
        }
        in_data = true;
        let (column1, column2, edit) = ptp_row(&cells, file, line, row)?;
        table.insert(column1, column2, edit);
        rows += 1;
    }
    if rows == 0 {
        return Err(ImportError::Empty {
            file: file.to_path_buf(),
            expected: "holds no PTP edits; expected rows of column 1, column 2, ..., modifier after the header".into(),
        });
    }
    Ok(SourceInfo { file_name: file_name(file), rows, version: version_from_file_name(&file_name(file)) })
}

fn ptp_row(
    cells: &[&str],
    file: &Path,
    line: u64,
    row: &str,
) -> Result<(ProcedureCode, ProcedureCode, PtpEdit), ImportError> {
    if cells.len() < 6 {
        return Err(layout(
            file,
            line,
            format!(
                "7 tab-separated columns (column 1, column 2, *, effective, deletion, modifier, rationale); got {}",
                cells.len()
            ),
            row,
        ));
    }
    let code = |at: usize, name: &str| {
        ProcedureCode::parse(cells[at])
            .ok_or_else(|| layout(file, line, format!("a CPT/HCPCS code in {name}"), cells[at]))
    };
    let column1 = code(0, "Column 1")?;
    let column2 = code(1, "Column 2")?;
    if !matches!(cells[2], "" | "*") {
        return Err(layout(file, line, "`*` or nothing in the `in existence prior to 1996` column", cells[2]));
    }
    let effective =
        yyyymmdd(cells[3]).ok_or_else(|| layout(file, line, "an effective date as YYYYMMDD (20260101)", cells[3]))?;
    let deletion = match cells[4] {
        "*" | "" => None,
        text => Some(
            yyyymmdd(text).ok_or_else(|| layout(file, line, "a deletion date as YYYYMMDD or `*` for none", text))?,
        ),
    };
    let indicator = cells[5]
        .parse::<u8>()
        .ok()
        .and_then(PtpIndicator::from_digit)
        .ok_or_else(|| layout(file, line, "a modifier indicator of 0, 1 or 9", cells[5]))?;
    Ok((column1, column2, PtpEdit { effective, deletion, indicator }))
}

/// A real calendar date written `YYYYMMDD`, as an integer that sorts like the date.
pub(crate) fn yyyymmdd(text: &str) -> Option<u32> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month, day) = (text[..4].parse().ok()?, text[4..6].parse().ok()?, text[6..].parse().ok()?);
    jiff::civil::Date::new(year, month, day).ok()?;
    text.parse().ok()
}

/// Reads the practitioner MUE CSV: a copyright notice, then the header `HCPCS/CPT Code, Practitioner Services MUE Values,
/// MUE Adjudication Indicator, MUE Rationale`, then one row per code.
pub fn read_mue(mut reader: impl Read, file: &Path) -> Result<(MueTable, SourceInfo), ImportError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|source| ImportError::Io { file: file.to_path_buf(), source })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut table = MueTable::new();
    let mut saw_header = false;
    let mut rows = 0usize;
    for (line, cells) in csv_records(&text) {
        let cells: Vec<&str> = cells.iter().map(|c| c.trim()).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if !saw_header {
            if cells[0].eq_ignore_ascii_case("HCPCS/CPT Code") {
                saw_header = true;
            } else if ProcedureCode::parse(cells[0]).is_some() {
                return Err(layout(
                    file,
                    line,
                    "the header row `HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale` before the first code",
                    &cells.join(","),
                ));
            }
            continue;
        }
        let row = cells.join(",");
        if cells.len() < 3 {
            return Err(layout(file, line, "code, MUE value and adjudication indicator separated by commas", &row));
        }
        let code = ProcedureCode::parse(cells[0])
            .ok_or_else(|| layout(file, line, "a CPT/HCPCS code in `HCPCS/CPT Code`", cells[0]))?;
        let max_units = cells[1].parse::<u32>().map_err(|_| {
            layout(file, line, "a whole number of units in `Practitioner Services MUE Values`", cells[1])
        })?;
        let indicator = cells[2]
            .bytes()
            .next()
            .filter(u8::is_ascii_digit)
            .and_then(|d| MueIndicator::from_digit(d - b'0'))
            .ok_or_else(|| {
                layout(
                    file,
                    line,
                    "an adjudication indicator starting 1, 2 or 3 (`1 Line Edit`, `2 Date of Service Edit: Policy`, `3 Date of Service Edit: Clinical`)",
                    cells[2],
                )
            })?;
        table.insert(code, MueEdit { max_units, indicator });
        rows += 1;
    }
    if !saw_header {
        return Err(ImportError::Empty {
            file: file.to_path_buf(),
            expected: "has no `HCPCS/CPT Code` header row; expected the CMS practitioner MUE CSV".into(),
        });
    }
    let name = file_name(file);
    Ok((table, SourceInfo { version: version_from_file_name(&name), file_name: name, rows }))
}

/// RFC 4180 records with the line each starts on; the copyright cell is quoted and may hold commas and line breaks.
fn csv_records(text: &str) -> Vec<(u64, Vec<String>)> {
    let mut records = Vec::new();
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut line = 1u64;
    let mut start = 1u64;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                cells.push(std::mem::take(&mut cell));
                records.push((start, std::mem::take(&mut cells)));
                line += 1;
                start = line;
            }
            ('\n', true) => {
                line += 1;
                cell.push(c);
            }
            _ => cell.push(c),
        }
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push((start, cells));
    }
    records
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// The quarter a CMS file name carries: `ccipra-v321r0-f1.txt` → `v321r0`; `MCR_MUE_PractitionerServices_Eff_2026-01-01.csv`
/// → `2026-01-01`; `mue-2026q1.csv` → `2026Q1`; otherwise `unversioned`.
pub fn version_from_file_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let b = lower.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    for at in 0..b.len() {
        // vNNNrN, the NCCI version and revision.
        if b[at] == b'v' && (at == 0 || !b[at - 1].is_ascii_alphabetic()) {
            let n = digits(at + 1);
            if n > 0 && b.get(at + 1 + n) == Some(&b'r') {
                let m = digits(at + 2 + n);
                if m > 0 {
                    return lower[at..at + 2 + n + m].to_string();
                }
            }
        }
    }
    for at in 0..b.len() {
        if !(b[at..].starts_with(b"20") && digits(at) >= 4) || (at > 0 && b[at - 1].is_ascii_digit()) {
            continue;
        }
        let year = &lower[at..at + 4];
        let rest = &lower[at + 4..];
        // YYYY-MM-DD, YYYY_MM_DD or YYYYMMDD.
        let compact: String = rest.chars().filter(|c| *c != '-' && *c != '_').take(4).collect();
        if compact.len() == 4
            && compact.bytes().all(|c| c.is_ascii_digit())
            && yyyymmdd(&format!("{year}{compact}")).is_some()
        {
            return format!("{year}-{}-{}", &compact[..2], &compact[2..]);
        }
        let rest = rest.trim_start_matches(['-', '_', ' ']);
        if let Some(q) = rest.strip_prefix('q').and_then(|r| r.chars().next()).filter(|q| ('1'..='4').contains(q)) {
            return format!("{year}Q{q}");
        }
    }
    for at in 0..b.len().saturating_sub(1) {
        if b[at] == b'q' && (b'1'..=b'4').contains(&b[at + 1]) && (at == 0 || !b[at - 1].is_ascii_alphabetic()) {
            let rest = lower[at + 2..].trim_start_matches(['-', '_', ' ']);
            let year = rest.as_bytes().get(..4).filter(|y| y.starts_with(b"20") && y.iter().all(u8::is_ascii_digit));
            if let Some(year) = year {
                return format!("{}Q{}", String::from_utf8_lossy(year), b[at + 1] as char);
            }
        }
    }
    "unversioned".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{MUE_FIXTURE, PTP_FIXTURE, fixture_path};

    fn ptp(text: &str) -> Result<(PtpTable, SourceInfo), ImportError> {
        let mut table = PtpTable::new();
        let info = read_ptp(text.as_bytes(), Path::new("ccipra-v321r0-f1.txt"), &mut table)?;
        Ok((table, info))
    }

    fn code(c: &str) -> ProcedureCode {
        ProcedureCode::parse(c).unwrap()
    }

    #[test]
    fn reads_the_ptp_fixture() {
        let mut table = PtpTable::new();
        let info = import_ptp_file(&fixture_path(PTP_FIXTURE), &mut table).unwrap();
        assert_eq!(info.version, "v321r0");
        assert!(info.rows >= 24, "{info:?}");
        assert_eq!(table.len(), info.rows);
        let edit = table.edits(code("36591"), code("36415")).next().unwrap();
        assert_eq!(*edit, PtpEdit { effective: 20100101, deletion: None, indicator: PtpIndicator::NotAllowed });
        let deleted = table.edits(code("11042"), code("97597")).next().unwrap();
        assert_eq!(deleted.deletion, Some(20260101));
    }

    #[test]
    fn reads_the_mue_fixture() {
        let (table, info) = import_mue_file(&fixture_path(MUE_FIXTURE)).unwrap();
        assert_eq!(info.version, "2026-04-01");
        assert!(info.rows >= 24, "{info:?}");
        assert_eq!(table.get(code("20610")), Some(MueEdit { max_units: 2, indicator: MueIndicator::Line }));
        assert_eq!(
            table.get(code("36415")),
            Some(MueEdit { max_units: 2, indicator: MueIndicator::DateOfServicePolicy })
        );
        assert_eq!(table.get(code("99213")).map(|e| e.indicator), Some(MueIndicator::DateOfServiceClinical));
    }

    #[test]
    fn ptp_errors_name_the_line_and_what_was_expected() {
        let header = "CPT only copyright 2025 American Medical Association.\nColumn 1\tColumn 2\t*=in existence\n";
        let err = ptp(&format!("{header}20611\t20610\t\t2026010\t*\t1\tx\n")).unwrap_err().to_string();
        assert!(err.contains("ccipra-v321r0-f1.txt:3") && err.contains("YYYYMMDD"), "{err}");
        let err = ptp(&format!("{header}20611\t20610\t\t20260101\t*\t2\tx\n")).unwrap_err().to_string();
        assert!(err.contains(":3") && err.contains("0, 1 or 9"), "{err}");
        let err = ptp(&format!("{header}20611\t20610\t\t20260101\t*\t1\tx\n20611\t2061\t\t20260101\t*\t1\tx\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(":4") && err.contains("Column 2"), "{err}");
        let err = ptp(&format!("{header}20611\t20610\n")).unwrap_err().to_string();
        assert!(err.contains(":3") && err.contains("7 tab-separated"), "{err}");
        let err = ptp("20611\t20610\t\t20260101\t*\t1\tx\n").unwrap_err().to_string();
        assert!(err.contains(":1") && err.contains("header"), "{err}");
        assert!(matches!(ptp(header), Err(ImportError::Empty { .. })));
    }

    #[test]
    fn mue_errors_name_the_line_and_what_was_expected() {
        let head = "\"CPT codes, descriptions and other data only are copyright 2025 American Medical Association.\nAll rights reserved.\"\nHCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n";
        let read = |body: &str| read_mue(format!("{head}{body}").as_bytes(), Path::new("mue.csv")).map(|(t, _)| t);
        assert_eq!(read("20610,2,1 Line Edit,Anatomic Consideration\n").unwrap().len(), 1);
        let err = read("20610,two,1 Line Edit,x\n").unwrap_err().to_string();
        assert!(err.contains("mue.csv:4") && err.contains("whole number"), "{err}");
        let err = read("20610,2,1 Line Edit,x\n20611,2,Line Edit,x\n").unwrap_err().to_string();
        assert!(err.contains("mue.csv:5") && err.contains("1, 2 or 3"), "{err}");
        let err = read_mue("20610,2,1 Line Edit,x\n".as_bytes(), Path::new("mue.csv")).unwrap_err().to_string();
        assert!(err.contains("mue.csv:1") && err.contains("header"), "{err}");
    }

    #[test]
    fn versions_from_cms_file_names() {
        assert_eq!(version_from_file_name("ccipra-v321r0-f1.txt"), "v321r0");
        assert_eq!(version_from_file_name("MCR_MUE_PractitionerServices_Eff_2026-01-01.csv"), "2026-01-01");
        assert_eq!(version_from_file_name("mue_2026q2.csv"), "2026Q2");
        assert_eq!(version_from_file_name("Q3 2026 practitioner.csv"), "2026Q3");
        assert_eq!(version_from_file_name("edits.txt"), "unversioned");
        assert_eq!(version_from_file_name("q1 20é.csv"), "unversioned", "no panic on a non-ASCII name");
    }
}
