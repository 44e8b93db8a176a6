//! SIU (SIU_S12 structure) ⇄ appointment: the segments every scheduling notification shares, and S12, a new
//! appointment booked. S13–S15 are in `schedule_event`.

use crate::model::{Appointment, DateTime};

use super::header::{Envelope, msh};
use super::patient::{PatientRecord, pid, read_pid};
use super::provider::provider;
use super::reader::{Located, expect_message_code, required_segment};
use super::schedule_event::ScheduleEvent;
use super::values::{format_minute, parse_minute, parse_number};
use super::{Field, Message, ReadError, Segment};

/// ISO+ unit code for minutes, as SCH-10 and AIP-10 expect.
const MINUTES: &str = "MIN";

/// The schedule's side of a booking: both systems' ids for the appointment and who booked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// SCH-1: the appointment id in the system that asked for the booking.
    pub placer_appointment_id: String,
    /// SCH-2: the appointment id in the system that holds the schedule.
    pub filler_appointment_id: String,
    /// SCH-16/SCH-20: the person who booked it (2.5.1 requires both fields).
    pub booked_by: String,
}

/// One SIU^S12 as built or read: for whom, the booking's ids, and the appointment itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledAppointment {
    pub patient: PatientRecord,
    pub booking: Booking,
    pub appointment: Appointment,
}

/// SIU^S12: a new appointment was booked.
pub fn siu_s12(envelope: &Envelope, scheduled: &ScheduledAppointment) -> Message {
    siu(envelope, ScheduleEvent::Booked, "", scheduled)
}

/// MSH, SCH, PID, RGS, AIP. The start and duration are in SCH-9/10/11, which 2.5.1 keeps for backward
/// compatibility and most PM systems still read, and again in AIP-6/9/10 for those that moved on. SCH-6 says
/// which event this is and why (`reason`, or the event's own description when empty); SCH-25 and AIP-12 give the
/// slot's status after it.
pub(super) fn siu(
    envelope: &Envelope,
    event: ScheduleEvent,
    reason: &str,
    scheduled: &ScheduledAppointment,
) -> Message {
    let appointment = &scheduled.appointment;
    let booking = &scheduled.booking;
    let start = format_minute(appointment.start);
    // An end past the calendar's last day is left out rather than wrapped; SCH-9 still carries the duration.
    let end = appointment
        .start
        .0
        .checked_add(jiff::Span::new().minutes(i64::from(appointment.minutes)))
        .map(|end| format_minute(DateTime(end)))
        .unwrap_or_default();
    let minutes = appointment.minutes.to_string();
    let status = || Field::from_components([event.filler_status(), event.filler_status(), "HL70278"]);
    let reason = if reason.is_empty() { event.description() } else { reason };
    let sch = Segment::new("SCH")
        .with(1, booking.placer_appointment_id.as_str())
        .with(2, booking.filler_appointment_id.as_str())
        .with(6, Field::from_components([event.trigger(), reason]))
        .with(9, minutes.as_str())
        .with(10, MINUTES)
        .with(11, Field::from_components(["", "", "", start.as_str(), end.as_str()]))
        .with(16, booking.booked_by.as_str())
        .with(20, booking.booked_by.as_str())
        .with(25, status());
    let aip = Segment::new("AIP")
        .with(1, "1")
        .with(3, provider(&appointment.provider_npi))
        .with(6, start.as_str())
        .with(9, minutes.as_str())
        .with(10, MINUTES)
        .with(12, status());
    Message::new(vec![
        msh(envelope, &event.message_type()),
        sch,
        pid(&scheduled.patient),
        Segment::new("RGS").with(1, "1"),
        aip,
    ])
}

/// The appointment from an SIU: SCH timing first, AIP where SCH is silent.
pub fn read_siu(message: &Message) -> Result<ScheduledAppointment, ReadError> {
    expect_message_code(message, "SIU", "an SIU message such as SIU^S12^SIU_S12")?;
    let sch = required_segment(message, "SCH", "the appointment")?;
    let aip = required_segment(message, "AIP", "the provider the patient will see")?;
    let patient = read_pid(required_segment(message, "PID", "the patient")?)?;
    let (start_at, start_text) = match sch.segment.component(11, 4) {
        "" => ((aip, 6, None), aip.required(6, 1, "the appointment start as YYYYMMDDHHMM")?),
        text => ((sch, 11, Some(4)), text),
    };
    let start = parse_minute(start_text).ok_or_else(|| {
        let (at, field, component) = start_at;
        at.invalid(field, component, start_text, "the appointment start as YYYYMMDDHHMM")
    })?;
    let minutes = match read_minutes(sch, 9)? {
        Some(m) => m,
        None => match read_minutes(aip, 9)? {
            Some(m) => m,
            None => minutes_until_end(sch, start)?,
        },
    };
    Ok(ScheduledAppointment {
        patient,
        booking: Booking {
            placer_appointment_id: sch.segment.component(1, 1).to_string(),
            filler_appointment_id: sch.segment.component(2, 1).to_string(),
            booked_by: sch.segment.component(16, 1).to_string(),
        },
        appointment: Appointment {
            start,
            minutes,
            provider_npi: aip.required(3, 1, "the provider's NPI")?.to_string(),
        },
    })
}

/// A duration field in minutes; `None` when empty. Units other than minutes (SCH-10, AIP-10) are refused rather
/// than misread.
fn read_minutes(at: Located<'_>, field: usize) -> Result<Option<u32>, ReadError> {
    let text = at.segment.value(field);
    if text.is_empty() {
        return Ok(None);
    }
    let units = at.segment.component(field + 1, 1);
    if !units.is_empty() && units != MINUTES {
        return Err(at.invalid(field + 1, None, units, "MIN; durations are read in minutes only"));
    }
    parse_number(text)
        .filter(|m| *m >= 0.0 && m.fract() == 0.0 && *m <= f64::from(u32::MAX))
        .map(|m| Some(m as u32))
        .ok_or_else(|| at.invalid(field, None, text, "the duration in whole minutes"))
}

fn minutes_until_end(sch: Located<'_>, start: DateTime) -> Result<u32, ReadError> {
    let expected = "the appointment duration (SCH-9) or end (SCH-11.5)";
    let end_text = sch.segment.component(11, 5);
    if end_text.is_empty() {
        return Err(ReadError::MissingValue { location: sch.location(9, None), expected });
    }
    let end = parse_minute(end_text).ok_or_else(|| sch.invalid(11, Some(5), end_text, expected))?;
    let minutes = start.0.duration_until(end.0).as_mins();
    u32::try_from(minutes).map_err(|_| sch.invalid(11, Some(5), end_text, "an end after the start"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::hl7v2::fixtures::{booked_visit, envelope, over_the_wire, wire};
    use crate::connect::hl7v2::{Location, Message};

    #[test]
    fn s12_books_the_slot_with_the_provider_as_a_personnel_resource() {
        let message = siu_s12(&envelope("SIU1"), &booked_visit());
        let ids: Vec<&str> = message.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["MSH", "SCH", "PID", "RGS", "AIP"]);
        assert_eq!(wire(&message, "MSH", 9), "SIU^S12^SIU_S12");
        assert_eq!(wire(&message, "SCH", 1), "EMR-APPT-77");
        assert_eq!(wire(&message, "SCH", 2), "PM-APPT-9001");
        assert_eq!(wire(&message, "SCH", 9), "30");
        assert_eq!(wire(&message, "SCH", 10), "MIN");
        assert_eq!(wire(&message, "SCH", 11), "^^^202612010900^202612010930");
        assert_eq!(wire(&message, "SCH", 25), "Booked^Booked^HL70278");
        assert_eq!(wire(&message, "AIP", 3), "1234567893^^^^^^^^^^^^NPI");
        assert_eq!(wire(&message, "PID", 5), "Lopez-Hernandez^Ana^Maria^^^^L");
    }

    #[test]
    fn the_appointment_survives_the_round_trip() {
        let booked = booked_visit();
        assert_eq!(read_siu(&over_the_wire(&siu_s12(&envelope("SIU2"), &booked))).unwrap(), booked);
    }

    #[test]
    fn timing_is_read_from_aip_or_from_the_end_when_sch_is_silent() {
        let booked = booked_visit();
        let mut message = siu_s12(&envelope("SIU3"), &booked);
        let sch = message.segments.iter_mut().find(|s| s.id == "SCH").unwrap();
        sch.set(11, "");
        let from_aip = read_siu(&message).unwrap();
        assert_eq!(from_aip.appointment, booked.appointment);

        let mut message = siu_s12(&envelope("SIU3"), &booked);
        for segment in message.segments.iter_mut().filter(|s| s.id == "SCH" || s.id == "AIP") {
            segment.set(9, "");
        }
        assert_eq!(read_siu(&message).unwrap().appointment, booked.appointment);
    }

    #[test]
    fn durations_in_other_units_or_bad_starts_are_refused_with_their_place() {
        let text = siu_s12(&envelope("SIU4"), &booked_visit()).to_er7();
        let hours = Message::parse(&text.replace("|30|MIN|", "|1|HR|")).unwrap();
        assert!(matches!(
            read_siu(&hours),
            Err(ReadError::InvalidValue { location, .. }) if location == Location::new(2, "SCH", 10, None)
        ));
        let bad_start = Message::parse(&text.replace("^^^202612010900^", "^^^soon^")).unwrap();
        assert_eq!(
            read_siu(&bad_start).unwrap_err().to_string(),
            "SCH-11.4 (segment 2) is `soon`; expected the appointment start as YYYYMMDDHHMM"
        );
    }
}
