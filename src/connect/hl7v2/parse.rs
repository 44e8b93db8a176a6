//! ER7 text → [`Message`]: delimiters from MSH-1/MSH-2, then segments, fields, repetitions, components and
//! subcomponents, unescaped. Never panics, whatever the input.

use std::str::FromStr;

use super::error::{ParseError, TooMany, excerpt};
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

/// How far ER7 text may split. A real message has tens of segments, fewer than a hundred fields in a segment (IN2,
/// the widest, has 72), and a handful of repetitions, components and subcomponents in a field. Each `~` read makes a
/// repetition, its component and its subcomponent, about 310 bytes in all (measured), so without these an MLLP frame
/// of 16 MiB of `~` would take about five gigabytes; with them a message holds at most about 26 MB of parts.
pub const MAX_FIELDS: usize = 1_000;
pub const MAX_REPETITIONS: usize = 1_000;
pub const MAX_COMPONENTS: usize = 1_000;
pub const MAX_SUBCOMPONENTS: usize = 1_000;
/// Segments, fields, repetitions, components and subcomponents of a message in all: a result message of a
/// thousand OBX segments, twenty fields each with a few components, has about a hundred thousand.
pub const MAX_PARTS: usize = 250_000;

/// The segment tree without checking MSH's required fields, so that a message too broken to process can still
/// be answered with a reject that echoes whatever of its header could be read.
pub(super) fn parse_structure(text: &str) -> Result<Message, ParseError> {
    // Segments end with CR; files edited on Unix or Windows end them with LF or CRLF, which no value may
    // contain unescaped either, so any of them ends a segment. Blank lines are not segments.
    let mut lines = text.trim_start_matches('\u{feff}').split(['\r', '\n']).filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or(ParseError::Empty)?;
    let delimiters = read_delimiters(header)?;
    let mut parts = Parts { left: MAX_PARTS };
    let mut segments = vec![parse_header(header, &delimiters, &mut parts)?];
    for (i, line) in lines.enumerate() {
        segments.push(parse_segment(line, i + 2, &delimiters, &mut parts)?);
    }
    Ok(Message { delimiters, segments })
}

/// What is left of a message's allowance of parts ([`MAX_PARTS`]).
struct Parts {
    left: usize,
}

impl Parts {
    fn take(&mut self, segment_index: usize) -> Result<(), ParseError> {
        self.left = self.left.checked_sub(1).ok_or(ParseError::TooManyParts { segment_index, limit: MAX_PARTS })?;
        Ok(())
    }
}

/// `text` split at `separator` into at most `limit` pieces, each read by `read` with its 1-based position.
fn split_at_most<T>(
    text: &str,
    separator: char,
    limit: usize,
    mut read: impl FnMut(usize, &str) -> Result<T, ParseError>,
    too_many: impl FnOnce() -> ParseError,
) -> Result<Vec<T>, ParseError> {
    let mut pieces = Vec::new();
    for (i, piece) in text.split(separator).enumerate() {
        if i == limit {
            return Err(too_many());
        }
        pieces.push(read(i + 1, piece)?);
    }
    Ok(pieces)
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

fn parse_header(header: &str, d: &Delimiters, parts: &mut Parts) -> Result<Segment, ParseError> {
    // MSH-1 is the field separator itself and MSH-2 holds the escape character, so neither is split nor unescaped.
    let after_separator = header.get(3 + d.field.len_utf8()..).unwrap_or_default();
    let (encoding, rest) = after_separator.split_once(d.field).unwrap_or((after_separator, ""));
    parts.take(1)?;
    let mut fields = vec![Field::from(d.field.to_string()), Field::from(encoding)];
    if after_separator.contains(d.field) {
        let at = SegmentAt { index: 1, id: "MSH" };
        let rest = split_at_most(
            rest,
            d.field,
            MAX_FIELDS - 2,
            |n, f| parse_field(f, &at, n + 2, d, parts),
            || at.too_many_fields(),
        )?;
        fields.extend(rest);
    }
    Ok(Segment { id: "MSH".to_string(), fields })
}

/// Which segment is being read, for errors.
struct SegmentAt<'a> {
    index: usize,
    id: &'a str,
}

impl SegmentAt<'_> {
    fn field(&self, field: usize, component: Option<usize>) -> Location {
        Location::new(self.index, self.id, field, component)
    }

    fn too_many_fields(&self) -> ParseError {
        ParseError::TooManyFields { segment_index: self.index, segment_id: self.id.to_string(), limit: MAX_FIELDS }
    }
}

fn parse_segment(line: &str, segment_index: usize, d: &Delimiters, parts: &mut Parts) -> Result<Segment, ParseError> {
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
    parts.take(segment_index)?;
    let at = SegmentAt { index: segment_index, id };
    let fields = match rest {
        Some(rest) => {
            split_at_most(rest, d.field, MAX_FIELDS, |n, f| parse_field(f, &at, n, d, parts), || at.too_many_fields())?
        }
        None => Vec::new(),
    };
    Ok(Segment { id: id.to_string(), fields })
}

fn parse_field(
    text: &str,
    at: &SegmentAt,
    field: usize,
    d: &Delimiters,
    parts: &mut Parts,
) -> Result<Field, ParseError> {
    parts.take(at.index)?;
    if text.is_empty() {
        return Ok(Field::default());
    }
    let too_many = |what, component| ParseError::TooMany { location: at.field(field, component), what };
    let repetitions = split_at_most(
        text,
        d.repetition,
        MAX_REPETITIONS,
        |_, r| {
            parts.take(at.index)?;
            let components = split_at_most(
                r,
                d.component,
                MAX_COMPONENTS,
                |component, c| {
                    parts.take(at.index)?;
                    let subcomponents = split_at_most(
                        c,
                        d.subcomponent,
                        MAX_SUBCOMPONENTS,
                        |_, s| parts.take(at.index).map(|()| unescape(s, d)),
                        || too_many(TooMany::Subcomponents, Some(component)),
                    )?;
                    Ok(Component { subcomponents })
                },
                || too_many(TooMany::Components, None),
            )?;
            Ok(Repetition { components })
        },
        || too_many(TooMany::Repetitions, None),
    )?;
    Ok(Field { repetitions })
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

    /// A megabyte of one delimiter: a million parts without the limits (the MLLP frame allows sixteen).
    const DELIMITERS: usize = 1024 * 1024;
    const HEADER: &str = "MSH|^~\\&|||||||ADT^A08|1|P|2.5.1\r";

    #[test]
    fn a_megabyte_of_delimiters_is_refused_naming_the_segment_and_field_not_split_into_millions() {
        let cases = [
            (format!("PID|1||{}", "~".repeat(DELIMITERS)), "PID-3 (segment 2) has more than 1000 repetitions"),
            (
                format!("PID|1||P-1|{}", "^".repeat(DELIMITERS)),
                "PID-4 (segment 2) has more than 1000 components in one repetition",
            ),
            (
                format!("PID|1|||x^{}", "&".repeat(DELIMITERS)),
                "PID-4.2 (segment 2) has more than 1000 subcomponents in one component",
            ),
            (
                format!("ZPI{}", "|".repeat(DELIMITERS)),
                "segment 2 (ZPI) has more than 1000 fields; no segment has that many",
            ),
        ];
        for (segment, said) in cases {
            let error = Message::parse(&format!("{HEADER}{segment}\r")).unwrap_err();
            assert!(error.to_string().starts_with(said), "{error}");
        }
        let wide_header = format!("MSH|^~\\&{}", "|".repeat(DELIMITERS));
        assert_eq!(
            Message::parse(&wide_header).unwrap_err(),
            ParseError::TooManyFields { segment_index: 1, segment_id: "MSH".into(), limit: MAX_FIELDS }
        );
    }

    #[test]
    fn up_to_the_limits_a_message_is_read() {
        let repetitions = vec!["R"; MAX_REPETITIONS].join("~");
        let components = vec!["C"; MAX_COMPONENTS].join("^");
        let subcomponents = vec!["S"; MAX_SUBCOMPONENTS].join("&");
        let fields = format!("{}x", "|".repeat(MAX_FIELDS));
        let text = format!("{HEADER}PID|{repetitions}|{components}|x^{subcomponents}\rZPI{fields}\r");
        let message = Message::parse(&text).unwrap();
        let pid = message.segment("PID").unwrap();
        assert_eq!(pid.repetitions(1).len(), MAX_REPETITIONS);
        assert_eq!(pid.repetitions(2)[0].components.len(), MAX_COMPONENTS);
        assert_eq!(pid.repetitions(3)[0].components[1].subcomponents.len(), MAX_SUBCOMPONENTS);
        assert_eq!(message.segment("ZPI").unwrap().fields.len(), MAX_FIELDS);
        assert_eq!(message.to_er7(), text);
    }

    #[test]
    fn a_message_of_many_small_segments_is_refused_at_the_segment_that_passes_the_allowance() {
        // MSH with one field of one value is five parts (the segment, the field, its repetition, component and
        // subcomponent), and so is each `NTE|1`: the allowance runs out with the 49,999th NTE, segment 50,000.
        let text = format!("MSH|^~\\&|A\r{}", "NTE|1\r".repeat(60_000));
        let error = Message::parse(&text).unwrap_err();
        assert_eq!(error, ParseError::TooManyParts { segment_index: 50_001, limit: MAX_PARTS });
        assert_eq!(
            error.to_string(),
            "the message splits into more than 250000 segments, fields, repetitions, components and subcomponents \
             (by segment 50001); no message has that many"
        );
        assert!(
            Message::parse(&format!("MSH|^~\\&|A\r{}", "NTE|1\r".repeat(49_999)))
                .is_err_and(|e| matches!(e, ParseError::MissingField { .. }))
        );
    }
}
