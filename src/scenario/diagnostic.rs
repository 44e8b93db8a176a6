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
            source_code: Some(NamedSource::new(path, without_url_credentials(text))),
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

/// The text with the user name and password of every URL in it (`https://user:password@host`) starred out, byte
/// for byte so the spans still point where they did: the lines around a problem are printed with it, and a
/// credential must not reach a terminal or a CI log that way.
fn without_url_credentials(text: &str) -> String {
    let mut shown = text.as_bytes().to_vec();
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let start = from + found + 3;
        let end = text[start..]
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace())
            .map_or(text.len(), |n| start + n);
        if let Some(at) = text[start..end].rfind('@') {
            shown[start..start + at].fill(b'*');
        }
        from = end;
    }
    // Only ASCII bytes were written, over whole characters' bytes, so the text is still UTF-8.
    String::from_utf8(shown).unwrap_or_else(|_| text.to_string())
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
    fn credentials_in_a_url_are_starred_out_where_they_stand() {
        let text = "base_url: https://svc:hünter2@emr.example/fhir # see http://docs.example/a@b\nnext: 1\n";
        let shown = without_url_credentials(text);
        assert_eq!(shown.len(), text.len());
        assert_eq!(shown, "base_url: https://************@emr.example/fhir # see http://docs.example/a@b\nnext: 1\n");
        assert_eq!(without_url_credentials("no URL here"), "no URL here");
    }

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
