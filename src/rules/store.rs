//! The on-disk store of imported NCCI and MUE tables, so a quarter's files are parsed once and loaded fast afterwards.
//!
//! Layout: `manifest.json` (which sources are loaded, their row counts and version) and one TSV per imported source under
//! `ptp/` or `mue/`. TSV because it is a third the size of JSON for two million rows and reads without a schema.

use std::fmt;
use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::import::{ImportError, SourceInfo, import_mue_file, import_ptp_file, yyyymmdd};
use super::{MueEdit, MueIndicator, MueTable, ProcedureCode, PtpEdit, PtpIndicator, PtpTable};

const MANIFEST: &str = "manifest.json";
const PTP_HEADER: &str = "column1\tcolumn2\teffective\tdeletion\tmodifier";
const MUE_HEADER: &str = "code\tmax_units\tindicator";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("{}:{line}: the rules store is damaged (expected {expected}); import the CMS files again", path.display())]
    Corrupt { path: PathBuf, line: u64, expected: &'static str },
    #[error("no rules store directory: set XDG_DATA_HOME or HOME, or pass a directory")]
    NoHome,
}

/// What one table holds: its sources (the four PTP code-range files of a quarter are four sources of one version).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStatus {
    pub version: String,
    pub rows: usize,
    pub sources: Vec<SourceInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStatus {
    pub ptp: Option<TableStatus>,
    pub mue: Option<TableStatus>,
}

impl fmt::Display for StoreStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, table) in [("NCCI PTP", &self.ptp), ("MUE", &self.mue)] {
            match table {
                None => writeln!(f, "{name}: not loaded (its checks will not run)")?,
                Some(t) => {
                    writeln!(f, "{name}: {} ({} rows)", t.version, t.rows)?;
                    for s in &t.sources {
                        writeln!(f, "  {} ({} rows)", s.file_name, s.rows)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A directory holding imported tables.
#[derive(Debug, Clone)]
pub struct RuleStore {
    dir: PathBuf,
}

#[derive(Clone, Copy)]
enum Kind {
    Ptp,
    Mue,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Ptp => "ptp",
            Kind::Mue => "mue",
        }
    }
}

impl RuleStore {
    /// `$XDG_DATA_HOME/handoff/rules`, else `~/.local/share/handoff/rules`.
    pub fn default_dir() -> Result<PathBuf, StoreError> {
        let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(data) => PathBuf::from(data),
            None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty()).ok_or(StoreError::NoHome)?)
                .join(".local/share"),
        };
        Ok(base.join("handoff/rules"))
    }

    /// Opens (and creates) the store at `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<RuleStore, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| StoreError::Io { path: dir.clone(), source })?;
        Ok(RuleStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn status(&self) -> Result<StoreStatus, StoreError> {
        let path = self.dir.join(MANIFEST);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| StoreError::Corrupt {
                path,
                line: 1,
                expected: "a JSON manifest of the loaded tables",
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(StoreStatus::default()),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Imports one practitioner PTP file. Files of the same version add up (CMS splits a quarter into four files);
    /// a file of another version replaces what was loaded, so two quarters never mix.
    pub fn import_ptp(&self, path: &Path) -> Result<SourceInfo, StoreError> {
        let mut table = PtpTable::new();
        let info = import_ptp_file(path, &mut table)?;
        let rows = table.rows().map(|(c1, c2, e)| {
            let deletion = e.deletion.map_or_else(|| "*".to_string(), |d| d.to_string());
            format!("{c1}\t{c2}\t{}\t{deletion}\t{}", e.effective, e.indicator.digit())
        });
        self.record(Kind::Ptp, info.clone(), PTP_HEADER, rows)?;
        Ok(info)
    }

    /// Imports the practitioner MUE CSV, replacing any MUE table loaded before.
    pub fn import_mue(&self, path: &Path) -> Result<SourceInfo, StoreError> {
        let (table, info) = import_mue_file(path)?;
        let rows = table.rows().map(|(code, e)| format!("{code}\t{}\t{}", e.max_units, e.indicator.digit()));
        self.record(Kind::Mue, info.clone(), MUE_HEADER, rows)?;
        Ok(info)
    }

    pub fn load_ptp(&self) -> Result<Option<PtpTable>, StoreError> {
        let Some(status) = self.status()?.ptp else { return Ok(None) };
        let mut table = PtpTable::with_capacity(status.rows);
        for source in &status.sources {
            self.read_rows(Kind::Ptp, source, PTP_HEADER, |cells| {
                let [c1, c2, effective, deletion, indicator] = cells else { return None };
                let deletion = match *deletion {
                    "*" => None,
                    d => Some(yyyymmdd(d)?),
                };
                let edit = PtpEdit {
                    effective: yyyymmdd(effective)?,
                    deletion,
                    indicator: PtpIndicator::from_digit(indicator.parse().ok()?)?,
                };
                table.insert(ProcedureCode::parse(c1)?, ProcedureCode::parse(c2)?, edit);
                Some(())
            })?;
        }
        Ok(Some(table))
    }

    pub fn load_mue(&self) -> Result<Option<MueTable>, StoreError> {
        let Some(status) = self.status()?.mue else { return Ok(None) };
        let mut table = MueTable::new();
        for source in &status.sources {
            self.read_rows(Kind::Mue, source, MUE_HEADER, |cells| {
                let [code, units, indicator] = cells else { return None };
                let edit = MueEdit {
                    max_units: units.parse().ok()?,
                    indicator: MueIndicator::from_digit(indicator.parse().ok()?)?,
                };
                table.insert(ProcedureCode::parse(code)?, edit);
                Some(())
            })?;
        }
        Ok(Some(table))
    }

    fn table_file(&self, kind: Kind, source: &SourceInfo) -> PathBuf {
        // The source name is the user's file name; keep only characters safe in any file system.
        let safe: String = source
            .file_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect();
        self.dir.join(kind.folder()).join(format!("{safe}.tsv"))
    }

    fn record(
        &self,
        kind: Kind,
        info: SourceInfo,
        header: &str,
        rows: impl Iterator<Item = String>,
    ) -> Result<(), StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        let folder = self.dir.join(kind.folder());
        fs::create_dir_all(&folder).map_err(io(&folder))?;
        let path = self.table_file(kind, &info);
        // Written beside and renamed, so an interrupted import leaves the previous table whole.
        let partial = path.with_extension("tsv.partial");
        let file = fs::File::create(&partial).map_err(io(&partial))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        writeln!(out, "{header}").map_err(io(&partial))?;
        for row in rows {
            writeln!(out, "{row}").map_err(io(&partial))?;
        }
        out.flush().map_err(io(&partial))?;
        fs::rename(&partial, &path).map_err(io(&path))?;

        let mut status = self.status()?;
        let slot = match kind {
            Kind::Ptp => &mut status.ptp,
            Kind::Mue => &mut status.mue,
        };
        let mut table = slot.take().unwrap_or_default();
        let keep_others = matches!(kind, Kind::Ptp) && table.version == info.version;
        let (kept, dropped): (Vec<_>, Vec<_>) =
            table.sources.into_iter().partition(|s| keep_others && s.file_name != info.file_name);
        for old in dropped.iter().filter(|s| s.file_name != info.file_name) {
            let stale = self.table_file(kind, old);
            fs::remove_file(&stale)
                .or_else(|e| if e.kind() == io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
                .map_err(io(&stale))?;
        }
        table.sources = kept;
        table.version = info.version.clone();
        table.sources.push(info);
        table.rows = table.sources.iter().map(|s| s.rows).sum();
        *slot = Some(table);
        let manifest = self.dir.join(MANIFEST);
        let json = serde_json::to_vec_pretty(&status)
            .map_err(|e| StoreError::Io { path: manifest.clone(), source: e.into() })?;
        let partial = manifest.with_extension("json.partial");
        fs::write(&partial, json).map_err(io(&partial))?;
        fs::rename(&partial, &manifest).map_err(io(&manifest))
    }

    fn read_rows(
        &self,
        kind: Kind,
        source: &SourceInfo,
        header: &str,
        mut row: impl FnMut(&[&str]) -> Option<()>,
    ) -> Result<(), StoreError> {
        let path = self.table_file(kind, source);
        let file = fs::File::open(&path).map_err(|e| StoreError::Io { path: path.clone(), source: e })?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut text = String::with_capacity(64);
        let mut line = 0u64;
        loop {
            text.clear();
            line += 1;
            let read = reader.read_line(&mut text).map_err(|e| StoreError::Io { path: path.clone(), source: e })?;
            if read == 0 {
                break;
            }
            let trimmed = text.trim_end_matches(['\n', '\r']);
            if line == 1 {
                if trimmed != header {
                    return Err(StoreError::Corrupt { path, line, expected: "the table header this version writes" });
                }
                continue;
            }
            // At most five columns: a small array instead of a Vec per row, since PTP stores run to millions of rows.
            let mut cells = [""; 6];
            let mut count = 0;
            for cell in trimmed.split('\t') {
                if count == cells.len() {
                    count += 1;
                    break;
                }
                cells[count] = cell;
                count += 1;
            }
            if count > 5 || row(&cells[..count]).is_none() {
                return Err(StoreError::Corrupt { path, line, expected: "a row as `handoff` wrote it" });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{MUE_FIXTURE, PTP_FIXTURE, fixture_path};

    #[test]
    fn imports_reload_and_report_status() {
        let dir = tempfile::tempdir().unwrap();
        let store = RuleStore::open(dir.path().join("rules")).unwrap();
        assert_eq!(store.status().unwrap(), StoreStatus::default());
        assert!(store.load_ptp().unwrap().is_none());
        assert!(store.status().unwrap().to_string().contains("NCCI PTP: not loaded"));

        let ptp_info = store.import_ptp(&fixture_path(PTP_FIXTURE)).unwrap();
        let mue_info = store.import_mue(&fixture_path(MUE_FIXTURE)).unwrap();
        let status = store.status().unwrap();
        let ptp = status.ptp.clone().unwrap();
        assert_eq!((ptp.version.as_str(), ptp.rows, ptp.sources.len()), ("v321r0", ptp_info.rows, 1));
        assert_eq!(status.mue.clone().unwrap().version, "2026-04-01");
        let shown = status.to_string();
        assert!(shown.contains(PTP_FIXTURE) && shown.contains(MUE_FIXTURE), "{shown}");

        let mut direct = PtpTable::new();
        import_ptp_file(&fixture_path(PTP_FIXTURE), &mut direct).unwrap();
        let loaded = store.load_ptp().unwrap().unwrap();
        assert_eq!(loaded.len(), direct.len());
        let mut a: Vec<_> = loaded.rows().collect();
        let mut b: Vec<_> = direct.rows().collect();
        a.sort_by_key(|r| (r.0, r.1, r.2.effective));
        b.sort_by_key(|r| (r.0, r.1, r.2.effective));
        assert_eq!(a, b);
        assert_eq!(store.load_mue().unwrap().unwrap().len(), mue_info.rows);
    }

    #[test]
    fn same_version_files_add_up_and_a_new_version_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let store = RuleStore::open(dir.path()).unwrap();
        let body = fs::read_to_string(fixture_path(PTP_FIXTURE)).unwrap();
        let f2 = dir.path().join("ccipra-v321r0-f2.txt");
        fs::write(&f2, body.replace("20611\t20610", "20611\t20612")).unwrap();
        store.import_ptp(&fixture_path(PTP_FIXTURE)).unwrap();
        store.import_ptp(&f2).unwrap();
        let ptp = store.status().unwrap().ptp.unwrap();
        assert_eq!(ptp.sources.len(), 2);
        assert_eq!(ptp.rows, ptp.sources.iter().map(|s| s.rows).sum::<usize>());

        let next = dir.path().join("ccipra-v322r0-f1.txt");
        fs::write(&next, &body).unwrap();
        store.import_ptp(&next).unwrap();
        let ptp = store.status().unwrap().ptp.unwrap();
        assert_eq!((ptp.version.as_str(), ptp.sources.len()), ("v322r0", 1));
        assert!(!dir.path().join("ptp/ccipra-v321r0-f2.txt.tsv").exists(), "the old quarter is removed");
    }

    #[test]
    fn a_damaged_store_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let store = RuleStore::open(dir.path()).unwrap();
        store.import_mue(&fixture_path(MUE_FIXTURE)).unwrap();
        let file = dir.path().join("mue").join(format!("{MUE_FIXTURE}.tsv"));
        let mut text = fs::read_to_string(&file).unwrap();
        text.push_str("20610\ttwo\t1\n");
        fs::write(&file, text).unwrap();
        let err = store.load_mue().unwrap_err().to_string();
        assert!(err.contains(".tsv:") && err.contains("import the CMS files again"), "{err}");
    }
}
