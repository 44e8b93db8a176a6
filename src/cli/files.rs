//! Finding the scenario and target files a command names, and showing the errors in them.

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
