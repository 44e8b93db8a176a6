//! ACK: the receiver's answer to one message (MSA, and ERR when it is not accepted) ⇄ code, condition and text.

use jiff::Timestamp;

use super::header::{Envelope, MessageHeader, MessageType, Route, msh};
use super::parse::parse_structure;
use super::reader::{expect_message_code, required_segment, segments};
use super::{Field, Message, ParseError, ReadError, Segment};

/// MSA-1 in original acknowledgment mode (HL7 table 0008).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// AA: processed.
    Accept,
    /// AE: understood but could not be processed (a missing patient, a bad code).
    Error,
    /// AR: refused outright (unparseable, wrong type or version).
    Reject,
}

impl AckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::Accept => "AA",
            AckCode::Error => "AE",
            AckCode::Reject => "AR",
        }
    }

    /// Enhanced-mode commit codes (CA/CE/CR) are read as their application-level equivalents.
    pub fn from_code(code: &str) -> Option<AckCode> {
        match code {
            "AA" | "CA" => Some(AckCode::Accept),
            "AE" | "CE" => Some(AckCode::Error),
            "AR" | "CR" => Some(AckCode::Reject),
            _ => None,
        }
    }
}

/// HL7 table 0357 message error condition codes, for ERR-3. Kept as a number so codes this module does not name
/// still read back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCondition(pub u16);

impl ErrorCondition {
    pub const SEGMENT_SEQUENCE_ERROR: ErrorCondition = ErrorCondition(100);
    pub const REQUIRED_FIELD_MISSING: ErrorCondition = ErrorCondition(101);
    pub const DATA_TYPE_ERROR: ErrorCondition = ErrorCondition(102);
    pub const TABLE_VALUE_NOT_FOUND: ErrorCondition = ErrorCondition(103);
    pub const UNSUPPORTED_MESSAGE_TYPE: ErrorCondition = ErrorCondition(200);
    pub const UNSUPPORTED_EVENT_CODE: ErrorCondition = ErrorCondition(201);
    pub const UNSUPPORTED_PROCESSING_ID: ErrorCondition = ErrorCondition(202);
    pub const UNSUPPORTED_VERSION_ID: ErrorCondition = ErrorCondition(203);
    pub const UNKNOWN_KEY_IDENTIFIER: ErrorCondition = ErrorCondition(204);
    pub const DUPLICATE_KEY_IDENTIFIER: ErrorCondition = ErrorCondition(205);
    pub const APPLICATION_RECORD_LOCKED: ErrorCondition = ErrorCondition(206);
    pub const APPLICATION_INTERNAL_ERROR: ErrorCondition = ErrorCondition(207);

    /// The table's display text; empty for a code outside it.
    pub fn description(self) -> &'static str {
        match self.0 {
            100 => "Segment sequence error",
            101 => "Required field missing",
            102 => "Data type error",
            103 => "Table value not found",
            200 => "Unsupported message type",
            201 => "Unsupported event code",
            202 => "Unsupported processing id",
            203 => "Unsupported version id",
            204 => "Unknown key identifier",
            205 => "Duplicate key identifier",
            206 => "Application record locked",
            207 => "Application internal error",
            _ => "",
        }
    }
}

/// What a receiver says about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgment {
    pub code: AckCode,
    /// For people: MSA-3, and ERR-8 when not accepted.
    pub text: String,
    /// For programs: ERR-3; `None` when accepted.
    pub condition: Option<ErrorCondition>,
}

impl Acknowledgment {
    pub fn accept(text: &str) -> Acknowledgment {
        Acknowledgment { code: AckCode::Accept, text: text.to_string(), condition: None }
    }

    pub fn error(condition: ErrorCondition, text: &str) -> Acknowledgment {
        Acknowledgment { code: AckCode::Error, text: text.to_string(), condition: Some(condition) }
    }

    pub fn reject(condition: ErrorCondition, text: &str) -> Acknowledgment {
        Acknowledgment { code: AckCode::Reject, text: text.to_string(), condition: Some(condition) }
    }
}

/// The ACK to `original`, sent back along its route reversed, with MSA-2 echoing its control id.
///
/// A non-accept without a condition is reported as an application internal error (207), since ERR-3 is required.
pub fn ack(original: &MessageHeader, control_id: &str, sent_at: Timestamp, acknowledgment: &Acknowledgment) -> Message {
    let envelope = Envelope { route: original.route.reversed(), control_id: control_id.to_string(), sent_at };
    let message_type = MessageType::new("ACK", &original.message_type.trigger, "ACK");
    let msa = Segment::new("MSA")
        .with(1, acknowledgment.code.as_str())
        .with(2, original.control_id.as_str())
        .with(3, acknowledgment.text.as_str());
    let mut segments = vec![msh(&envelope, &message_type), msa];
    if acknowledgment.code != AckCode::Accept {
        let condition = acknowledgment.condition.unwrap_or(ErrorCondition::APPLICATION_INTERNAL_ERROR);
        let err = Segment::new("ERR")
            .with(3, Field::from_components([condition.0.to_string().as_str(), condition.description(), "HL70357"]))
            .with(4, "E")
            .with(8, acknowledgment.text.as_str());
        segments.push(err);
    }
    Message::new(segments)
}

/// The `AR` for text that is not a message this module can read: whatever MSH could be parsed supplies the route,
/// trigger and control id to echo; with no readable MSH they are left empty.
pub fn reject_unreadable(
    text: &str,
    condition: ErrorCondition,
    reason: &str,
    control_id: &str,
    sent_at: Timestamp,
) -> Message {
    let original = parse_structure(text)
        .ok()
        .and_then(|m| m.segments.first().map(MessageHeader::from_segment))
        .unwrap_or_else(|| MessageHeader {
            route: Route::default(),
            message_type: MessageType::new("", "", ""),
            control_id: String::new(),
            sent_at: None,
            version: String::new(),
        });
    ack(&original, control_id, sent_at, &Acknowledgment::reject(condition, reason))
}

impl ParseError {
    /// The table 0357 condition a receiver reports for this error.
    pub fn error_condition(&self) -> ErrorCondition {
        match self {
            ParseError::Empty | ParseError::MissingHeader { .. } | ParseError::InvalidSegmentId { .. } => {
                ErrorCondition::SEGMENT_SEQUENCE_ERROR
            }
            ParseError::MissingFieldSeparator
            | ParseError::InvalidEncodingCharacters { .. }
            | ParseError::TooManyFields { .. }
            | ParseError::TooMany { .. }
            | ParseError::TooManyParts { .. } => ErrorCondition::DATA_TYPE_ERROR,
            ParseError::MissingField { .. } => ErrorCondition::REQUIRED_FIELD_MISSING,
        }
    }
}

/// An ACK as received: which message it answers, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAck {
    /// MSA-2: the control id of the message acknowledged.
    pub acknowledged_control_id: String,
    pub acknowledgment: Acknowledgment,
}

/// Reads MSA (and the first ERR); the text is MSA-3, else ERR-8, else ERR-3's display text.
pub fn read_ack(message: &Message) -> Result<ReceivedAck, ReadError> {
    expect_message_code(message, "ACK", "an ACK message such as ACK^A04^ACK")?;
    let msa = required_segment(message, "MSA", "the acknowledgment code")?;
    let code_text = msa.required(1, 1, "the acknowledgment code AA, AE or AR")?;
    let code = AckCode::from_code(code_text)
        .ok_or_else(|| msa.invalid(1, None, code_text, "the acknowledgment code AA, AE or AR"))?;
    let err = segments(message, "ERR").next().map(|e| e.segment);
    let text = [Some(msa.segment.value(3)), err.map(|e| e.value(8)), err.map(|e| e.component(3, 2))]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty())
        .unwrap_or_default();
    // ERR-3 in 2.5.1; MSA-6 in older senders.
    let condition = [err.map(|e| e.component(3, 1)), Some(msa.segment.component(6, 1))]
        .into_iter()
        .flatten()
        .find_map(|c| c.parse().ok().map(ErrorCondition));
    Ok(ReceivedAck {
        acknowledged_control_id: msa.segment.value(2).to_string(),
        acknowledgment: Acknowledgment { code, text: text.to_string(), condition },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::hl7v2::adt_a04;
    use crate::connect::hl7v2::fixtures::{ana, envelope, over_the_wire, wire};

    fn original() -> MessageHeader {
        MessageHeader::read(&adt_a04(&envelope("MSG0001"), &ana())).unwrap()
    }

    fn at() -> Timestamp {
        "2026-12-01T14:30:01Z".parse().unwrap()
    }

    #[test]
    fn an_accept_echoes_the_control_id_and_goes_back_the_way_it_came() {
        let message = ack(&original(), "ACK0001", at(), &Acknowledgment::accept(""));
        assert_eq!(message.to_er7().split('\r').filter(|s| !s.is_empty()).count(), 2);
        assert_eq!(wire(&message, "MSH", 3), "HANDOFF-PM");
        assert_eq!(wire(&message, "MSH", 5), "HANDOFF-EMR");
        assert_eq!(wire(&message, "MSH", 9), "ACK^A04^ACK");
        assert_eq!(wire(&message, "MSH", 10), "ACK0001");
        assert_eq!(wire(&message, "MSA", 1), "AA");
        assert_eq!(wire(&message, "MSA", 2), "MSG0001");
        let received = read_ack(&over_the_wire(&message)).unwrap();
        assert_eq!(received.acknowledged_control_id, "MSG0001");
        assert_eq!(received.acknowledgment, Acknowledgment::accept(""));
    }

    #[test]
    fn errors_and_rejects_carry_an_err_segment() {
        for acknowledgment in [
            Acknowledgment::error(ErrorCondition::UNKNOWN_KEY_IDENTIFIER, "no patient EMR-000123 | here"),
            Acknowledgment::reject(ErrorCondition::UNSUPPORTED_VERSION_ID, "only 2.5.1"),
        ] {
            let message = ack(&original(), "ACK0002", at(), &acknowledgment);
            assert_eq!(wire(&message, "MSA", 1), acknowledgment.code.as_str());
            let condition = acknowledgment.condition.unwrap();
            assert_eq!(wire(&message, "ERR", 3), format!("{}^{}^HL70357", condition.0, condition.description()));
            assert_eq!(wire(&message, "ERR", 4), "E");
            assert_eq!(read_ack(&over_the_wire(&message)).unwrap().acknowledgment, acknowledgment);
        }
    }

    #[test]
    fn a_reject_without_a_condition_reports_an_internal_error() {
        let nameless = Acknowledgment { code: AckCode::Error, text: "boom".into(), condition: None };
        let message = ack(&original(), "ACK0003", at(), &nameless);
        assert_eq!(wire(&message, "ERR", 3), "207^Application internal error^HL70357");
    }

    #[test]
    fn older_acks_are_read_too() {
        let text = "MSH|^~\\&|PM||EMR||20261201||ACK|9|P|2.3\rMSA|CE|MSG7|Patient locked|||206\r";
        let received = read_ack(&Message::parse(text).unwrap()).unwrap();
        assert_eq!(received.acknowledged_control_id, "MSG7");
        assert_eq!(
            received.acknowledgment,
            Acknowledgment::error(ErrorCondition::APPLICATION_RECORD_LOCKED, "Patient locked")
        );
        let odd = Message::parse("MSH|^~\\&|||||||ACK|9\rMSA|XX|1\r").unwrap();
        assert!(read_ack(&odd).unwrap_err().to_string().starts_with("MSA-1 (segment 2) is `XX`"));
    }

    #[test]
    fn unreadable_text_is_rejected_echoing_what_its_header_says() {
        let text = "MSH|^~\\&|EMR|NORTH|PM|SOUTH|20261201||ADT^A04^ADT_A01\rPID|1\r";
        let error = Message::parse(text).unwrap_err();
        let message = reject_unreadable(text, error.error_condition(), &error.to_string(), "R1", at());
        assert_eq!(wire(&message, "MSH", 5), "EMR");
        assert_eq!(wire(&message, "MSH", 9), "ACK^A04^ACK");
        assert_eq!(wire(&message, "MSA", 1), "AR");
        assert_eq!(wire(&message, "ERR", 3), "101^Required field missing^HL70357");
        let received = read_ack(&over_the_wire(&message)).unwrap();
        assert!(received.acknowledgment.text.starts_with("MSH-10 (segment 1) is empty"), "{received:?}");

        let garbage = reject_unreadable("hello", ErrorCondition::SEGMENT_SEQUENCE_ERROR, "not HL7", "R2", at());
        assert_eq!(wire(&garbage, "MSH", 9), "ACK^^ACK");
        assert_eq!(read_ack(&over_the_wire(&garbage)).unwrap().acknowledgment.code, AckCode::Reject);
    }
}
