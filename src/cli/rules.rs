//! `handoff rules import` and `handoff rules status`: the CMS NCCI and MUE tables the scrubber checks claims against.

use std::path::{Path, PathBuf};

use crate::exit;
use crate::rules::store::RuleStore;
use crate::rules::{IcdRelease, ScrubContext};

/// The store named on the command line, or the user's default one.
pub fn open_store(dir: Option<&Path>) -> Result<RuleStore, String> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => RuleStore::default_dir().map_err(|e| e.to_string())?,
    };
    RuleStore::open(dir).map_err(|e| e.to_string())
}

/// The scrubber's context: FY2026 ICD-10-CM, and whichever CMS tables the store holds.
pub fn scrub_context(dir: Option<&Path>) -> Result<ScrubContext, String> {
    let icd = IcdRelease::embedded().map_err(|e| e.to_string())?;
    let mut context = ScrubContext::new(icd);
    // A store that is not there yet is not an error: the NCCI and MUE checks then say they did not run.
    if let Ok(store) = open_store(dir) {
        if let Some(ptp) = store.load_ptp().map_err(|e| e.to_string())? {
            context = context.with_ptp(ptp);
        }
        if let Some(mue) = store.load_mue().map_err(|e| e.to_string())? {
            context = context.with_mue(mue);
        }
    }
    Ok(context)
}

pub fn import(files: &[PathBuf], store_dir: Option<&Path>) -> u8 {
    let store = match open_store(store_dir) {
        Ok(s) => s,
        Err(why) => {
            eprintln!("cannot open the rules store: {why}");
            return exit::BAD_INPUT;
        }
    };
    let mut failed = false;
    for file in files {
        if let Some(what) = first_bytes(file).as_deref().and_then(super::files::not_text) {
            failed = true;
            eprintln!(
                "{}: is not a CMS table as text (CMS ships each quarter's .txt and .csv files zipped): {what}",
                file.display()
            );
            continue;
        }
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
        // CMS ships PTP edits as tab-delimited .txt and MUEs as .csv.
        let imported = if name.ends_with(".csv") { store.import_mue(file) } else { store.import_ptp(file) };
        match imported {
            Ok(info) => out!("imported {} ({} rows, version {})", file.display(), info.rows, info.version),
            Err(e) => {
                failed = true;
                eprintln!("{e}");
            }
        }
    }
    if failed {
        return exit::BAD_INPUT;
    }
    status(store_dir)
}

/// The first 4 KB of a file, or `None` when it cannot be read (which the import then reports itself).
fn first_bytes(file: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(file).and_then(|f| f.take(4096).read_to_end(&mut head)).ok()?;
    Some(head)
}

pub fn status(store_dir: Option<&Path>) -> u8 {
    match open_store(store_dir).and_then(|s| s.status().map(|st| (s, st)).map_err(|e| e.to_string())) {
        Ok((store, status)) => {
            out!("rules store: {}", store.dir().display());
            out!("ICD-10-CM: FY2026 (built in), for dates of service 2025-10-01 to 2026-09-30");
            print!("{status}");
            exit::SUCCESS
        }
        Err(why) => {
            eprintln!("cannot read the rules store: {why}");
            exit::BAD_INPUT
        }
    }
}
