//! ADT^A04 (register a patient) and ADT^A08 (update their information) ⇄ patient and coverages.

use super::event::evn;
use super::header::{Envelope, MessageType, msh};
use super::insurance::{BillingOrder, in1, read_in1};
use super::patient::{PatientRecord, pid, read_pid};
use super::reader::{expect_message_code, required_segment, segments};
use super::visit::pv1_outpatient;
use super::{Message, ReadError};

/// What happened to the patient, as the ADT trigger says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdtEvent {
    /// A04: registered at the front desk.
    Register,
    /// A08: demographics or insurance changed.
    Update,
}

impl AdtEvent {
    pub fn trigger(self) -> &'static str {
        match self {
            AdtEvent::Register => "A04",
            AdtEvent::Update => "A08",
        }
    }

    /// Both triggers share the ADT_A01 message structure in 2.5.1.
    pub fn message_type(self) -> MessageType {
        MessageType::new("ADT", self.trigger(), "ADT_A01")
    }
}

pub fn adt_a04(envelope: &Envelope, record: &PatientRecord) -> Message {
    adt(envelope, AdtEvent::Register, record)
}

pub fn adt_a08(envelope: &Envelope, record: &PatientRecord) -> Message {
    adt(envelope, AdtEvent::Update, record)
}

/// MSH, EVN, PID, PV1, then one IN1 per coverage, primary first.
pub fn adt(envelope: &Envelope, event: AdtEvent, record: &PatientRecord) -> Message {
    let mut segments = vec![
        msh(envelope, &event.message_type()),
        evn(event.trigger(), envelope.sent_at),
        pid(record),
        pv1_outpatient(),
    ];
    let coverages = [
        (record.patient.coverage.as_ref(), BillingOrder::Primary),
        (record.patient.secondary_coverage.as_ref(), BillingOrder::Secondary),
    ];
    let present = coverages.into_iter().filter_map(|(coverage, order)| Some((coverage?, order)));
    segments.extend(present.enumerate().map(|(i, (coverage, order))| in1(i + 1, coverage, order)));
    Message::new(segments)
}

/// The patient and their coverages from any ADT message with PID (and IN1 when insured).
///
/// An IN1 that does not give its billing order is primary if it comes first, secondary otherwise.
pub fn read_adt(message: &Message) -> Result<PatientRecord, ReadError> {
    expect_message_code(message, "ADT", "an ADT message such as ADT^A04^ADT_A01")?;
    let mut record = read_pid(required_segment(message, "PID", "the patient")?)?;
    for (i, segment) in segments(message, "IN1").enumerate() {
        let fallback = if i == 0 { BillingOrder::Primary } else { BillingOrder::Secondary };
        let (coverage, order) = read_in1(segment, fallback)?;
        let slot = match order {
            BillingOrder::Primary => &mut record.patient.coverage,
            BillingOrder::Secondary => &mut record.patient.secondary_coverage,
        };
        slot.get_or_insert(coverage);
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::hl7v2::fixtures::{ana, awkward, envelope, over_the_wire, wire};
    use crate::connect::hl7v2::{Field, Location, Segment};

    #[test]
    fn a04_carries_demographics_in_pid_and_each_coverage_in_in1() {
        let message = adt_a04(&envelope("MSG0001"), &ana());
        let ids: Vec<&str> = message.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["MSH", "EVN", "PID", "PV1", "IN1", "IN1"]);
        assert_eq!(wire(&message, "MSH", 9), "ADT^A04^ADT_A01");
        assert_eq!(wire(&message, "MSH", 10), "MSG0001");
        assert_eq!(wire(&message, "MSH", 12), "2.5.1");
        assert_eq!(wire(&message, "EVN", 1), "A04");
        assert_eq!(wire(&message, "PID", 3), "EMR-000123^^^HANDOFF-EMR^MR~t-42^^^&urn:handoff:tracking&URI");
        assert_eq!(wire(&message, "PID", 5), "Lopez-Hernandez^Ana^Maria^^^^L");
        assert_eq!(wire(&message, "PID", 7), "19580312");
        assert_eq!(wire(&message, "PID", 8), "F");
        assert_eq!(wire(&message, "PID", 11), "1200 Bayview Ave Apt 4B^^Tampa^FL^33606^^H");
        assert_eq!(wire(&message, "PID", 13), "(813) 555-0142^PRN^PH^^^813^5550142");
        assert_eq!(wire(&message, "PV1", 2), "O");
        let in1: Vec<_> = message.segments_with_id("IN1").map(|(_, s)| s).collect();
        assert_eq!(
            [in1[0].value(1), in1[0].value(3), in1[0].value(4), in1[0].value(22), in1[0].value(36)],
            ["1", "medicare", "medicare", "1", "1EG4TE5MK72"]
        );
        assert_eq!(in1[0].component(17, 1), "SEL");
        assert_eq!([in1[1].value(1), in1[1].value(22), in1[1].value(36)], ["2", "2", "AMG-99812"]);
    }

    #[test]
    fn a08_differs_only_in_its_trigger() {
        let message = adt_a08(&envelope("MSG0002"), &ana());
        assert_eq!(wire(&message, "MSH", 9), "ADT^A08^ADT_A01");
        assert_eq!(wire(&message, "EVN", 1), "A08");
        assert_eq!(read_adt(&over_the_wire(&message)).unwrap(), ana());
    }

    #[test]
    fn patients_survive_the_round_trip_whatever_their_names_hold() {
        for record in [ana(), awkward()] {
            let message = adt_a04(&envelope("MSG0003"), &record);
            assert_eq!(read_adt(&over_the_wire(&message)).unwrap(), record);
        }
        let message = adt_a04(&envelope("MSG0003"), &awkward());
        assert_eq!(wire(&message, "PID", 3).split('~').next(), Some(r"A\F\1\S\2\T\3\R\4\E\5^^^EMR\S\NORTH^MR"));
        assert_eq!(wire(&message, "PID", 5), "Muñoz-Ríos O'Connor^Sinéad^Zoë Þóra^^^^L");
        assert_eq!(wire(&message, "PID", 8), "O");
    }

    #[test]
    fn an_uninsured_patient_has_no_in1_and_a_lone_secondary_keeps_its_order() {
        let mut record = ana();
        record.patient.coverage = None;
        record.patient.secondary_coverage = None;
        let message = adt_a04(&envelope("1"), &record);
        assert_eq!(message.segments_with_id("IN1").count(), 0);
        assert_eq!(read_adt(&over_the_wire(&message)).unwrap(), record);
        record.patient.secondary_coverage = ana().patient.secondary_coverage;
        let message = adt_a04(&envelope("1"), &record);
        assert_eq!(wire(&message, "IN1", 22), "2");
        assert_eq!(read_adt(&over_the_wire(&message)).unwrap(), record);
    }

    #[test]
    fn coverages_without_a_priority_are_primary_then_secondary() {
        let message = Message::new(vec![
            msh(&envelope("1"), &AdtEvent::Register.message_type()),
            Segment::new("PID").with(3, "9").with(5, Field::from_components(["Doe", "Jo"])).with(7, "20000101"),
            Segment::new("IN1").with(1, "1").with(4, "aetna").with(36, "M1"),
            Segment::new("IN1").with(1, "2").with(3, "cigna").with(17, "SPO").with(36, "M2"),
        ]);
        let text = message.to_er7();
        let patient = read_adt(&Message::parse(&text).unwrap()).unwrap().patient;
        assert_eq!(patient.coverage.map(|c| (c.payer, c.member_id)), Some(("aetna".into(), "M1".into())));
        let secondary = patient.secondary_coverage.unwrap();
        assert_eq!((secondary.payer.as_str(), secondary.relationship), ("cigna", crate::model::Relationship::Spouse));
    }

    #[test]
    fn unreadable_content_is_located() {
        let good = adt_a04(&envelope("1"), &ana()).to_er7();
        let bad_birth = Message::parse(&good.replace("19580312", "1958-03-12")).unwrap();
        assert_eq!(
            read_adt(&bad_birth).unwrap_err(),
            ReadError::InvalidValue {
                location: Location::new(3, "PID", 7, None),
                found: "1958-03-12".into(),
                expected: "the birth date as YYYYMMDD"
            }
        );
        let no_member_id = Message::parse(&good.replace("|1EG4TE5MK72", "|")).unwrap();
        assert_eq!(
            read_adt(&no_member_id).unwrap_err().to_string(),
            "IN1-36 (segment 5) is empty; expected the member id on the insurance card (policy number)"
        );
        let no_pid = Message::parse("MSH|^~\\&|||||||ADT^A04^ADT_A01|1|P|2.5.1\rEVN|A04\r").unwrap();
        assert!(matches!(read_adt(&no_pid), Err(ReadError::MissingSegment { segment_id: "PID", .. })));
        let siu = Message::parse("MSH|^~\\&|||||||SIU^S12^SIU_S12|1|P|2.5.1\r").unwrap();
        assert!(matches!(read_adt(&siu), Err(ReadError::WrongMessageType { found, .. }) if found == "SIU^S12^SIU_S12"));
    }
}
