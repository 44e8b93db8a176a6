//! DFT^P03 (post charges) ⇄ the visit's ranked diagnoses and its charges, as an EMR hands them to a PM.

use crate::model::{Charge, Diagnosis, Encounter};

use super::charge::{ft1, read_ft1};
use super::diagnosis::{dg1, read_dg1};
use super::event::evn;
use super::header::{Envelope, MessageType, msh};
use super::patient::{PatientRecord, pid, read_pid};
use super::reader::{expect_message_code, required_segment, segments};
use super::visit::{pv1_outpatient, pv1_visit};
use super::{Message, ReadError};

/// One DFT^P03 as built or read: whose charges, the visit's diagnoses in rank order, and the charges.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedCharges {
    pub patient: PatientRecord,
    /// Ranked; the first is principal.
    pub diagnoses: Vec<Diagnosis>,
    pub charges: Vec<Charge>,
    /// PV1-19: the sender's id for the visit, which every DFT about that visit carries.
    pub visit_number: Option<String>,
}

impl PostedCharges {
    /// The charges a documented visit produces: one per service line, each carrying the diagnosis codes its
    /// pointers resolve to (FT1-19 holds codes, not pointers).
    pub fn from_encounter(patient: PatientRecord, encounter: &Encounter) -> PostedCharges {
        PostedCharges {
            patient,
            diagnoses: encounter.diagnoses.clone(),
            charges: encounter.charges(),
            visit_number: None,
        }
    }
}

/// MSH, EVN, PID, PV1, one FT1 per charge, then one DG1 per diagnosis in rank order.
pub fn dft_p03(envelope: &Envelope, posted: &PostedCharges) -> Message {
    let mut segments = vec![
        msh(envelope, &MessageType::new("DFT", "P03", "DFT_P03")),
        evn("P03", envelope.sent_at),
        pid(&posted.patient),
        match &posted.visit_number {
            Some(number) => pv1_visit(number),
            None => pv1_outpatient(),
        },
    ];
    segments.extend(posted.charges.iter().enumerate().map(|(i, charge)| ft1(i + 1, charge)));
    segments.extend(posted.diagnoses.iter().enumerate().map(|(i, diagnosis)| dg1(i + 1, diagnosis)));
    Message::new(segments)
}

/// Charges in FT1 order and diagnoses ranked by DG1-15; a DG1 without a priority ranks after those with one,
/// in message order.
pub fn read_dft(message: &Message) -> Result<PostedCharges, ReadError> {
    expect_message_code(message, "DFT", "a DFT message such as DFT^P03^DFT_P03")?;
    let patient = read_pid(required_segment(message, "PID", "the patient")?)?;
    let charges = segments(message, "FT1").map(read_ft1).collect::<Result<Vec<_>, _>>()?;
    let mut ranked = segments(message, "DG1").map(read_dg1).collect::<Result<Vec<_>, _>>()?;
    // A stable sort keeps message order among equal or missing priorities.
    ranked.sort_by_key(|(_, priority)| priority.unwrap_or(u32::MAX));
    let visit_number =
        message.segments_with_id("PV1").next().map(|(_, pv1)| pv1.value(19).to_string()).filter(|v| !v.is_empty());
    Ok(PostedCharges { patient, diagnoses: ranked.into_iter().map(|(d, _)| d).collect(), charges, visit_number })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::hl7v2::fixtures::{ana, awkward, envelope, over_the_wire, uninsured, visit, wire};
    use crate::connect::hl7v2::{Field, Location, Segment};

    fn posted() -> PostedCharges {
        PostedCharges::from_encounter(uninsured(ana()), &visit())
    }

    #[test]
    fn p03_posts_one_ft1_per_service_then_ranked_dg1s() {
        let message = dft_p03(&envelope("DFT1"), &posted());
        let ids: Vec<&str> = message.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["MSH", "EVN", "PID", "PV1", "FT1", "FT1", "FT1", "DG1", "DG1", "DG1"]);
        assert_eq!(wire(&message, "MSH", 9), "DFT^P03^DFT_P03");
        assert_eq!(wire(&message, "EVN", 1), "P03");
        let ft1 = |n: usize| wire(&message, "FT1", n);
        assert_eq!(ft1(1), "1");
        assert_eq!(ft1(4), "20261201");
        assert_eq!(ft1(6), "CG");
        assert_eq!(ft1(7), "99214^^C4");
        assert_eq!(ft1(10), "1");
        assert_eq!(ft1(16), "11");
        assert_eq!(ft1(19), "E11.65^^I10~I10^^I10");
        assert_eq!(ft1(20), "1234567893^^^^^^^^^^^^NPI");
        assert_eq!(ft1(25), "99214^^C4");
        assert_eq!(ft1(26), "25~GC");
        let hcpcs = message.segments_with_id("FT1").nth(2).unwrap().1;
        assert_eq!((hcpcs.component(25, 3), hcpcs.value(10)), ("HCPCS", "2.5"));
        let dg1: Vec<_> = message.segments_with_id("DG1").map(|(_, s)| s).collect();
        let summary: Vec<_> = dg1.iter().map(|s| (s.value(1), s.component(3, 1), s.value(6), s.value(15))).collect();
        assert_eq!(summary, [("1", "E11.65", "F", "1"), ("2", "I10", "F", "2"), ("3", "Z79.4", "F", "3")]);
        assert_eq!(wire(&message, "DG1", 3), "E11.65^^I10");
    }

    #[test]
    fn diagnoses_and_charges_survive_the_round_trip() {
        for patient in [ana(), awkward()] {
            let posted = PostedCharges::from_encounter(uninsured(patient), &visit());
            assert_eq!(read_dft(&over_the_wire(&dft_p03(&envelope("DFT2"), &posted))).unwrap(), posted);
        }
    }

    #[test]
    fn diagnoses_are_ranked_by_priority_not_by_order_of_arrival() {
        let mut message = dft_p03(&envelope("DFT3"), &posted());
        message.segments.retain(|s| s.id != "DG1");
        message.segments.extend([
            Segment::new("DG1").with(1, "1").with(3, "I10").with(6, "F").with(15, "2"),
            Segment::new("DG1").with(1, "2").with(3, "R73.9").with(6, "F"),
            Segment::new("DG1").with(1, "3").with(3, "E11.65").with(6, "F").with(15, "1"),
        ]);
        let codes: Vec<String> = read_dft(&message).unwrap().diagnoses.into_iter().map(|d| d.code).collect();
        assert_eq!(codes, ["E11.65", "I10", "R73.9"]);
    }

    #[test]
    fn a_charge_with_only_ft1_7_and_no_quantity_is_one_unit_of_that_code() {
        let mut message = dft_p03(&envelope("DFT4"), &posted());
        let ft1 = message.segments.iter_mut().find(|s| s.id == "FT1").unwrap();
        ft1.set(25, Field::default());
        ft1.set(10, "");
        let charge = &read_dft(&message).unwrap().charges[0];
        assert_eq!((charge.code.as_str(), charge.units), ("99214", 1.0));
    }

    #[test]
    fn unreadable_charges_are_located() {
        let text = dft_p03(&envelope("DFT5"), &posted()).to_er7();
        let bad_units = Message::parse(&text.replacen("|CG|99214^^C4|||1|", "|CG|99214^^C4|||one|", 1)).unwrap();
        assert_eq!(
            read_dft(&bad_units).unwrap_err(),
            ReadError::InvalidValue {
                location: Location::new(5, "FT1", 10, None),
                found: "one".into(),
                expected: "the number of units"
            }
        );
        let mut bad_rank = Message::parse(&text).unwrap();
        bad_rank.segments.iter_mut().find(|s| s.id == "DG1").unwrap().set(15, "first");
        assert!(read_dft(&bad_rank).unwrap_err().to_string().starts_with("DG1-15 (segment 8) is `first`"));
    }
}
