//! What an SIU notification says happened to an appointment — booked (S12), rescheduled (S13), modified (S14) or
//! cancelled (S15) — with the S13–S15 builders and the reader that tells the four apart.

use super::header::{Envelope, MessageType};
use super::reader::{expect_message_code, required_segment};
use super::siu::{ScheduledAppointment, read_siu, siu};
use super::{Location, Message, ReadError};

/// The trigger event of an SIU notification from the system that holds the schedule. All four share the
/// SIU_S12 message structure in 2.5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleEvent {
    /// S12: a new appointment was booked.
    Booked,
    /// S13: an existing appointment moved; SCH and AIP give the new start and duration.
    Rescheduled,
    /// S14: something other than the time changed (the provider, the duration, the reason).
    Modified,
    /// S15: the appointment will not take place; the message still describes it so the receiver can find it.
    Cancelled,
}

/// HL7 table 0278 (filler status codes) values these notices leave the slot in.
const BOOKED: &str = "Booked";
const CANCELLED: &str = "Cancelled";

impl ScheduleEvent {
    pub fn trigger(self) -> &'static str {
        match self {
            ScheduleEvent::Booked => "S12",
            ScheduleEvent::Rescheduled => "S13",
            ScheduleEvent::Modified => "S14",
            ScheduleEvent::Cancelled => "S15",
        }
    }

    pub fn from_trigger(trigger: &str) -> Option<ScheduleEvent> {
        [ScheduleEvent::Booked, ScheduleEvent::Rescheduled, ScheduleEvent::Modified, ScheduleEvent::Cancelled]
            .into_iter()
            .find(|event| event.trigger() == trigger)
    }

    pub fn message_type(self) -> MessageType {
        MessageType::new("SIU", self.trigger(), "SIU_S12")
    }

    /// SCH-6.2 when the sender gives no reason of its own.
    pub fn description(self) -> &'static str {
        match self {
            ScheduleEvent::Booked => "New appointment booked",
            ScheduleEvent::Rescheduled => "Appointment rescheduled",
            ScheduleEvent::Modified => "Appointment modified",
            ScheduleEvent::Cancelled => "Appointment cancelled",
        }
    }

    /// SCH-25 and AIP-12 (table 0278): a moved or modified appointment is still booked; a cancelled one is not.
    pub fn filler_status(self) -> &'static str {
        match self {
            ScheduleEvent::Cancelled => CANCELLED,
            ScheduleEvent::Booked | ScheduleEvent::Rescheduled | ScheduleEvent::Modified => BOOKED,
        }
    }
}

/// One SIU notification as read: what happened, why, and the appointment as it now stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleNotice {
    pub event: ScheduleEvent,
    /// SCH-6: the sender's reason in words (SCH-6.2), or its code (SCH-6.1) when it gave no text.
    pub reason: String,
    pub scheduled: ScheduledAppointment,
}

/// SIU^S13: the appointment moved to the start and duration in `scheduled`. An empty `reason` is sent as
/// "Appointment rescheduled".
pub fn siu_s13(envelope: &Envelope, scheduled: &ScheduledAppointment, reason: &str) -> Message {
    siu(envelope, ScheduleEvent::Rescheduled, reason, scheduled)
}

/// SIU^S14: the appointment changed in some way other than its time.
pub fn siu_s14(envelope: &Envelope, scheduled: &ScheduledAppointment, reason: &str) -> Message {
    siu(envelope, ScheduleEvent::Modified, reason, scheduled)
}

/// SIU^S15: the appointment is cancelled; SCH-25 and AIP-12 say `Cancelled`.
pub fn siu_s15(envelope: &Envelope, scheduled: &ScheduledAppointment, reason: &str) -> Message {
    siu(envelope, ScheduleEvent::Cancelled, reason, scheduled)
}

/// Any SIU^S12–S15: the event from MSH-9.2, the reason from SCH-6, the appointment as [`read_siu`] reads it.
pub fn read_schedule_notice(message: &Message) -> Result<ScheduleNotice, ReadError> {
    const EXPECTED: &str = "a scheduling notification S12, S13, S14 or S15";
    expect_message_code(message, "SIU", "an SIU message such as SIU^S13^SIU_S12")?;
    let trigger = message.segment("MSH").map(|msh| msh.component(9, 2)).unwrap_or_default();
    let event = ScheduleEvent::from_trigger(trigger).ok_or_else(|| {
        let location = Location::new(1, "MSH", 9, Some(2));
        match trigger {
            "" => ReadError::MissingValue { location, expected: EXPECTED },
            found => ReadError::InvalidValue { location, found: found.to_string(), expected: EXPECTED },
        }
    })?;
    let sch = required_segment(message, "SCH", "the appointment")?;
    let reason = [sch.segment.component(6, 2), sch.segment.component(6, 1)]
        .into_iter()
        .find(|text| !text.is_empty())
        .ok_or(ReadError::MissingValue { location: sch.location(6, None), expected: "the event reason" })?;
    Ok(ScheduleNotice { event, reason: reason.to_string(), scheduled: read_siu(message)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::hl7v2::fixtures::{booked_visit, envelope, over_the_wire, rescheduled_visit, wire};
    use crate::connect::hl7v2::siu_s12;

    #[test]
    fn s13_carries_the_new_time_and_stays_booked() {
        let message = siu_s13(&envelope("SIU13"), &rescheduled_visit(), "Patient asked for an afternoon slot");
        let ids: Vec<&str> = message.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["MSH", "SCH", "PID", "RGS", "AIP"]);
        assert_eq!(wire(&message, "MSH", 9), "SIU^S13^SIU_S12");
        assert_eq!(wire(&message, "SCH", 1), "EMR-APPT-77");
        assert_eq!(wire(&message, "SCH", 6), "S13^Patient asked for an afternoon slot");
        assert_eq!(wire(&message, "SCH", 9), "45");
        assert_eq!(wire(&message, "SCH", 11), "^^^202612031415^202612031500");
        assert_eq!(wire(&message, "SCH", 25), "Booked^Booked^HL70278");
        assert_eq!(wire(&message, "AIP", 6), "202612031415");
        assert_eq!(wire(&message, "AIP", 12), "Booked^Booked^HL70278");
    }

    #[test]
    fn s14_and_s15_differ_in_trigger_and_status() {
        let s14 = siu_s14(&envelope("SIU14"), &booked_visit(), "");
        assert_eq!(wire(&s14, "MSH", 9), "SIU^S14^SIU_S12");
        assert_eq!(wire(&s14, "SCH", 6), "S14^Appointment modified");
        assert_eq!(wire(&s14, "SCH", 25), "Booked^Booked^HL70278");
        let s15 = siu_s15(&envelope("SIU15"), &booked_visit(), "Patient cancelled");
        assert_eq!(wire(&s15, "MSH", 9), "SIU^S15^SIU_S12");
        assert_eq!(wire(&s15, "SCH", 6), "S15^Patient cancelled");
        assert_eq!(wire(&s15, "SCH", 25), "Cancelled^Cancelled^HL70278");
        assert_eq!(wire(&s15, "AIP", 12), "Cancelled^Cancelled^HL70278");
        // The cancelled appointment is still described, so the receiver can find the one to cancel.
        assert_eq!(wire(&s15, "SCH", 11), "^^^202612010900^202612010930");
    }

    #[test]
    fn every_notice_survives_the_round_trip_with_its_event_and_reason() {
        let cases = [
            (
                siu_s12(&envelope("N12"), &booked_visit()),
                ScheduleEvent::Booked,
                "New appointment booked",
                booked_visit(),
            ),
            (
                siu_s13(&envelope("N13"), &rescheduled_visit(), "Provider out"),
                ScheduleEvent::Rescheduled,
                "Provider out",
                rescheduled_visit(),
            ),
            (
                siu_s14(&envelope("N14"), &booked_visit(), ""),
                ScheduleEvent::Modified,
                "Appointment modified",
                booked_visit(),
            ),
            (
                siu_s15(&envelope("N15"), &booked_visit(), "No transport | rebook ^ later"),
                ScheduleEvent::Cancelled,
                "No transport | rebook ^ later",
                booked_visit(),
            ),
        ];
        for (message, event, reason, scheduled) in cases {
            let notice = read_schedule_notice(&over_the_wire(&message)).unwrap();
            assert_eq!(notice, ScheduleNotice { event, reason: reason.to_string(), scheduled });
        }
    }

    #[test]
    fn unknown_triggers_and_missing_reasons_are_located() {
        let text = siu_s15(&envelope("N16"), &booked_visit(), "").to_er7();
        let s26 = Message::parse(&text.replace("SIU^S15^SIU_S12", "SIU^S26^SIU_S12")).unwrap();
        let error = read_schedule_notice(&s26).unwrap_err();
        assert_eq!(
            error,
            ReadError::InvalidValue {
                location: Location::new(1, "MSH", 9, Some(2)),
                found: "S26".into(),
                expected: "a scheduling notification S12, S13, S14 or S15"
            }
        );
        assert_eq!(
            error.to_string(),
            "MSH-9.2 (segment 1) is `S26`; expected a scheduling notification S12, S13, S14 or S15"
        );
        let no_reason = Message::parse(&text.replace("|S15^Appointment cancelled|", "||")).unwrap();
        assert_eq!(
            read_schedule_notice(&no_reason).unwrap_err().to_string(),
            "SCH-6 (segment 2) is empty; expected the event reason"
        );
        let code_only = Message::parse(&text.replace("|S15^Appointment cancelled|", "|PATCXL|")).unwrap();
        assert_eq!(read_schedule_notice(&code_only).unwrap().reason, "PATCXL");
        let no_provider = Message::parse(&text.replace("AIP|1||1234567893^^^^^^^^^^^^NPI|", "AIP|1|||")).unwrap();
        assert_eq!(
            read_schedule_notice(&no_provider).unwrap_err().to_string(),
            "AIP-3 (segment 5) is empty; expected the provider's NPI"
        );
    }
}
