//! The interface engine between two simulated stores: it turns each change into HL7 v2.5.1 (ADT^A04/A08, SIU^S12, DFT^P03) and sends it over MLLP on loopback, late and imperfectly, as configured.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::defects::Defects;
use super::inbound::PM_PATIENT_ID;
use super::store::{Change, Store};
use crate::connect::fhir::resources as fhir;
use crate::connect::hl7v2::{
    self, AckCode, AdtEvent, Booking, Envelope, Message, PatientId, PatientRecord, PostedCharges, Route,
    ScheduledAppointment,
};
use crate::connect::wire::{Direction, PatientRef, WireFormat, WireTap};
use crate::model::{Diagnosis, Patient, Role};

/// How long the engine waits for a receiver's ACK before it counts the message as not delivered.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Where each system's inbound MLLP port listens.
pub struct Ports {
    pub emr: SocketAddr,
    pub pm: SocketAddr,
}

pub struct Interface {
    pm: Arc<Store>,
    emr: Arc<Store>,
    ports: Ports,
    delay: Duration,
    /// For a batch sync: how often the job runs; changes wait for the next run.
    batch_every: Option<Duration>,
    /// The FHIR resource types carried; others stay where they were keyed.
    carries: Vec<&'static str>,
    defects: Defects,
    /// PM patients already registered in the EMR: later messages about them are updates (A08), not A04s. A
    /// patient the PM forgets leaves it.
    registered: Arc<Mutex<HashSet<String>>>,
    /// Messages carried so far, both ways, for `lose_one_in`; also numbers MSH-10.
    messages: usize,
    /// When the engine started: batch runs fall on multiples of `batch_every` from here.
    started: Instant,
    /// Where each message and its ACK are recorded, when the run keeps them.
    wire: Option<WireTap>,
}

impl Interface {
    pub fn new(
        pm: Arc<Store>,
        emr: Arc<Store>,
        ports: Ports,
        config: &crate::scenario::Interface,
        defects: Defects,
        wire: Option<WireTap>,
    ) -> Interface {
        let registered: Arc<Mutex<HashSet<String>>> = Arc::default();
        let forget = registered.clone();
        pm.when_forgetting(move |f| {
            forget.lock().unwrap_or_else(|e| e.into_inner()).remove(&f.patient);
        });
        Interface {
            pm,
            emr,
            ports,
            delay: config.delay.0,
            batch_every: config.batch_every.map(|b| b.0),
            carries: config.carries.iter().map(|c| c.resource_type()).collect(),
            defects,
            registered,
            messages: 0,
            started: Instant::now(),
            wire,
        }
    }

    /// When a change goes across: after the interface's delay, or at the next run of the batch job.
    fn release_time(&self, change: &Change) -> Instant {
        let after = change.at + self.defects.extra_delay();
        match self.batch_every {
            Some(every) if !every.is_zero() => {
                let since = after.saturating_duration_since(self.started);
                let runs = since.as_nanos() / every.as_nanos() + 1;
                self.started + every * u32::try_from(runs).unwrap_or(u32::MAX)
            }
            _ => after + self.delay,
        }
    }

    /// Carries changes in the order they happened, each no sooner than its release time, as a FIFO engine does.
    pub async fn run(mut self, mut from_pm: UnboundedReceiver<Change>, mut from_emr: UnboundedReceiver<Change>) {
        loop {
            let (change, towards_emr) = tokio::select! {
                biased;
                Some(c) = from_pm.recv() => (c, true),
                Some(c) = from_emr.recv() => (c, false),
                else => return,
            };
            let direction_ok = if towards_emr {
                matches!(change.resource_type.as_str(), "Patient" | "Coverage" | "Appointment")
            } else {
                change.resource_type == "ChargeItem"
            };
            if !direction_ok || !self.carries.contains(&change.resource_type.as_str()) {
                continue;
            }
            tokio::time::sleep_until(self.release_time(&change)).await;
            self.messages += 1;
            if self.defects.loses(self.messages) {
                tracing::debug!(resource = %change.resource_type, id = %change.id, "interface lost message {}", self.messages);
                continue;
            }
            let outcome = if towards_emr { self.carry_to_emr(&change).await } else { self.carry_to_pm(&change).await };
            if let Err(why) = outcome {
                tracing::warn!(resource = %change.resource_type, id = %change.id, "interface could not carry a change: {why}");
            }
        }
    }

    fn envelope(&self, from: &str, to: &str) -> Envelope {
        Envelope {
            route: Route {
                sending_application: from.into(),
                sending_facility: "HANDOFF-SIM".into(),
                receiving_application: to.into(),
                receiving_facility: "HANDOFF-SIM".into(),
            },
            control_id: format!("{from}{:06}", self.messages),
            sent_at: jiff::Timestamp::now(),
        }
    }

    async fn carry_to_emr(&mut self, change: &Change) -> Result<(), String> {
        let source = self.pm.read(&change.resource_type, &change.id).ok_or("the record is gone")?;
        let message = match change.resource_type.as_str() {
            "Patient" => self.adt(&change.id)?,
            // A coverage change is an update to the patient: ADT^A08 with the IN1s as they now stand.
            "Coverage" => {
                let patient = fhir::reference_id(&source["beneficiary"], "Patient").ok_or("no beneficiary")?;
                self.adt(patient)?
            }
            "Appointment" => {
                let appointment = fhir::appointment_from_fhir(&source).map_err(|e| e.0)?;
                let patient = fhir::appointment_patient(&source).ok_or("the appointment has no patient")?;
                let scheduled = ScheduledAppointment {
                    patient: self.pm_patient_record(patient)?,
                    booking: Booking {
                        placer_appointment_id: change.id.clone(),
                        filler_appointment_id: String::new(),
                        booked_by: "FRONT DESK".into(),
                    },
                    appointment,
                };
                hl7v2::siu_s12(&self.envelope("PM", "EMR"), &scheduled)
            }
            _ => return Ok(()),
        };
        self.deliver(Role::Emr, &message).await
    }

    /// A registration or update for a PM patient, with the demographic defects planted.
    fn adt(&mut self, pm_id: &str) -> Result<Message, String> {
        let record = self.pm_patient_record(pm_id)?;
        let first = self.registered.lock().unwrap_or_else(|e| e.into_inner()).insert(pm_id.to_string());
        let event = if first { AdtEvent::Register } else { AdtEvent::Update };
        Ok(hl7v2::adt(&self.envelope("PM", "EMR"), event, &record))
    }

    fn pm_patient_record(&self, pm_id: &str) -> Result<PatientRecord, String> {
        let resource = self.pm.read("Patient", pm_id).ok_or_else(|| format!("Patient/{pm_id} is gone"))?;
        let mut patient = fhir::patient_from_fhir(&resource).map_err(|e| e.0)?;
        let key = ("reference", format!("Patient/{pm_id}"));
        let mut coverages: Vec<Value> =
            self.pm.find("Coverage", Some(&key), |c| fhir::reference_id(&c["beneficiary"], "Patient") == Some(pm_id));
        coverages.sort_by_key(fhir::coverage_order);
        let mut coverages = coverages.iter().filter_map(|c| fhir::coverage_from_fhir(c).ok());
        patient.coverage = coverages.next();
        patient.secondary_coverage = coverages.next().filter(|_| self.defects.carries_secondary_coverage());
        self.defects.patient(&mut patient);
        Ok(PatientRecord { id: PatientId { value: pm_id.to_string(), assigning_authority: "PM".into() }, patient })
    }

    /// A signed charge goes to the PM as a DFT^P03 with the visit's diagnoses, billing defects planted.
    async fn carry_to_pm(&mut self, change: &Change) -> Result<(), String> {
        let source = self.emr.read("ChargeItem", &change.id).ok_or("the charge is gone")?;
        let mut charge = fhir::charge_from_fhir(&source).map_err(|e| e.0)?;
        let encounter = fhir::reference_id(&source["context"], "Encounter").ok_or("the charge has no encounter")?;
        let mut diagnoses = self.emr_diagnoses(encounter);
        let posted_on = crate::model::Date(jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date());
        self.defects.charge(&mut charge, &diagnoses, posted_on);
        self.defects.diagnoses(&mut diagnoses);
        let emr_patient = fhir::reference_id(&source["subject"], "Patient").ok_or("the charge has no patient")?;
        let resource = self.emr.read("Patient", emr_patient).ok_or("the patient is gone")?;
        let patient: Patient = fhir::patient_from_fhir(&resource).map_err(|e| e.0)?;
        // PID-3 carries the PM's id where the EMR kept it; otherwise only the EMR's own, which the PM cannot place.
        let id = match patient.identifiers.iter().find(|i| i.system == PM_PATIENT_ID) {
            Some(pm) => PatientId { value: pm.value.clone(), assigning_authority: "PM".into() },
            None => PatientId { value: emr_patient.to_string(), assigning_authority: "EMR".into() },
        };
        let posted = PostedCharges {
            patient: PatientRecord { id, patient },
            diagnoses: diagnoses.into_iter().map(|code| Diagnosis { code }).collect(),
            charges: vec![charge],
            visit_number: Some(encounter.to_string()),
        };
        let message = hl7v2::dft_p03(&self.envelope("EMR", "PM"), &posted);
        self.deliver(Role::Pm, &message).await?;
        if self.defects.duplicates_charges() {
            self.messages += 1;
            let again = hl7v2::dft_p03(&self.envelope("EMR", "PM"), &posted);
            self.deliver(Role::Pm, &again).await?;
        }
        Ok(())
    }

    /// The EMR encounter's diagnoses in rank order.
    fn emr_diagnoses(&self, encounter_id: &str) -> Vec<String> {
        let Some(encounter) = self.emr.read("Encounter", encounter_id) else { return Vec::new() };
        fhir::encounter_diagnoses(&encounter, |cid| {
            self.emr.read("Condition", cid)?["code"]["coding"][0]["code"].as_str().map(str::to_string)
        })
    }

    /// Sends one message and reads its ACK; anything but AA means the receiver did not apply it.
    async fn deliver(&self, to: Role, message: &Message) -> Result<(), String> {
        let address = match to {
            Role::Emr => self.ports.emr,
            Role::Pm => self.ports.pm,
        };
        self.record(to, Direction::Sent, message, message);
        let reply = hl7v2::send(address, message, ACK_TIMEOUT).await.map_err(|e| e.to_string())?;
        self.record(to, Direction::Received, &reply, message);
        let ack = hl7v2::read_ack(&reply).map_err(|e| e.to_string())?;
        match ack.acknowledgment.code {
            AckCode::Accept => Ok(()),
            code => Err(format!("the receiver answered {}: {}", code.as_str(), ack.acknowledgment.text)),
        }
    }

    /// `about` is the message the patient is read from: an ACK names none, so it is the message it answers.
    fn record(&self, to: Role, direction: Direction, message: &Message, about: &Message) {
        let Some(tap) = &self.wire else { return };
        // PID-3 names the patient by the id of the system in PID-3.4, which the flows' identities can be matched on.
        let patient = about.segment("PID").and_then(|pid| {
            let role = match pid.component(3, 4) {
                "PM" => Role::Pm,
                "EMR" => Role::Emr,
                _ => return None,
            };
            Some(PatientRef { role, id: pid.component(3, 1).to_string() })
        });
        tap.towards(to).record(direction, WireFormat::Hl7v2, message.kind(), patient, message.to_er7().into_bytes());
    }
}
