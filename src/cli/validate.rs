//! `handoff validate`: parse and check files (scenarios, targets, 837P batches), run nothing.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::files::render_input_error;
use super::scrub::READ_BUFFER;
use crate::connect::x12::stream_837p;
use crate::exit;
use crate::scenario::{DocumentKind, InputError, detect_kind, parse_scenario, parse_target, read_file};

/// What a folder given to `validate` is searched for: scenario and target files, and 837P batches.
const CHECKED_ENDINGS: [&str; 5] = ["yaml", "yml", "837", "x12", "edi"];

pub fn validate(paths: &[PathBuf]) -> u8 {
    let files = match super::files::with_folders_opened(paths, &CHECKED_ENDINGS, "scenario, target or 837P batch") {
        Ok(files) => files,
        Err(why) => {
            eprintln!("{why}");
            return exit::BAD_INPUT;
        }
    };
    let mut failed = false;
    for path in &files {
        match check(path) {
            Ok(summary) => out!("ok  {}: {summary}", path.display()),
            Err(error) => {
                failed = true;
                eprintln!("{}", render_input_error(&error));
            }
        }
    }
    if failed { exit::BAD_INPUT } else { exit::SUCCESS }
}

fn check(path: &Path) -> Result<String, InputError> {
    if is_x12(path) {
        return check_837p(path);
    }
    let (name, text) = read_file(path)?;
    match detect_kind(&text) {
        Some(DocumentKind::Scenario) => {
            let s = parse_scenario(&name, &text)?;
            Ok(format!("scenario `{}`, {} steps", s.name, s.steps.len()))
        }
        Some(DocumentKind::Target) => {
            let t = parse_target(&name, &text)?;
            let what = if t.simulator.is_some() { "simulator profile" } else { "target" };
            Ok(format!("{what} `{}`", t.name))
        }
        // Parsing as a scenario gives the precise YAML error, or says what is missing.
        None => match parse_scenario(&name, &text) {
            Err(e) => Err(e),
            Ok(_) => Err(InputError::whole_file(&name, "is neither a scenario nor a target", None)),
        },
    }
}

/// An X12 interchange begins with its ISA, after at most a byte-order mark and blank space.
fn is_x12(path: &Path) -> bool {
    let mut head = Vec::with_capacity(64);
    let read = File::open(path).and_then(|f| f.take(64).read_to_end(&mut head));
    read.is_ok()
        && String::from_utf8_lossy(&head).trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']).starts_with("ISA")
}

/// An 837P batch read as a stream, as `handoff scrub` reads it, with the envelope and every claim checked, in
/// memory that does not grow with the file; no rules are run.
fn check_837p(path: &Path) -> Result<String, InputError> {
    let name = path.display().to_string();
    let refused = |message: String| InputError::whole_file(&name, message, None);
    let file = File::open(path).map_err(|e| refused(format!("cannot read the file: {e}")))?;
    let (mut claims, mut lines) = (0usize, 0usize);
    for claim in stream_837p(BufReader::with_capacity(READ_BUFFER, file)) {
        let claim = claim.map_err(|e| refused(e.to_string()))?;
        claims += 1;
        lines += claim.lines.len();
    }
    Ok(format!("837P batch, {claims} claim(s), {lines} service line(s)"))
}
