//! The 999 implementation acknowledgment (005010X231A1): whether each transaction set of a batch was accepted,
//! and, when not, which segment and element the receiver rejected and why; read, and written by a receiver.

use super::envelope::TransactionSet;
use super::error::ReadError;
use super::parse::Document;
use super::reader::{invalid, required, transactions};
use super::segment::{Element, Segment};

pub const VERSION_999: &str = "005010X231A1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionalAck {
    /// AK1-1 and AK1-2: the group acknowledged (`HC`, and the GS06 the practice sent).
    pub functional_id: String,
    pub group_control: String,
    /// AK9-1: `A` accepted, `E` accepted with errors, `P` partially accepted, `R` rejected.
    pub status: String,
    pub sets: Vec<SetAck>,
}

impl FunctionalAck {
    pub fn accepted(&self) -> bool {
        matches!(self.status.as_str(), "A" | "E")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAck {
    /// AK2-1 and AK2-2: the ST01 and ST02 acknowledged.
    pub transaction_id: String,
    pub control_number: String,
    /// IK5-1, with the same codes as AK9-1.
    pub status: String,
    pub errors: Vec<SegmentError>,
}

impl SetAck {
    pub fn accepted(&self) -> bool {
        matches!(self.status.as_str(), "A" | "E")
    }
}

/// IK3: a segment the receiver objected to, with the IK4 element errors inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentError {
    pub segment_id: String,
    /// IK3-2, counted from ST as 1.
    pub position: usize,
    pub loop_id: String,
    /// IK3-4: `8` segment has data element errors, `3` required segment missing, ...
    pub code: String,
    pub elements: Vec<ElementError>,
}

/// IK4: the element position (and component), the error code and the bad value when the receiver copied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementError {
    pub position: usize,
    pub component: Option<usize>,
    pub code: String,
    pub bad_value: String,
}

/// The 999 answering one functional group: AK1 names the group, each set gets an AK2, its IK3/IK4 errors and an
/// IK5; AK9 counts them. `version` is the guide the acknowledged sets follow (`005010X222A1`).
pub fn functional_ack(ack: &FunctionalAck, version: &str, control_number: u32) -> TransactionSet {
    let mut body = vec![Segment::simple("AK1", &[&ack.functional_id, &ack.group_control, version])];
    for set in &ack.sets {
        body.push(Segment::simple("AK2", &[&set.transaction_id, &set.control_number, version]));
        for error in &set.errors {
            body.push(Segment::simple(
                "IK3",
                &[&error.segment_id, &error.position.to_string(), &error.loop_id, &error.code],
            ));
            for element in &error.elements {
                let position = match element.component {
                    Some(c) => Element::composite(&[element.position.to_string(), c.to_string()]),
                    None => element.position.to_string().into(),
                };
                body.push(Segment::new(
                    "IK4",
                    vec![position, Element::default(), element.code.as_str().into(), element.bad_value.as_str().into()],
                ));
            }
        }
        // IK5-2 `5`: one or more segments in error, the reason a set is rejected here.
        let reason = if set.accepted() || set.errors.is_empty() { "" } else { "5" };
        body.push(Segment::simple("IK5", &[&set.status, reason]));
    }
    let count = ack.sets.len().to_string();
    let accepted = ack.sets.iter().filter(|s| s.accepted()).count().to_string();
    body.push(Segment::simple("AK9", &[&ack.status, &count, &count, &accepted]));
    TransactionSet { id: "999".into(), version: VERSION_999.into(), control_number, body }
}

/// Every 999 in the interchange.
pub fn read_999(doc: &Document) -> Result<Vec<FunctionalAck>, ReadError> {
    let mut out = Vec::new();
    for tx in transactions(doc, "999", "999, an implementation acknowledgment")? {
        let mut ack = FunctionalAck {
            functional_id: String::new(),
            group_control: String::new(),
            status: String::new(),
            sets: Vec::new(),
        };
        for seg in tx.segments {
            let number = |n: usize, c: usize, expected| -> Result<usize, ReadError> {
                let text = required(seg, n, c, expected)?;
                text.parse().map_err(|_| invalid(seg, n, Some(c).filter(|&c| c > 1), text, expected))
            };
            match seg.id.as_str() {
                "AK1" => {
                    ack.functional_id = required(seg, 1, 1, "the functional identifier code")?.to_string();
                    ack.group_control = required(seg, 2, 1, "the group control number")?.to_string();
                }
                "AK2" => ack.sets.push(SetAck {
                    transaction_id: required(seg, 1, 1, "the transaction set identifier")?.to_string(),
                    control_number: required(seg, 2, 1, "the transaction set control number")?.to_string(),
                    status: String::new(),
                    errors: Vec::new(),
                }),
                "IK3" => {
                    let error = SegmentError {
                        segment_id: required(seg, 1, 1, "the segment id in error")?.to_string(),
                        position: number(2, 1, "the segment position in the transaction set")?,
                        loop_id: seg.element(3).to_string(),
                        code: seg.element(4).to_string(),
                        elements: Vec::new(),
                    };
                    if let Some(set) = ack.sets.last_mut() {
                        set.errors.push(error);
                    }
                }
                "IK4" => {
                    let component = seg.component(1, 2);
                    let error = ElementError {
                        position: number(1, 1, "the element position in the segment")?,
                        component: if component.is_empty() {
                            None
                        } else {
                            Some(number(1, 2, "the component position")?)
                        },
                        code: required(seg, 3, 1, "the data element error code")?.to_string(),
                        bad_value: seg.element(4).to_string(),
                    };
                    if let Some(segment) = ack.sets.last_mut().and_then(|s| s.errors.last_mut()) {
                        segment.elements.push(error);
                    }
                }
                "IK5" => {
                    if let Some(set) = ack.sets.last_mut() {
                        set.status = required(seg, 1, 1, "the transaction set acknowledgment code")?.to_string();
                    }
                }
                "AK9" => ack.status = required(seg, 1, 1, "the functional group acknowledgment code")?.to_string(),
                _ => {}
            }
        }
        out.push(ack);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::input;
    use super::*;

    #[test]
    fn reads_accepted_and_rejected_sets_with_their_errors() {
        let acks = read_999(&input("999.x12")).unwrap();
        assert_eq!(acks.len(), 1);
        let ack = &acks[0];
        assert_eq!((ack.functional_id.as_str(), ack.group_control.as_str(), ack.status.as_str()), ("HC", "1", "P"));
        assert!(!ack.accepted());
        assert_eq!(ack.sets.len(), 2);
        assert!(ack.sets[0].accepted());
        assert!(ack.sets[0].errors.is_empty());
        let rejected = &ack.sets[1];
        assert_eq!(rejected.control_number, "0002");
        assert!(!rejected.accepted());
        assert_eq!(
            rejected.errors,
            vec![SegmentError {
                segment_id: "CLM".into(),
                position: 18,
                loop_id: "2300".into(),
                code: "8".into(),
                elements: vec![ElementError {
                    position: 5,
                    component: Some(2),
                    code: "7".into(),
                    bad_value: "Q".into()
                }],
            }]
        );
    }
}
