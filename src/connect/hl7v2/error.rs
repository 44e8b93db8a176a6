//! Why HL7 text could not be read, and where: each error names the segment (position and id), the field and what
//! was expected, so an interface analyst can find the spot in the message log.

use std::fmt;

/// A place in a message, written the way HL7 people say it: `PID-5.2 (segment 3)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based position of the segment in the message.
    pub segment_index: usize,
    pub segment_id: String,
    /// 1-based field number (`PID-5` is 5).
    pub field: usize,
    /// 1-based component number, when the problem is in one component.
    pub component: Option<usize>,
}

impl Location {
    pub fn new(segment_index: usize, segment_id: &str, field: usize, component: Option<usize>) -> Location {
        Location { segment_index, segment_id: segment_id.to_string(), field, component }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.segment_id, self.field)?;
        if let Some(c) = self.component {
            write!(f, ".{c}")?;
        }
        write!(f, " (segment {})", self.segment_index)
    }
}

/// The ER7 text is not an HL7 v2 message at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is empty; expected text starting with an MSH segment such as `MSH|^~\\&|...`")]
    Empty,
    #[error("segment 1 starts with `{found}`; expected the MSH header segment, such as `MSH|^~\\&|...`")]
    MissingHeader { found: String },
    #[error("MSH-1 (segment 1) is missing; expected the field separator, usually `|`, right after `MSH`")]
    MissingFieldSeparator,
    #[error(
        "MSH-2 (segment 1) is `{found}`; expected four distinct encoding characters (component, repetition, \
         escape, subcomponent) that are not letters or digits, usually `^~\\&`"
    )]
    InvalidEncodingCharacters { found: String },
    #[error("segment {segment_index} has the id `{found}`; expected three capital letters or digits, such as PID")]
    InvalidSegmentId { segment_index: usize, found: String },
    #[error("{location} is empty; expected {expected}")]
    MissingField { location: Location, expected: &'static str },
    #[error("segment {segment_index} ({segment_id}) has more than {limit} fields; no segment has that many")]
    TooManyFields { segment_index: usize, segment_id: String, limit: usize },
    #[error("{location} has more than {} {what}; no field has that many", what.limit())]
    TooMany { location: Location, what: TooMany },
    #[error(
        "the message splits into more than {limit} segments, fields, repetitions, components and subcomponents \
         (by segment {segment_index}); no message has that many"
    )]
    TooManyParts { segment_index: usize, limit: usize },
}

/// What a field has too many of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooMany {
    Repetitions,
    /// In one repetition.
    Components,
    /// In one component.
    Subcomponents,
}

impl TooMany {
    fn limit(self) -> usize {
        match self {
            TooMany::Repetitions => super::parse::MAX_REPETITIONS,
            TooMany::Components => super::parse::MAX_COMPONENTS,
            TooMany::Subcomponents => super::parse::MAX_SUBCOMPONENTS,
        }
    }
}

impl fmt::Display for TooMany {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TooMany::Repetitions => "repetitions",
            TooMany::Components => "components in one repetition",
            TooMany::Subcomponents => "subcomponents in one component",
        })
    }
}

/// The message is well-formed HL7 but does not carry what the model needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("MSH-9 (segment 1) is `{found}`; expected {expected}")]
    WrongMessageType { found: String, expected: &'static str },
    #[error("the {message_type} message has no {segment_id} segment; expected one to read {purpose}")]
    MissingSegment { message_type: String, segment_id: &'static str, purpose: &'static str },
    #[error("{location} is empty; expected {expected}")]
    MissingValue { location: Location, expected: &'static str },
    #[error("{location} is `{found}`; expected {expected}")]
    InvalidValue { location: Location, found: String, expected: &'static str },
}

/// Enough of a bad value to recognise it, never a whole megabyte of it.
pub(super) fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_as_hl7_people_write_them() {
        assert_eq!(Location::new(3, "PID", 5, Some(2)).to_string(), "PID-5.2 (segment 3)");
        assert_eq!(Location::new(1, "MSH", 10, None).to_string(), "MSH-10 (segment 1)");
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt(&"x".repeat(10_000)).chars().count(), 41);
    }
}
