//! `handoff validate`: parse and check files, run nothing.

use std::path::{Path, PathBuf};

use super::files::render_input_error;
use crate::exit;
use crate::scenario::{DocumentKind, InputError, detect_kind, parse_scenario, parse_target, read_file};

pub fn validate(files: &[PathBuf]) -> u8 {
    let mut failed = false;
    for path in files {
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
