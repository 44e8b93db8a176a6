//! Finding the files a command names (scenarios, targets, batches and exports, folders opened), and showing the
//! errors in them.

use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::scenario::InputError;

/// The YAML files named, with folders expanded to the `.yaml`/`.yml` files directly inside, sorted.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| {
                InputError::whole_file(&path.display().to_string(), format!("cannot list the folder: {e}"), None)
            })?;
            let mut found: Vec<PathBuf> =
                entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file() && is_yaml(p)).collect();
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(InputError::whole_file(
                &path.display().to_string(),
                "no such file or folder",
                Some("check the path; run from the folder that holds scenarios/ and mocks/".into()),
            ));
        }
    }
    Ok(files)
}

/// The files a command is given, each folder replaced by the files directly inside it whose names end in one of
/// `endings` (in any case), sorted; a folder that holds none is an error naming it, what was looked for, and the
/// endings.
pub fn with_folders_opened(paths: &[PathBuf], endings: &[&str], what: &str) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: cannot read the folder: {e}", path.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| endings.contains(&e.to_ascii_lowercase().as_str()))
            })
            .collect();
        if inside.is_empty() {
            return Err(format!(
                "{}: the folder holds no {what} (files ending in .{})",
                path.display(),
                endings.join(", .")
            ));
        }
        inside.sort();
        files.extend(inside);
    }
    Ok(files)
}

/// What a file that was to be read as text (a CSV export, a CMS table) is instead, with how to make text of it,
/// when its first bytes show a workbook, an archive, or binary data: it would otherwise be reported as rows of noise.
pub fn not_text(head: &[u8]) -> Option<String> {
    let said = if head.starts_with(b"PK\x03\x04") {
        "it is a ZIP archive (as an .xlsx workbook is); save the sheet as CSV (UTF-8), or unzip the archive"
    } else if head.starts_with(b"\xd0\xcf\x11\xe0") {
        "it is an Excel 97-2003 workbook (.xls); save the sheet as CSV (UTF-8)"
    } else if head.starts_with(b"\x1f\x8b") {
        "it is gzip-compressed; unpack it first (gunzip)"
    } else if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
        "it is UTF-16 text (as Excel's \"Unicode Text\" writes); save it as CSV (UTF-8)"
    } else if let Some(at) = memchr::memchr(0, head) {
        return Some(format!(
            "byte {} is a NUL, so this is binary data or UTF-16 text; export the records as CSV (UTF-8)",
            at + 1
        ));
    } else {
        return None;
    };
    Some(said.to_string())
}

fn is_yaml(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// The error as a person reads it: `file:line:col: message`, the line with a caret, and the hint.
pub fn render_input_error(error: &InputError) -> String {
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_width(110);
    if handler.render_report(&mut out, error).is_err() {
        out = error.headlines().join("\n");
    }
    out
}
