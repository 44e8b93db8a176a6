//! An error in a file the user wrote: where it is, what was expected there, and how to fix it.

use miette::{Diagnostic, NamedSource, SourceSpan};

/// Shown as `file:line:col: message`, the offending line with a caret, and a hint. Exit code 2.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{}", self.headline())]
pub struct InputError {
    pub path: String,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: u64,
    pub column: u64,
    pub message: String,
    #[help]
    pub hint: Option<String>,
    #[source_code]
    source_code: Option<NamedSource<String>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    /// Further problems found in the same file.
    #[related]
    pub others: Vec<InputError>,
}

impl InputError {
    pub fn whole_file(path: &str, message: impl Into<String>, hint: Option<String>) -> InputError {
        InputError {
            path: path.to_string(),
            line: 0,
            column: 0,
            message: message.into(),
            hint,
            source_code: None,
            span: None,
            label: String::new(),
            others: Vec::new(),
        }
    }

    pub fn at(
        path: &str,
        text: &str,
        line: u64,
        column: u64,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> InputError {
        let message = message.into();
        let offset = byte_offset(text, line, column);
        InputError {
            path: path.to_string(),
            line,
            column,
            label: short_label(&message),
            message,
            hint,
            source_code: Some(NamedSource::new(path, text.to_string())),
            span: offset.map(|o| SourceSpan::new(o.into(), 1)),
            others: Vec::new(),
        }
    }

    pub fn headline(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.path, self.message)
        } else {
            format!("{}:{}:{}: {}", self.path, self.line, self.column, self.message)
        }
    }

    /// One error carrying the rest as related, so a user sees every problem in one go.
    pub fn gather(mut errors: Vec<InputError>) -> Option<InputError> {
        if errors.is_empty() {
            return None;
        }
        let mut first = errors.remove(0);
        first.others.extend(errors);
        Some(first)
    }

    /// Every problem, first included, as `file:line:col: message` lines.
    pub fn headlines(&self) -> Vec<String> {
        std::iter::once(self.headline()).chain(self.others.iter().map(InputError::headline)).collect()
    }
}

fn short_label(message: &str) -> String {
    message.split(';').next().unwrap_or(message).to_string()
}

/// Lines and columns are 1-based and count characters; miette wants a byte offset.
fn byte_offset(text: &str, line: u64, column: u64) -> Option<usize> {
    let line_index = usize::try_from(line.checked_sub(1)?).ok()?;
    let mut offset = 0;
    for (i, l) in yaml_lines(text).enumerate() {
        if i == line_index {
            let col = usize::try_from(column.saturating_sub(1)).ok()?;
            let within: usize = l.chars().take(col).map(char::len_utf8).sum();
            return Some((offset + within).min(text.len().saturating_sub(1)));
        }
        offset += l.len();
    }
    None
}

/// Lines with their breaks, broken where YAML breaks them: at CR LF, LF or a lone CR (old Mac files), so the
/// line numbers the parser reports point at the same lines here.
fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = match rest.find(['\r', '\n']) {
            Some(i) if rest[i..].starts_with("\r\n") => i + 2,
            Some(i) => i + 1,
            None => rest.len(),
        };
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_the_character_on_its_line() {
        let text = "name: a\nsteps: x\n";
        assert_eq!(byte_offset(text, 2, 8), Some(15));
        assert_eq!(byte_offset(text, 1, 1), Some(0));
        assert_eq!(byte_offset(text, 9, 1), None);
    }

    /// Found by `cargo fuzz run scenario`: the parser counts a lone CR as a line break, so must the snippet.
    #[test]
    fn lone_carriage_returns_break_lines_as_yaml_does() {
        let text = "name: a\r\rsteps: x\r\nb: 1\n";
        assert_eq!(yaml_lines(text).collect::<Vec<_>>(), vec!["name: a\r", "\r", "steps: x\r\n", "b: 1\n"]);
        assert_eq!(byte_offset(text, 3, 8), Some(16));
        assert_eq!(byte_offset(text, 4, 1), Some(19));
    }

    #[test]
    fn headline_names_file_line_and_column() {
        let e = InputError::at("s.yaml", "a: 1\n", 1, 4, "expected a list", None);
        assert_eq!(e.headline(), "s.yaml:1:4: expected a list");
    }
}
