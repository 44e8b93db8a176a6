//! HL7 escape sequences (`\F\ \S\ \T\ \R\ \E\ \Xhh\`), so any text survives the trip through delimited ER7.

use super::Delimiters;

/// Text as it may stand inside a subcomponent: delimiters become escape sequences, and control characters become
/// `\Xhh\` because a raw CR would end the segment and a raw 0x0B or 0x1C would break MLLP framing.
pub fn escape(text: &str, delimiters: &Delimiters) -> String {
    let mut out = String::with_capacity(text.len());
    let e = delimiters.escape;
    for c in text.chars() {
        let code = match c {
            _ if c == delimiters.field => "F",
            _ if c == delimiters.component => "S",
            _ if c == delimiters.subcomponent => "T",
            _ if c == delimiters.repetition => "R",
            _ if c == e => "E",
            _ if c.is_ascii_control() && c != '\t' => {
                out.push(e);
                out.push_str(&format!("X{:02X}", u32::from(c)));
                out.push(e);
                continue;
            }
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push(e);
        out.push_str(code);
        out.push(e);
    }
    out
}

/// The text a subcomponent stands for. Sequences this module does not interpret (highlighting `\H\`, formatting
/// `\.br\`, an unterminated escape) are kept verbatim: a sender's stray backslash is data, not a reason to reject.
pub fn unescape(text: &str, delimiters: &Delimiters) -> String {
    let e = delimiters.escape;
    if !text.contains(e) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(e) {
        out.push_str(&rest[..start]);
        let after = &rest[start + e.len_utf8()..];
        let Some(end) = after.find(e) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let sequence = &after[..end];
        match sequence {
            "F" => out.push(delimiters.field),
            "S" => out.push(delimiters.component),
            "T" => out.push(delimiters.subcomponent),
            "R" => out.push(delimiters.repetition),
            "E" => out.push(e),
            _ => match sequence.strip_prefix('X').and_then(decode_hex) {
                Some(decoded) => out.push_str(&decoded),
                None => {
                    out.push(e);
                    out.push_str(sequence);
                    out.push(e);
                }
            },
        }
        rest = &after[end + e.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// `\Xhh..\` carries raw bytes; they are taken as UTF-8, the only character set this module writes.
fn decode_hex(hex: &str) -> Option<String> {
    if hex.is_empty() || !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_delimiter_is_escaped_and_restored() {
        let d = Delimiters::default();
        let text = r"A|B^C&D~E\F";
        let escaped = escape(text, &d);
        assert_eq!(escaped, r"A\F\B\S\C\T\D\R\E\E\F");
        assert_eq!(unescape(&escaped, &d), text);
    }

    #[test]
    fn line_breaks_and_framing_bytes_travel_as_hex() {
        let d = Delimiters::default();
        let text = "line one\r\nline two\u{0b}\u{1c}";
        let escaped = escape(text, &d);
        assert_eq!(escaped, r"line one\X0D\\X0A\line two\X0B\\X1C\");
        assert_eq!(unescape(&escaped, &d), text);
    }

    #[test]
    fn escapes_follow_the_declared_delimiters() {
        let d = Delimiters { field: '#', component: '!', repetition: '@', escape: '$', subcomponent: '%' };
        assert_eq!(escape("a#b!c$d|e", &d), "a$F$b$S$c$E$d|e");
        assert_eq!(unescape("a$F$b$S$c$E$d|e", &d), "a#b!c$d|e");
    }

    #[test]
    fn unknown_and_unterminated_sequences_are_kept_verbatim() {
        let d = Delimiters::default();
        assert_eq!(unescape(r"bold \H\text\N\ here", &d), r"bold \H\text\N\ here");
        assert_eq!(unescape(r"C:\temp", &d), r"C:\temp");
        assert_eq!(unescape(r"\XZZ\ \X4\", &d), r"\XZZ\ \X4\");
        assert_eq!(unescape(r"\XC3B1\", &d), "ñ");
        assert_eq!(unescape(r"\", &d), r"\");
    }
}
