//! What every message reader needs: find a segment, take a value from it, and say exactly where one was missing.

use super::{Location, Message, ReadError, Segment};

/// A segment together with where it stands in its message, so any value read from it can be located.
#[derive(Debug, Clone, Copy)]
pub struct Located<'m> {
    pub index: usize,
    pub segment: &'m Segment,
}

impl<'m> Located<'m> {
    pub fn location(&self, field: usize, component: Option<usize>) -> Location {
        Location::new(self.index, &self.segment.id, field, component)
    }

    /// Component `c` of field `n`, or an error naming the spot and what belongs there.
    pub fn required(&self, field: usize, component: usize, expected: &'static str) -> Result<&'m str, ReadError> {
        let value = self.segment.component(field, component);
        if value.is_empty() {
            let component = (component > 1).then_some(component);
            return Err(ReadError::MissingValue { location: self.location(field, component), expected });
        }
        Ok(value)
    }

    pub fn invalid(&self, field: usize, component: Option<usize>, found: &str, expected: &'static str) -> ReadError {
        ReadError::InvalidValue {
            location: self.location(field, component),
            found: super::error::excerpt(found),
            expected,
        }
    }
}

/// MSH-9 as one string (`ADT^A04^ADT_A01`), for messages that say what went wrong.
pub fn message_type_text(message: &Message) -> String {
    message.encoded_field("MSH", 9).unwrap_or_default()
}

/// The message type code in MSH-9.1 must be `code`; readers refuse to read an SIU as a DFT.
pub fn expect_message_code(message: &Message, code: &str, expected: &'static str) -> Result<(), ReadError> {
    let found = message.segment("MSH").map(|msh| msh.component(9, 1)).unwrap_or_default();
    if found == code {
        Ok(())
    } else {
        Err(ReadError::WrongMessageType { found: message_type_text(message), expected })
    }
}

/// The first segment with this id, or an error naming what it was needed for.
pub fn required_segment<'m>(
    message: &'m Message,
    segment_id: &'static str,
    purpose: &'static str,
) -> Result<Located<'m>, ReadError> {
    segments(message, segment_id).next().ok_or_else(|| ReadError::MissingSegment {
        message_type: message_type_text(message),
        segment_id,
        purpose,
    })
}

pub fn segments<'m>(message: &'m Message, segment_id: &'m str) -> impl Iterator<Item = Located<'m>> + 'm {
    message.segments_with_id(segment_id).map(|(index, segment)| Located { index, segment })
}
