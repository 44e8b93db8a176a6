//! ADT^A40 (merge patient – patient identifier list) ⇄ the patient who remains and the record numbers retired
//! into them, as a practice sends when it finds one patient registered twice.

use super::event::evn;
use super::header::{Envelope, MessageType, msh};
use super::patient::{PatientId, PatientRecord, pid, read_pid, read_record_number, record_number};
use super::reader::{expect_message_code, required_segment};
use super::{Field, Message, ReadError, Segment};

/// One ADT^A40 as built or read.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientMerge {
    /// PID: the patient as they stand after the merge, under the record number that survives.
    pub surviving: PatientRecord,
    /// MRG-1: the record numbers the duplicate was filed under. A receiver moves whatever it holds under them to
    /// the surviving patient and never sees them again.
    pub retired: Vec<PatientId>,
}

/// The A40 trigger with the ADT_A39 structure that 2.5.1 gives every merge event.
fn merge_message_type() -> MessageType {
    MessageType::new("ADT", "A40", "ADT_A39")
}

/// MSH, EVN, PID, MRG. The optional PV1 is left out: a merge at the patient level moves every visit with it.
pub fn adt_a40(envelope: &Envelope, merge: &PatientMerge) -> Message {
    let message_type = merge_message_type();
    let mrg = Segment::new("MRG").with(1, Field::from_repetitions(merge.retired.iter().map(record_number)));
    Message::new(vec![
        msh(envelope, &message_type),
        evn(&message_type.trigger, envelope.sent_at),
        pid(&merge.surviving),
        mrg,
    ])
}

/// The surviving patient from PID and every retired record number from MRG-1, from any ADT merge that carries
/// them (A40, or the older A34 and A18).
pub fn read_adt_a40(message: &Message) -> Result<PatientMerge, ReadError> {
    expect_message_code(message, "ADT", "an ADT merge such as ADT^A40^ADT_A39")?;
    let surviving = read_pid(required_segment(message, "PID", "the surviving patient")?)?;
    let mrg = required_segment(message, "MRG", "the record numbers merged away")?;
    let retired: Vec<PatientId> = mrg.segment.repetitions(1).iter().filter_map(read_record_number).collect();
    if retired.is_empty() {
        return Err(ReadError::MissingValue {
            location: mrg.location(1, None),
            expected: "the retired record number (CX with assigning authority in CX.4)",
        });
    }
    Ok(PatientMerge { surviving, retired })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::hl7v2::fixtures::{envelope, merged_duplicate, over_the_wire, wire};
    use crate::connect::hl7v2::{Location, read_adt};

    #[test]
    fn a40_names_the_survivor_in_pid_and_the_duplicates_in_mrg() {
        let message = adt_a40(&envelope("MRG1"), &merged_duplicate());
        let ids: Vec<&str> = message.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["MSH", "EVN", "PID", "MRG"]);
        assert_eq!(wire(&message, "MSH", 9), "ADT^A40^ADT_A39");
        assert_eq!(wire(&message, "EVN", 1), "A40");
        assert_eq!(wire(&message, "PID", 3), "EMR-000123^^^HANDOFF-EMR^MR~t-42^^^&urn:handoff:tracking&URI");
        assert_eq!(wire(&message, "MRG", 1), "EMR-000998^^^HANDOFF-EMR^MR~4471^^^&2.16.840.1.113883.19&ISO^MR");
    }

    #[test]
    fn the_merge_survives_the_round_trip() {
        let merge = merged_duplicate();
        let read = read_adt_a40(&over_the_wire(&adt_a40(&envelope("MRG2"), &merge))).unwrap();
        assert_eq!(read, merge);
        assert_eq!(read.retired[1].assigning_authority, "urn:oid:2.16.840.1.113883.19");
        // The surviving patient is what an ADT reader sees too, so a receiver that knows only A04/A08 still
        // files the demographics under the right record number.
        assert_eq!(read_adt(&over_the_wire(&adt_a40(&envelope("MRG2"), &merge))).unwrap(), merge.surviving);
    }

    #[test]
    fn a_merge_without_a_retired_number_is_located() {
        let text = adt_a40(&envelope("MRG3"), &merged_duplicate()).to_er7();
        let retired = "MRG|EMR-000998^^^HANDOFF-EMR^MR~4471^^^&2.16.840.1.113883.19&ISO^MR";
        let empty = Message::parse(&text.replace(retired, "MRG|^^^HANDOFF-EMR^MR")).unwrap();
        let error = read_adt_a40(&empty).unwrap_err();
        assert_eq!(
            error,
            ReadError::MissingValue {
                location: Location::new(4, "MRG", 1, None),
                expected: "the retired record number (CX with assigning authority in CX.4)"
            }
        );
        assert_eq!(
            error.to_string(),
            "MRG-1 (segment 4) is empty; expected the retired record number (CX with assigning authority in CX.4)"
        );
        let a04 =
            Message::parse(&text.replace("ADT^A40^ADT_A39", "ADT^A04^ADT_A01").replace("\rMRG|", "\rZZZ|")).unwrap();
        assert!(matches!(read_adt_a40(&a04), Err(ReadError::MissingSegment { segment_id: "MRG", .. })));
        let siu = Message::parse(&text.replace("ADT^A40^ADT_A39", "SIU^S12^SIU_S12")).unwrap();
        assert!(read_adt_a40(&siu).unwrap_err().to_string().starts_with("MSH-9 (segment 1) is `SIU^S12^SIU_S12`"));
    }
}
