//! The MSH header: who sends to whom, what the message is, its control id and when it was sent.

use jiff::Timestamp;

use super::reader::required_segment;
use super::values::{format_timestamp, parse_timestamp};
use super::{Delimiters, Field, Message, ReadError, Segment};

/// The HL7 version every message here is built to.
pub const VERSION: &str = "2.5.1";
/// MSH-11: production. Test systems are still sent `P`, as interface engines route on it.
pub const PROCESSING_ID: &str = "P";

/// MSH-3 to MSH-6: the applications and facilities at each end of the interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub sending_application: String,
    pub sending_facility: String,
    pub receiving_application: String,
    pub receiving_facility: String,
}

impl Route {
    /// The route a reply travels back on.
    pub fn reversed(&self) -> Route {
        Route {
            sending_application: self.receiving_application.clone(),
            sending_facility: self.receiving_facility.clone(),
            receiving_application: self.sending_application.clone(),
            receiving_facility: self.sending_facility.clone(),
        }
    }
}

/// What is particular to one message rather than to its content; passed in so output is deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub route: Route,
    /// MSH-10, which the receiver's ACK echoes in MSA-2.
    pub control_id: String,
    /// MSH-7.
    pub sent_at: Timestamp,
}

/// MSH-9: message code, trigger event and abstract message structure (`ADT^A04^ADT_A01`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageType {
    pub code: String,
    pub trigger: String,
    pub structure: String,
}

impl MessageType {
    pub fn new(code: &str, trigger: &str, structure: &str) -> MessageType {
        MessageType { code: code.to_string(), trigger: trigger.to_string(), structure: structure.to_string() }
    }
}

/// A complete MSH segment for v2.5.1.
pub fn msh(envelope: &Envelope, message_type: &MessageType) -> Segment {
    let route = &envelope.route;
    let delimiters = Delimiters::default();
    // MSH-1/MSH-2 are filled as a parser would, so a built message equals the same message parsed back.
    Segment::new("MSH")
        .with(1, delimiters.field.to_string())
        .with(2, delimiters.encoding_characters())
        .with(3, route.sending_application.as_str())
        .with(4, route.sending_facility.as_str())
        .with(5, route.receiving_application.as_str())
        .with(6, route.receiving_facility.as_str())
        .with(7, format_timestamp(envelope.sent_at))
        .with(
            9,
            Field::from_components(
                [&message_type.code, &message_type.trigger, &message_type.structure].map(String::as_str),
            ),
        )
        .with(10, envelope.control_id.as_str())
        .with(11, PROCESSING_ID)
        .with(12, VERSION)
}

/// MSH as read from a message: enough to route, acknowledge and time it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHeader {
    pub route: Route,
    pub message_type: MessageType,
    pub control_id: String,
    /// MSH-7, when it is a readable timestamp.
    pub sent_at: Option<Timestamp>,
    /// MSH-12.
    pub version: String,
}

impl MessageHeader {
    pub fn read(message: &Message) -> Result<MessageHeader, ReadError> {
        let msh = required_segment(message, "MSH", "the message header")?;
        Ok(MessageHeader::from_segment(msh.segment))
    }

    /// Whatever an MSH says, empty where it says nothing; used to answer even a message that failed to parse.
    pub(super) fn from_segment(msh: &Segment) -> MessageHeader {
        let text = |n: usize| msh.value(n).to_string();
        MessageHeader {
            route: Route {
                sending_application: text(3),
                sending_facility: text(4),
                receiving_application: text(5),
                receiving_facility: text(6),
            },
            message_type: MessageType::new(msh.component(9, 1), msh.component(9, 2), msh.component(9, 3)),
            control_id: text(10),
            sent_at: parse_timestamp(msh.value(7)),
            version: msh.component(12, 1).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msh_carries_route_type_control_id_and_version() {
        let envelope = Envelope {
            route: Route {
                sending_application: "EMR".into(),
                sending_facility: "NORTH".into(),
                receiving_application: "PM".into(),
                receiving_facility: "NORTH".into(),
            },
            control_id: "MSG-1".into(),
            sent_at: "2026-12-01T14:00:00Z".parse().unwrap(),
        };
        let message = Message::new(vec![msh(&envelope, &MessageType::new("ADT", "A04", "ADT_A01"))]);
        assert_eq!(
            message.to_er7(),
            "MSH|^~\\&|EMR|NORTH|PM|NORTH|20261201140000+0000||ADT^A04^ADT_A01|MSG-1|P|2.5.1\r"
        );
        let header = MessageHeader::read(&Message::parse(&message.to_er7()).unwrap()).unwrap();
        assert_eq!(header.route, envelope.route);
        assert_eq!(header.control_id, "MSG-1");
        assert_eq!(header.sent_at, Some(envelope.sent_at));
        assert_eq!(header.message_type, MessageType::new("ADT", "A04", "ADT_A01"));
        assert_eq!(header.version, "2.5.1");
    }
}
