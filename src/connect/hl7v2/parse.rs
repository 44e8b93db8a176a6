//! ER7 text → [`Message`]: delimiters from MSH-1/MSH-2, then segments, fields, repetitions, components and
//! subcomponents, unescaped. Never panics, whatever the input.

use std::str::FromStr;

use super::error::{ParseError, excerpt};
use super::escape::unescape;
use super::{Component, Delimiters, Field, Location, Message, Repetition, Segment};

impl Message {
    /// Parses one message and checks that its header says what it is (MSH-9) and how to acknowledge it (MSH-10).
    pub fn parse(text: &str) -> Result<Message, ParseError> {
        let message = parse_structure(text)?;
        let header = message.segments.first();
        let required = [(9, "the message type, such as ADT^A04^ADT_A01"), (10, "the message control id")];
        for (field, expected) in required {
            if header.is_none_or(|h| h.value(field).is_empty()) {
                return Err(ParseError::MissingField { location: Location::new(1, "MSH", field, None), expected });
            }
        }
        Ok(message)
    }
}

impl FromStr for Message {
    type Err = ParseError;
    fn from_str(text: &str) -> Result<Message, ParseError> {
        Message::parse(text)
    }
}

/// The segment tree without checking MSH's required fields, so that a message too broken to process can still
/// be answered with a reject that echoes whatever of its header could be read.
pub(super) fn parse_structure(text: &str) -> Result<Message, ParseError> {
    // Segments end with CR; files edited on Unix or Windows end them with LF or CRLF, which no value may
    // contain unescaped either, so any of them ends a segment. Blank lines are not segments.
    let mut lines = text.trim_start_matches('\u{feff}').split(['\r', '\n']).filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or(ParseError::Empty)?;
    let delimiters = read_delimiters(header)?;
    let mut segments = vec![parse_header(header, &delimiters)];
    for (i, line) in lines.enumerate() {
        segments.push(parse_segment(line, i + 2, &delimiters)?);
    }
    Ok(Message { delimiters, segments })
}

fn read_delimiters(header: &str) -> Result<Delimiters, ParseError> {
    let Some(after_id) = header.strip_prefix("MSH") else {
        return Err(ParseError::MissingHeader { found: excerpt(header) });
    };
    let mut chars = after_id.chars();
    let field = chars.next().ok_or(ParseError::MissingFieldSeparator)?;
    let encoding: String = chars.take_while(|c| *c != field).collect();
    Delimiters::from_header(field, &encoding).ok_or(ParseError::InvalidEncodingCharacters { found: excerpt(&encoding) })
}

fn parse_header(header: &str, d: &Delimiters) -> Segment {
    // MSH-1 is the field separator itself and MSH-2 holds the escape character, so neither is split nor unescaped.
    let after_separator = header.get(3 + d.field.len_utf8()..).unwrap_or_default();
    let (encoding, rest) = after_separator.split_once(d.field).unwrap_or((after_separator, ""));
    let mut fields = vec![Field::from(d.field.to_string()), Field::from(encoding)];
    if after_separator.contains(d.field) {
        fields.extend(rest.split(d.field).map(|f| parse_field(f, d)));
    }
    Segment { id: "MSH".to_string(), fields }
}

fn parse_segment(line: &str, segment_index: usize, d: &Delimiters) -> Result<Segment, ParseError> {
    let (id, rest) = match line.split_once(d.field) {
        Some((id, rest)) => (id, Some(rest)),
        None => (line, None),
    };
    let valid_id = id.len() == 3
        && id.starts_with(|c: char| c.is_ascii_uppercase())
        && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !valid_id {
        return Err(ParseError::InvalidSegmentId { segment_index, found: excerpt(id) });
    }
    let fields = rest.map(|r| r.split(d.field).map(|f| parse_field(f, d)).collect()).unwrap_or_default();
    Ok(Segment { id: id.to_string(), fields })
}

fn parse_field(text: &str, d: &Delimiters) -> Field {
    if text.is_empty() {
        return Field::default();
    }
    let repetitions = text
        .split(d.repetition)
        .map(|r| Repetition {
            components: r
                .split(d.component)
                .map(|c| Component { subcomponents: c.split(d.subcomponent).map(|s| unescape(s, d)).collect() })
                .collect(),
        })
        .collect();
    Field { repetitions }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADT: &str = "MSH|^~\\&|EMR|CLINIC|PM|CLINIC|20261201090000+0000||ADT^A04^ADT_A01|MSG0001|P|2.5.1\r\
                       EVN|A04|20261201090000+0000\r\
                       PID|1||P-1^^^EMR^MR~77^^^urn:x\\T\\y||O'Connor\\F\\Smith^Se\\S\\n||19580312|F\r";

    #[test]
    fn reads_fields_repetitions_components_and_escapes() {
        let message = Message::parse(ADT).unwrap();
        assert_eq!(message.segments.len(), 3);
        let msh = &message.segments[0];
        assert_eq!(msh.value(1), "|");
        assert_eq!(msh.value(2), "^~\\&");
        assert_eq!(msh.component(9, 2), "A04");
        assert_eq!(msh.value(10), "MSG0001");
        let pid = message.segment("PID").unwrap();
        assert_eq!(pid.repetitions(3).len(), 2);
        assert_eq!(pid.repetitions(3)[1].component(4), "urn:x&y");
        assert_eq!(pid.component(5, 1), "O'Connor|Smith");
        assert_eq!(pid.component(5, 2), "Se^n");
    }

    #[test]
    fn serialising_what_was_parsed_gives_back_the_text() {
        assert_eq!(Message::parse(ADT).unwrap().to_er7(), ADT);
    }

    /// Found by `cargo fuzz run hl7v2`: a second MSH was parsed as an ordinary segment but written as a header,
    /// so its first field turned into the field separator and the text changed on every round trip.
    #[test]
    fn a_second_msh_is_an_ordinary_segment_and_serialises_stably() {
        let text = "MSH|^~\\&|EMR||PM||20261201||ADT^A08^ADT_A01|MSG0002|P|2.5.1\rMSH|1||A\\F\\1^^^EMR^MR\r";
        let message = Message::parse(text).unwrap();
        assert_eq!(message.segments[1].value(1), "1");
        assert_eq!(message.segments[1].component(3, 1), "A|1");
        let once = message.to_er7();
        assert_eq!(once, text);
        assert_eq!(Message::parse(&once).unwrap().to_er7(), once);
    }

    #[test]
    fn delimiters_come_from_the_header_not_from_habit() {
        let text = "MSH#!@$%#EMR##PM##20261201##ADT!A04#42#P#2.5.1\rPID#1##a!b@c$F$d%e";
        let message = Message::parse(text).unwrap();
        assert_eq!(message.delimiters.component, '!');
        let pid = message.segment("PID").unwrap();
        assert_eq!(pid.component(3, 2), "b");
        assert_eq!(pid.repetitions(3)[1].components[0].subcomponents, vec!["c#d".to_string(), "e".to_string()]);
        assert_eq!(message.to_er7(), format!("{text}\r"));
    }

    #[test]
    fn line_feeds_and_blank_lines_also_end_segments() {
        let message = Message::parse(&ADT.replace('\r', "\r\n\n")).unwrap();
        assert_eq!(message.segments.len(), 3);
    }

    #[test]
    fn errors_say_where_and_what_was_expected() {
        assert_eq!(Message::parse(""), Err(ParseError::Empty));
        assert_eq!(Message::parse(" \r\n"), Err(ParseError::Empty));
        assert!(matches!(Message::parse("hello"), Err(ParseError::MissingHeader { found }) if found == "hello"));
        assert_eq!(Message::parse("MSH"), Err(ParseError::MissingFieldSeparator));
        assert!(matches!(Message::parse("MSH|^~"), Err(ParseError::InvalidEncodingCharacters { .. })));
        let truncated = Message::parse("MSH|^~\\&|EMR").unwrap_err();
        assert_eq!(
            truncated.to_string(),
            "MSH-9 (segment 1) is empty; expected the message type, such as ADT^A04^ADT_A01"
        );
        let no_control_id = Message::parse("MSH|^~\\&|||||||ADT^A04").unwrap_err();
        assert!(no_control_id.to_string().starts_with("MSH-10 (segment 1)"), "{no_control_id}");
        let bad_segment = Message::parse(&format!("{ADT}pid|1")).unwrap_err();
        assert_eq!(bad_segment, ParseError::InvalidSegmentId { segment_index: 4, found: "pid".into() });
        assert!(bad_segment.to_string().contains("segment 4"), "{bad_segment}");
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "\u{feff}",
            "MSH",
            "MSH|",
            "MSH||||",
            "MSH|^~\\&",
            "MSH|^~\\&|",
            "MSHé^~\\&|",
            "MSH|é~\\&|x",
            "MSH|^~\\&|||||||A|1\rP",
            "MSH|^~\\&|||||||A|1\r|||",
            "MSH|^~\\&|||||||A|1\rPIDX|",
            "MSH|^~\\&|||||||A|1\rPID|\\",
            "MSH|^~\\&|||||||A|1\rPID|\\X\\\\XF\\\\X0\\",
            "MSH|^~\\&|||||||A|1\rPID|^~&\\~^|||~~~",
            "\u{0b}MSH|^~\\&\u{1c}\r",
            "ÿÿÿÿ",
        ];
        for input in inputs {
            let _ = Message::parse(input);
        }
        // Every prefix of a valid message, cut at each character boundary.
        for (i, _) in ADT.char_indices() {
            let _ = Message::parse(&ADT[..i]);
        }
    }

    #[test]
    fn huge_fields_are_read_whole() {
        let note = "x".repeat(8 * 1024 * 1024);
        let text = format!("MSH|^~\\&|||||||ADT^A08|1|P|2.5.1\rNTE|1||{note}\r");
        let message = Message::parse(&text).unwrap();
        assert_eq!(message.segment("NTE").unwrap().value(3).len(), note.len());
    }
}
