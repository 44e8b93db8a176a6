//! Why X12 text could not be read or written, and where: each error names the segment (1-based, counting from
//! ISA), its id, the element and what was expected, so a billing analyst can find the spot in the batch file.

use std::fmt;

/// A place in an interchange, written the way X12 people say it: `CLM05-1 (segment 14)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based position of the segment in the interchange, ISA being 1.
    pub segment_index: usize,
    pub segment_id: String,
    /// 1-based element position (`CLM05` is 5); 0 means the segment as a whole.
    pub element: usize,
    /// 1-based component position, when the problem is in one component of a composite.
    pub component: Option<usize>,
}

impl Location {
    pub fn new(segment_index: usize, segment_id: &str, element: usize, component: Option<usize>) -> Location {
        Location { segment_index, segment_id: segment_id.to_string(), element, component }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.segment_id)?;
        if self.element > 0 {
            write!(f, "{:02}", self.element)?;
        }
        if let Some(c) = self.component {
            write!(f, "-{c}")?;
        }
        write!(f, " (segment {})", self.segment_index)
    }
}

/// The text is not a well-formed X12 interchange, or its envelope does not add up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the interchange is empty; expected text starting with an ISA segment such as `ISA*00*...`")]
    Empty,
    #[error("segment 1 starts with `{found}`; expected the ISA interchange header")]
    MissingIsa { found: String },
    #[error(
        "the ISA segment (segment 1) is {found} characters long; expected exactly 106 characters including \
         the segment terminator"
    )]
    TruncatedIsa { found: usize },
    #[error("{location} is not followed by the element separator `{separator}`; expected ISA elements of fixed width")]
    IsaWidth { location: Location, separator: char },
    #[error(
        "the ISA delimiters (element `{element}`, repetition `{repetition}`, component `{component}`, segment \
         `{segment}`) are not {expected}"
    )]
    BadDelimiters { element: char, repetition: char, component: char, segment: char, expected: &'static str },
    #[error(
        "segment {segment_index} has the id `{found}`; expected two or three capital letters or digits, such as CLM"
    )]
    InvalidSegmentId { segment_index: usize, found: String },
    #[error("{location} is `{found}`; expected {expected}")]
    Mismatch { location: Location, found: String, expected: String },
    #[error("segment {segment_index} is `{found}`; expected {expected}")]
    Structure { segment_index: usize, found: String, expected: &'static str },
    #[error("the interchange ends after segment {segment_index}; expected {expected}")]
    Truncated { segment_index: usize, expected: &'static str },
    #[error("byte 0x{byte:02X} at offset {offset} ({where_}) is not text; an X12 interchange is ASCII")]
    NotText { byte: u8, offset: usize, where_: String },
    #[error(
        "segment {segment_index} runs past {limit} bytes without the segment terminator `{terminator}`; expected \
         segments of at most {limit} bytes (an 837P segment is rarely longer than a few hundred)"
    )]
    SegmentTooLong { segment_index: usize, limit: usize, terminator: char },
}

/// Why a batch read as a stream stopped: the source failed, the text is not a well-formed interchange, or a
/// claim in it cannot be read. The first problem in the order of the text is the one reported.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("cannot read the interchange: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// The interchange is well formed but does not carry what the reader needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{location} is `{found}`; expected {expected}")]
    WrongTransaction { location: Location, found: String, expected: &'static str },
    #[error("the {transaction} transaction has no {segment_id} segment; expected one to read {purpose}")]
    MissingSegment { transaction: String, segment_id: &'static str, purpose: &'static str },
    #[error("{location} is empty; expected {expected}")]
    MissingValue { location: Location, expected: &'static str },
    #[error("{location} is `{found}`; expected {expected}")]
    InvalidValue { location: Location, found: String, expected: &'static str },
}

/// The model cannot be written as the transaction without breaking the implementation guide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("claim {claim_id} has {found} {what}; the 005010X222A1 guide allows at most {max}")]
    TooMany { claim_id: String, what: &'static str, found: usize, max: usize },
    #[error("claim {claim_id} has no {what}; expected at least one")]
    Missing { claim_id: String, what: &'static str },
    #[error("claim {claim_id} line {line} points at diagnosis {pointer}; expected a pointer from 1 to {count}")]
    BadPointer { claim_id: String, line: usize, pointer: u8, count: usize },
    #[error(
        "the subscriber's relationship to the patient is `{found}`; only `self` is written (a dependent needs \
         the 2000C patient loop, which this writer does not build)"
    )]
    DependentPatient { found: &'static str },
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
    fn locations_read_as_x12_people_write_them() {
        assert_eq!(Location::new(14, "CLM", 5, Some(1)).to_string(), "CLM05-1 (segment 14)");
        assert_eq!(Location::new(1, "ISA", 13, None).to_string(), "ISA13 (segment 1)");
        assert_eq!(Location::new(3, "ST", 0, None).to_string(), "ST (segment 3)");
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt(&"x".repeat(10_000_000)).chars().count(), 41);
    }
}
