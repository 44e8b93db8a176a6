//! A system's HL7 v2.5.1 interface as one of its channels: actions go to its inbound port over MLLP, and what its
//! outbound interface emits to the harness's own port is acknowledged, kept, and read back as the role's records.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::connect::hl7v2::{
    self, AckCode, Acknowledgment, Booking, Envelope, ErrorCondition, Message, MessageHeader, MllpError, PatientId,
    PatientRecord, PostedCharges, ReadError, Route, ScheduledAppointment,
};
use crate::connect::wire::{Direction, PatientRef, Scope, WireFormat, WireTap};
use crate::connect::{Action, AdapterError, Applied, Query, Records, Versioned};
use crate::model::{Appointment, Charge, Diagnosis, Encounter, Identifier, Patient, ServiceLine};

/// Where and how the harness talks to one system's interface.
#[derive(Debug, Clone)]
pub struct InterfaceSettings {
    /// `host:port` of the system's inbound interface.
    pub send_to: Option<String>,
    /// Where the harness receives what the system emits.
    pub listen: Option<SocketAddr>,
    /// MSH-3 to MSH-6 of what the harness sends.
    pub route: Route,
    /// How long to wait for each ACK.
    pub timeout: Duration,
}

pub struct InterfaceChannel {
    settings: InterfaceSettings,
    /// Patients registered through this interface, by the PID-3 id the harness gave them: every later message
    /// about them carries the same PID.
    registered: Mutex<HashMap<String, PatientRecord>>,
    sent: AtomicU64,
    /// Unique per channel, so two runs against one interface do not reuse control ids.
    control_prefix: String,
    received: Option<(Arc<Received>, JoinHandle<()>)>,
    /// Where each message sent and each ACK read is recorded, when the run keeps them.
    wire: Option<WireTap>,
}

impl Drop for InterfaceChannel {
    fn drop(&mut self) {
        if let Some((_, listener)) = &self.received {
            listener.abort();
        }
    }
}

impl InterfaceChannel {
    /// Binds the `listen` port, if any, for as long as the channel lives.
    /// Opens the channel; with `listen`, binds its port now. What arrives on it is recorded on `wire` as the
    /// interface's traffic, since the vendor sends it outside any one flow.
    pub async fn open(settings: InterfaceSettings, wire: Option<WireTap>) -> Result<InterfaceChannel, String> {
        let received = match settings.listen {
            Some(addr) => {
                let listener =
                    TcpListener::bind(addr).await.map_err(|e| format!("cannot listen for HL7 v2 on {addr}: {e}"))?;
                let received = Arc::new(Received {
                    wire: wire.clone().map(|w| w.in_scope(Scope::Interface)),
                    ..Received::default()
                });
                let handler = Arc::clone(&received);
                let task = tokio::spawn(hl7v2::serve(listener, move |message| {
                    let received = Arc::clone(&handler);
                    async move { received.receive(message) }
                }));
                Some((received, task))
            }
            None => None,
        };
        let control_prefix = format!("H{}", Timestamp::now().as_millisecond() % 10_000_000_000);
        Ok(InterfaceChannel {
            settings,
            registered: Mutex::new(HashMap::new()),
            sent: AtomicU64::new(0),
            control_prefix,
            received,
            wire,
        })
    }

    pub fn sends(&self) -> bool {
        self.settings.send_to.is_some()
    }

    pub fn listens(&self) -> bool {
        self.received.is_some()
    }

    pub fn endpoint(&self) -> String {
        let mut parts = Vec::new();
        if let Some(to) = &self.settings.send_to {
            parts.push(format!("mllp://{to}"));
        }
        if let Some(listen) = self.settings.listen {
            parts.push(format!("listening on mllp://{listen}"));
        }
        parts.join(", ")
    }

    /// Register, update, schedule, document and post charges as ADT^A04, ADT^A08, SIU^S12 and DFT^P03.
    pub async fn apply(&self, action: Action<'_>) -> Result<Applied, AdapterError> {
        match action {
            Action::Register { patient, tracking } => {
                let id = patient_number(tracking);
                let record = self.record(&id, patient, tracking);
                self.deliver(hl7v2::adt_a04(&self.envelope(), &record)).await?;
                self.registered().insert(id.clone(), record);
                Ok(Applied { id: Some(id) })
            }
            Action::UpdatePatient { id, patient, tracking } => {
                let record = self.record(id, patient, tracking);
                self.deliver(hl7v2::adt_a08(&self.envelope(), &record)).await?;
                self.registered().insert(id.to_string(), record);
                Ok(Applied { id: Some(id.to_string()) })
            }
            Action::Schedule { patient_id, appointment } => {
                let envelope = self.envelope();
                let scheduled = ScheduledAppointment {
                    patient: self.known(patient_id)?,
                    booking: Booking {
                        placer_appointment_id: envelope.control_id.clone(),
                        filler_appointment_id: String::new(),
                        booked_by: "HANDOFF".into(),
                    },
                    appointment: appointment.clone(),
                };
                self.deliver(hl7v2::siu_s12(&envelope, &scheduled)).await?;
                Ok(Applied { id: Some(scheduled.booking.placer_appointment_id) })
            }
            Action::Document { patient_id, encounter } => {
                let envelope = self.envelope();
                let mut posted = PostedCharges::from_encounter(self.known(patient_id)?, encounter);
                posted.visit_number = Some(envelope.control_id.clone());
                self.deliver(hl7v2::dft_p03(&envelope, &posted)).await?;
                Ok(Applied { id: posted.visit_number })
            }
            Action::PostCharges { patient_id, charges } => {
                let mut diagnoses: Vec<Diagnosis> = Vec::new();
                for code in charges.iter().flat_map(|c| &c.diagnoses) {
                    if !diagnoses.iter().any(|d| d.code == *code) {
                        diagnoses.push(Diagnosis { code: code.clone() });
                    }
                }
                let posted = PostedCharges {
                    patient: self.known(patient_id)?,
                    diagnoses,
                    charges: charges.to_vec(),
                    visit_number: None,
                };
                self.deliver(hl7v2::dft_p03(&self.envelope(), &posted)).await?;
                Ok(Applied { id: None })
            }
            Action::BuildClaim { .. } => {
                Err(AdapterError::NotSupported { what: "building a claim (HL7 v2 has no message for it)".into() })
            }
        }
    }

    /// What the system emitted to the harness, read as this role's records.
    pub fn fetch(&self, query: Query<'_>) -> Result<Records, AdapterError> {
        let Some((received, _)) = &self.received else {
            return Err(AdapterError::NotSupported {
                what: "reading records back over HL7 v2 without `listen`".into(),
            });
        };
        let kept = received.kept();
        Ok(match query {
            Query::PatientByIdentifier(identifier) => Records::Patients(
                kept.patients().into_iter().filter(|p| p.value.identifiers.contains(identifier)).collect(),
            ),
            Query::PatientsBornOn(date) => {
                Records::Patients(kept.patients().into_iter().filter(|p| p.value.birth_date == date).collect())
            }
            Query::Coverage { patient_id } => Records::Coverages(kept.coverages(patient_id)),
            Query::Appointments { patient_id } => Records::Appointments(kept.appointments(patient_id)),
            Query::Documentation { patient_id } => Records::Documentation(kept.documentation(patient_id)),
            Query::Charges { patient_id } => Records::Charges(kept.charges(patient_id)),
            Query::Capabilities | Query::Claims { .. } | Query::ClaimNotices { .. } | Query::Remittance { .. } => {
                return Err(AdapterError::NotSupported { what: "this over HL7 v2".into() });
            }
        })
    }

    /// The one way a message leaves the harness on this channel: sent, and its ACK read.
    async fn deliver(&self, message: Message) -> Result<(), AdapterError> {
        let Some(to) = &self.settings.send_to else {
            return Err(AdapterError::NotSupported { what: "sending HL7 v2 without `send_to`".into() });
        };
        let endpoint = format!("mllp://{to}");
        let sent_id = message.segment("MSH").map(|msh| msh.value(10).to_string()).unwrap_or_default();
        self.log(Direction::Sent, &message);
        let reply =
            hl7v2::send(to.as_str(), &message, self.settings.timeout).await.map_err(|e| transport(&endpoint, e))?;
        self.log(Direction::Received, &reply);
        let received = hl7v2::read_ack(&reply).map_err(|e| AdapterError::Malformed {
            url: endpoint.clone(),
            expected: "an HL7 v2 ACK",
            detail: e.to_string(),
        })?;
        if received.acknowledged_control_id != sent_id {
            return Err(AdapterError::Malformed {
                url: endpoint,
                expected: "an HL7 v2 ACK",
                detail: format!(
                    "MSA-2 acknowledges `{}`, but the message sent was `{sent_id}`",
                    received.acknowledged_control_id
                ),
            });
        }
        match received.acknowledgment.code {
            AckCode::Accept => Ok(()),
            code => Err(AdapterError::Rejected { endpoint, code: code.as_str(), text: received.acknowledgment.text }),
        }
    }

    fn log(&self, direction: Direction, message: &Message) {
        if let Some(wire) = &self.wire {
            wire.record(direction, WireFormat::Hl7v2, message.kind(), None, message.to_er7().into_bytes());
        }
    }

    fn envelope(&self) -> Envelope {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        Envelope {
            route: self.settings.route.clone(),
            control_id: format!("{}{n:04}", self.control_prefix),
            sent_at: Timestamp::now(),
        }
    }

    fn registered(&self) -> std::sync::MutexGuard<'_, HashMap<String, PatientRecord>> {
        self.registered.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The patient as PID carries them: the harness's id first, and the tracking identifier among the others, so
    /// a system that keeps identifiers lets the harness find the patient again.
    fn record(&self, id: &str, patient: &Patient, tracking: &Identifier) -> PatientRecord {
        let mut patient = patient.clone();
        if !patient.identifiers.contains(tracking) {
            patient.identifiers.push(tracking.clone());
        }
        let assigning_authority = self.settings.route.sending_application.clone();
        PatientRecord { id: PatientId { value: id.to_string(), assigning_authority }, patient }
    }

    /// A patient's PID for a message about them: as registered through this channel, or as the system sent them.
    fn known(&self, patient_id: &str) -> Result<PatientRecord, AdapterError> {
        if let Some(record) = self.registered().get(patient_id) {
            return Ok(record.clone());
        }
        let received = self.received.as_ref().and_then(|(r, _)| r.kept().latest_patient(patient_id));
        received.ok_or_else(|| {
            AdapterError::Config(format!(
                "patient {patient_id} was neither registered through this HL7 v2 interface nor received from it, \
                 so there is no PID to send"
            ))
        })
    }
}

/// The PID-3 id the harness gives a patient it registers over HL7 v2: short, as CX.1 allows, and the same for the
/// same tracking identifier.
fn patient_number(tracking: &Identifier) -> String {
    // FNV-1a: stable across runs and platforms, unlike the standard hasher.
    let hash = tracking
        .value
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("HO{:012X}", hash & 0xffff_ffff_ffff)
}

fn transport(endpoint: &str, error: MllpError) -> AdapterError {
    match error {
        MllpError::Connect { source, .. } => {
            AdapterError::Unreachable { url: endpoint.into(), cause: source.to_string() }
        }
        MllpError::Io(source) => AdapterError::Unreachable { url: endpoint.into(), cause: source.to_string() },
        MllpError::Timeout { seconds, .. } => AdapterError::Timeout { url: endpoint.into(), seconds },
        MllpError::FramingByteInMessage => AdapterError::Config(error.to_string()),
        other => AdapterError::Malformed { url: endpoint.into(), expected: "an HL7 v2 ACK", detail: other.to_string() },
    }
}

/// Everything the system emitted to the harness, in arrival order.
#[derive(Default)]
struct Received {
    kept: Mutex<Kept>,
    acks: AtomicU64,
    wire: Option<WireTap>,
}

#[derive(Default, Clone)]
struct Kept {
    messages: Vec<Arrived>,
}

#[derive(Clone)]
struct Arrived {
    /// 1-based arrival order; a record's version is the arrival number of the last message about it.
    number: u64,
    control_id: String,
    at: Timestamp,
    content: Content,
}

#[derive(Clone)]
enum Content {
    Patient(PatientRecord),
    Appointment(ScheduledAppointment),
    Charges(PostedCharges),
}

impl Received {
    /// The one way a message reaches the harness on this channel: read, kept, and answered AA, or AE with the
    /// reason when it cannot be read.
    fn receive(&self, message: Message) -> Message {
        let reply = self.answer(&message);
        if let Some(wire) = &self.wire {
            // The vendor names the patient by its own id in PID-3: that is how the file is traced to its flow.
            let patient = message
                .segment("PID")
                .map(|pid| PatientRef { role: wire.role(), id: pid.component(3, 1).to_string() })
                .filter(|p| !p.id.is_empty());
            wire.record(Direction::Received, WireFormat::Hl7v2, message.kind(), patient, message.to_er7().into_bytes());
            wire.record(Direction::Sent, WireFormat::Hl7v2, reply.kind(), None, reply.to_er7().into_bytes());
        }
        reply
    }

    fn answer(&self, message: &Message) -> Message {
        let control_id =
            format!("HA{}{:04}", Timestamp::now().as_millisecond(), self.acks.fetch_add(1, Ordering::Relaxed) % 10_000);
        let header = match MessageHeader::read(message) {
            Ok(header) => header,
            Err(e) => {
                return hl7v2::reject_unreadable(
                    &message.to_er7(),
                    ErrorCondition::SEGMENT_SEQUENCE_ERROR,
                    &e.to_string(),
                    &control_id,
                    Timestamp::now(),
                );
            }
        };
        let content = match header.message_type.code.as_str() {
            "ADT" => hl7v2::read_adt(message).map(Content::Patient),
            "SIU" => hl7v2::read_siu(message).map(Content::Appointment),
            "DFT" => hl7v2::read_dft(message).map(Content::Charges),
            _ => Err(ReadError::WrongMessageType {
                found: message.encoded_field("MSH", 9).unwrap_or_default(),
                expected: "ADT, SIU or DFT",
            }),
        };
        let acknowledgment = match content {
            Ok(content) => {
                let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
                let number = kept.messages.len() as u64 + 1;
                kept.messages.push(Arrived {
                    number,
                    control_id: header.control_id.clone(),
                    at: Timestamp::now(),
                    content,
                });
                Acknowledgment::accept("received")
            }
            Err(e) => {
                tracing::debug!(control_id = %header.control_id, "an HL7 v2 message received could not be read: {e}");
                Acknowledgment::error(condition(&e), &e.to_string())
            }
        };
        hl7v2::ack(&header, &control_id, Timestamp::now(), &acknowledgment)
    }

    fn kept(&self) -> Kept {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// HL7 table 0357 for why a message could not be read.
fn condition(error: &ReadError) -> ErrorCondition {
    match error {
        ReadError::WrongMessageType { .. } => ErrorCondition::UNSUPPORTED_MESSAGE_TYPE,
        ReadError::MissingSegment { .. } => ErrorCondition::SEGMENT_SEQUENCE_ERROR,
        ReadError::MissingValue { .. } => ErrorCondition::REQUIRED_FIELD_MISSING,
        ReadError::InvalidValue { .. } => ErrorCondition::DATA_TYPE_ERROR,
    }
}

/// Whether a PID is about the patient the system knows as `patient_id`: its own id (PID-3's first) or one it
/// kept from another system.
fn about(record: &PatientRecord, patient_id: &str) -> bool {
    record.id.value == patient_id || record.patient.identifiers.iter().any(|i| i.value == patient_id)
}

fn stamp(at: Timestamp) -> Option<String> {
    Some(at.to_string())
}

impl Kept {
    /// Each patient as the last ADT about them says, identified by the system's own id (PID-3).
    fn patients(&self) -> Vec<Versioned<Patient>> {
        let mut latest: Vec<(&Arrived, &PatientRecord)> = Vec::new();
        for arrived in &self.messages {
            if let Content::Patient(record) = &arrived.content {
                latest.retain(|(_, r)| r.id.value != record.id.value);
                latest.push((arrived, record));
            }
        }
        latest
            .into_iter()
            .map(|(arrived, record)| Versioned {
                id: record.id.value.clone(),
                version: Some(arrived.number.to_string()),
                last_updated: stamp(arrived.at),
                value: record.patient.clone(),
            })
            .collect()
    }

    fn latest_patient(&self, patient_id: &str) -> Option<PatientRecord> {
        self.messages.iter().rev().find_map(|a| match &a.content {
            Content::Patient(record) if about(record, patient_id) => Some(record.clone()),
            _ => None,
        })
    }

    /// The coverage as the last ADT's IN1 segments list it.
    fn coverages(&self, patient_id: &str) -> Vec<Versioned<crate::model::Coverage>> {
        let last = self.messages.iter().rev().find_map(|a| match &a.content {
            Content::Patient(record) if about(record, patient_id) => Some((a, record)),
            _ => None,
        });
        let Some((arrived, record)) = last else { return Vec::new() };
        record
            .patient
            .coverages()
            .into_iter()
            .enumerate()
            .map(|(i, coverage)| Versioned {
                id: format!("{}/{}", record.id.value, i + 1),
                version: Some(arrived.number.to_string()),
                last_updated: stamp(arrived.at),
                value: coverage,
            })
            .collect()
    }

    /// Each appointment as the last SIU about it says, by the id its placer gave it.
    fn appointments(&self, patient_id: &str) -> Vec<Versioned<Appointment>> {
        let mut latest: Vec<Versioned<Appointment>> = Vec::new();
        for arrived in &self.messages {
            if let Content::Appointment(scheduled) = &arrived.content
                && about(&scheduled.patient, patient_id)
            {
                let booking = &scheduled.booking;
                let id = if booking.placer_appointment_id.is_empty() {
                    booking.filler_appointment_id.clone()
                } else {
                    booking.placer_appointment_id.clone()
                };
                latest.retain(|a| a.id != id);
                latest.push(Versioned {
                    id,
                    version: Some(arrived.number.to_string()),
                    last_updated: stamp(arrived.at),
                    value: scheduled.appointment.clone(),
                });
            }
        }
        latest
    }

    fn posted(&self, patient_id: &str) -> impl Iterator<Item = (&Arrived, &PostedCharges)> {
        self.messages.iter().filter_map(move |a| match &a.content {
            Content::Charges(posted) if about(&posted.patient, patient_id) => Some((a, posted)),
            _ => None,
        })
    }

    fn charges(&self, patient_id: &str) -> Vec<Versioned<Charge>> {
        self.posted(patient_id)
            .flat_map(|(arrived, posted)| {
                posted.charges.iter().enumerate().map(|(i, charge)| Versioned {
                    id: format!("{}/{}", arrived.control_id, i + 1),
                    version: Some(arrived.number.to_string()),
                    last_updated: stamp(arrived.at),
                    value: charge.clone(),
                })
            })
            .collect()
    }

    /// The last visit charged: every DFT with its visit number (PV1-19), as interfaces often send one charge per
    /// message; the diagnoses are the first message's, in rank order, with any others the charges name after them.
    fn documentation(&self, patient_id: &str) -> Option<Versioned<Encounter>> {
        let (last, newest) = self.posted(patient_id).last()?;
        let visit: Vec<(&Arrived, &PostedCharges)> = match &newest.visit_number {
            Some(number) => self.posted(patient_id).filter(|(_, p)| p.visit_number.as_ref() == Some(number)).collect(),
            None => vec![(last, newest)],
        };
        let mut diagnoses: Vec<String> = visit.first()?.1.diagnoses.iter().map(|d| d.code.clone()).collect();
        let charges: Vec<&Charge> = visit.iter().flat_map(|(_, p)| &p.charges).collect();
        for code in charges.iter().flat_map(|c| &c.diagnoses) {
            if !diagnoses.contains(code) {
                diagnoses.push(code.clone());
            }
        }
        let first = charges.first();
        let encounter = Encounter {
            date_of_service: first
                .map(|c| c.date_of_service)
                .unwrap_or(crate::model::Date(jiff::civil::date(1970, 1, 1))),
            place_of_service: first.map(|c| c.place_of_service.clone()).unwrap_or_default(),
            rendering_npi: first.map(|c| c.rendering_npi.clone()).unwrap_or_default(),
            service_lines: charges.iter().map(|c| ServiceLine::from_charge(c, &diagnoses)).collect(),
            diagnoses: diagnoses.into_iter().map(|code| Diagnosis { code }).collect(),
        };
        Some(Versioned {
            id: newest.visit_number.clone().unwrap_or_else(|| last.control_id.clone()),
            version: Some(last.number.to_string()),
            last_updated: stamp(last.at),
            value: encounter,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::ana;

    fn envelope(control_id: &str) -> Envelope {
        Envelope { route: Route::default(), control_id: control_id.into(), sent_at: Timestamp::now() }
    }

    fn charge(code: &str, diagnoses: &[&str]) -> Charge {
        Charge {
            code: code.into(),
            modifiers: vec![],
            units: 1.0,
            diagnoses: diagnoses.iter().map(|d| d.to_string()).collect(),
            place_of_service: "11".into(),
            date_of_service: "2026-06-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        }
    }

    fn acknowledged(received: &Received, message: &Message) -> (AckCode, String) {
        let ack = hl7v2::read_ack(&received.receive(message.clone())).unwrap();
        (ack.acknowledgment.code, ack.acknowledgment.text)
    }

    #[test]
    fn what_arrives_is_acknowledged_and_read_as_the_roles_records() {
        let received = Received::default();
        let record = PatientRecord {
            id: PatientId { value: "EMR-77".into(), assigning_authority: "EMR".into() },
            patient: ana(),
        };
        assert_eq!(acknowledged(&received, &hl7v2::adt_a04(&envelope("A1"), &record)).0, AckCode::Accept);
        // An interface that sends one charge per message: both belong to visit V1, whose diagnoses the first lists.
        for (n, (code, dx)) in [("99213", vec!["I10"]), ("36415", vec!["E11.65"])].into_iter().enumerate() {
            let posted = PostedCharges {
                patient: record.clone(),
                diagnoses: vec![Diagnosis { code: "I10".into() }],
                charges: vec![charge(code, &dx)],
                visit_number: Some("V1".into()),
            };
            let sent = hl7v2::dft_p03(&envelope(&format!("D{n}")), &posted);
            assert_eq!(acknowledged(&received, &sent).0, AckCode::Accept);
        }
        let kept = received.kept();
        let found: Vec<String> = kept.patients().into_iter().map(|p| p.id).collect();
        assert_eq!(found, ["EMR-77"]);
        let visit = kept.documentation("EMR-77").unwrap();
        assert_eq!((visit.id.as_str(), visit.version.as_deref()), ("V1", Some("3")));
        let lines: Vec<(&str, &[u8])> =
            visit.value.service_lines.iter().map(|l| (l.code.as_str(), l.dx_pointers.as_slice())).collect();
        assert_eq!(lines, [("99213", &[1][..]), ("36415", &[2][..])]);
        assert_eq!(kept.charges("EMR-77").len(), 2);
        assert!(kept.charges("EMR-78").is_empty());
    }

    #[test]
    fn what_cannot_be_read_is_answered_ae_with_the_place_and_not_kept() {
        let received = Received::default();
        let record = PatientRecord {
            id: PatientId { value: "EMR-77".into(), assigning_authority: "EMR".into() },
            patient: ana(),
        };
        let mut message = hl7v2::adt_a04(&envelope("A2"), &record);
        message.segments.iter_mut().find(|s| s.id == "PID").unwrap().set(7, "");
        let (code, text) = acknowledged(&received, &message);
        assert_eq!(code, AckCode::Error);
        assert!(text.starts_with("PID-7 (segment 3) is empty"), "{text}");
        let orm = Message::parse("MSH|^~\\&|EMR||PM||20260601||ORM^O01^ORM_O01|O1|P|2.5.1\r").unwrap();
        assert_eq!(
            acknowledged(&received, &orm),
            (AckCode::Error, "MSH-9 (segment 1) is `ORM^O01^ORM_O01`; expected ADT, SIU or DFT".into())
        );
        assert!(received.kept().messages.is_empty());
    }

    #[test]
    fn a_patient_number_is_short_and_fixed_by_the_tracking_identifier() {
        let tracking = Identifier { system: "urn:handoff:tracking".into(), value: "20261127T044514Z-b7b4:new".into() };
        // Pinned: a later run registering the same tracking identifier must name the same PID-3.
        assert_eq!(patient_number(&tracking), "HOADD367282144");
        let other = Identifier { value: "20261127T044514Z-b7b4:other".into(), ..tracking.clone() };
        assert_ne!(patient_number(&tracking), patient_number(&other));
    }
}
