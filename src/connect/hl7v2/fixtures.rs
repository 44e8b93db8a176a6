//! Sample patients, visits and envelopes shared by the HL7 tests, with the awkward names real practices have.

use crate::model::{
    Address, Appointment, Coverage, Diagnosis, Encounter, HumanName, Identifier, Patient, Relationship, ServiceLine,
    Sex,
};

use super::{Booking, Envelope, PatientId, PatientMerge, PatientRecord, Route, ScheduledAppointment};

pub fn envelope(control_id: &str) -> Envelope {
    Envelope {
        route: Route {
            sending_application: "HANDOFF-EMR".into(),
            sending_facility: "BAYVIEW CLINIC".into(),
            receiving_application: "HANDOFF-PM".into(),
            receiving_facility: "BAYVIEW CLINIC".into(),
        },
        control_id: control_id.into(),
        sent_at: "2026-12-01T14:30:00Z".parse().unwrap(),
    }
}

/// The DESIGN.md example patient, with Medicare primary and a Medigap secondary.
pub fn ana() -> PatientRecord {
    PatientRecord {
        id: PatientId { value: "EMR-000123".into(), assigning_authority: "HANDOFF-EMR".into() },
        patient: Patient {
            identifiers: vec![Identifier { system: "urn:handoff:tracking".into(), value: "t-42".into() }],
            coverage: Some(Coverage {
                payer: "medicare".into(),
                member_id: "1EG4TE5MK72".into(),
                relationship: Relationship::Self_,
            }),
            secondary_coverage: Some(Coverage {
                payer: "aarp-medigap".into(),
                member_id: "AMG-99812".into(),
                relationship: Relationship::Self_,
            }),
            ..crate::model::fixtures::ana()
        },
    }
}

/// Every character that means something in ER7 appears in a value somewhere here.
pub fn awkward() -> PatientRecord {
    PatientRecord {
        id: PatientId { value: r"A|1^2&3~4\5".into(), assigning_authority: "EMR^NORTH".into() },
        patient: Patient {
            name: HumanName {
                given: vec!["Sinéad".into(), "Zoë Þóra".into()], family: "Muñoz-Ríos O'Connor".into()
            },
            birth_date: "2019-07-04".parse().unwrap(),
            sex: Sex::Other,
            address: Some(Address {
                line: vec![r"12 Pipe|Caret^ St".into(), r"Unit &~\ 3".into()],
                city: "San José".into(),
                state: "CA".into(),
                postal_code: "95112-1234".into(),
            }),
            phone: Some("+1 408 555 0100 ext. 7".into()),
            identifiers: vec![
                Identifier { system: r"urn:x&y".into(), value: r"v~1".into() },
                Identifier { system: "urn:oid:2.16.840.1.113883.4.1".into(), value: "123-45-6789".into() },
            ],
            coverage: Some(Coverage {
                payer: r"Blue Cross | Blue Shield ^ of CA".into(),
                member_id: r"XYZ\123&456".into(),
                relationship: Relationship::Child,
            }),
            secondary_coverage: Some(Coverage {
                payer: "aetna".into(),
                member_id: "W2000~1".into(),
                relationship: Relationship::Spouse,
            }),
        },
    }
}

pub fn visit() -> Encounter {
    let line = |code: &str, modifiers: &[&str], units: f64, dx_pointers: Vec<u8>| ServiceLine {
        code: code.into(),
        modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
        units,
        dx_pointers,
        place_of_service: "11".into(),
        date_of_service: "2026-12-01".parse().unwrap(),
        rendering_npi: "1234567893".into(),
    };
    Encounter {
        date_of_service: "2026-12-01".parse().unwrap(),
        place_of_service: "11".into(),
        rendering_npi: "1234567893".into(),
        diagnoses: ["E11.65", "I10", "Z79.4"].iter().map(|c| Diagnosis { code: c.to_string() }).collect(),
        service_lines: vec![
            line("99214", &["25", "GC"], 1.0, vec![1, 2]),
            line("83036", &[], 1.0, vec![1]),
            line("J1815", &[], 2.5, vec![1, 3]),
        ],
    }
}

/// SIU and DFT carry no IN1, so a patient read back from them has no coverage.
pub fn uninsured(mut record: PatientRecord) -> PatientRecord {
    record.patient.coverage = None;
    record.patient.secondary_coverage = None;
    record
}

/// Ana, found registered twice: once more at the EMR and once at a hospital that assigns OIDs. A merge carries no
/// IN1, so the surviving patient has no coverage.
pub fn merged_duplicate() -> PatientMerge {
    PatientMerge {
        surviving: uninsured(ana()),
        retired: vec![
            PatientId { value: "EMR-000998".into(), assigning_authority: "HANDOFF-EMR".into() },
            PatientId { value: "4471".into(), assigning_authority: "urn:oid:2.16.840.1.113883.19".into() },
        ],
    }
}

pub fn booked_visit() -> ScheduledAppointment {
    ScheduledAppointment {
        patient: uninsured(ana()),
        booking: Booking {
            placer_appointment_id: "EMR-APPT-77".into(),
            filler_appointment_id: "PM-APPT-9001".into(),
            booked_by: "frontdesk".into(),
        },
        appointment: Appointment {
            start: "2026-12-01T09:00".parse().unwrap(),
            minutes: 30,
            provider_npi: "1234567893".into(),
        },
    }
}

/// The same visit moved to an afternoon two days later and lengthened to 45 minutes.
pub fn rescheduled_visit() -> ScheduledAppointment {
    let mut moved = booked_visit();
    moved.appointment.start = "2026-12-03T14:15".parse().unwrap();
    moved.appointment.minutes = 45;
    moved
}

/// What the receiver sees: the message written to ER7 and parsed back.
pub fn over_the_wire(message: &super::Message) -> super::Message {
    super::Message::parse(&message.to_er7()).unwrap()
}

/// Field `n` of the first `segment_id` segment, as on the wire.
pub fn wire(message: &super::Message, segment_id: &str, n: usize) -> String {
    message.encoded_field(segment_id, n).unwrap_or_else(|| panic!("no {segment_id} segment"))
}
