//! The receiving ends of the simulated interface: each system's MLLP port, applying the HL7 v2 it is sent to its store and answering with an ACK.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::defects::Defects;
use super::faults::FaultPlan;
use super::store::{Forgotten, Store};
use crate::connect::fhir::resources as fhir;
use crate::connect::hl7v2::{
    Acknowledgment, ErrorCondition, Message, MessageHeader, PostedCharges, ScheduledAppointment, ack, read_adt,
    read_dft, read_siu,
};
use crate::model::{Identifier, Role};
use crate::scenario::NakCode;

/// The identifier the EMR keeps on each patient so it points back at the PM's record, as PID-3 carried it.
pub const PM_PATIENT_ID: &str = "urn:handoff:simulator:pm-patient-id";

/// ERR-3 (HL7 table 0357): the receiver does not know the record the message is about.
const UNKNOWN_KEY: ErrorCondition = ErrorCondition(204);
/// ERR-3: the message could not be applied.
const INTERNAL_ERROR: ErrorCondition = ErrorCondition(207);
/// ERR-3: a message type this receiver does not take.
const UNSUPPORTED_MESSAGE: ErrorCondition = ErrorCondition(200);

/// Why a message was not applied: the ACK says it.
struct Refusal(ErrorCondition, String);

/// What both receivers share: their store, their faults, and a counter for their ACKs' control ids.
struct Receiver {
    role: Role,
    store: Arc<Store>,
    faults: Arc<FaultPlan>,
    acks: AtomicU64,
}

impl Receiver {
    fn answer(&self, message: &Message, applied: impl FnOnce() -> Result<(), Refusal>) -> Message {
        let control_id =
            format!("{}-ACK{}", self.role.as_str().to_uppercase(), self.acks.fetch_add(1, Ordering::Relaxed) + 1);
        let now = jiff::Timestamp::now();
        let header = match MessageHeader::read(message) {
            Ok(h) => h,
            Err(e) => {
                return crate::connect::hl7v2::reject_unreadable(
                    &message.to_er7(),
                    UNSUPPORTED_MESSAGE,
                    &e.to_string(),
                    &control_id,
                    now,
                );
            }
        };
        // A planted NAK answers before the message is applied, as a receiver that refuses it would.
        let acknowledgment = match self.faults.nak(self.role) {
            Some(NakCode::Ae) => Acknowledgment::error(INTERNAL_ERROR, "planted fault: hl7_nak AE"),
            Some(NakCode::Ar) => Acknowledgment::reject(INTERNAL_ERROR, "planted fault: hl7_nak AR"),
            None => match applied() {
                Ok(()) => Acknowledgment::accept("applied"),
                Err(Refusal(condition, why)) => Acknowledgment::error(condition, &why),
            },
        };
        ack(&header, &control_id, now, &acknowledgment)
    }
}

/// The EMR's inbound port: ADT^A04/A08 register and update patients and their coverage, SIU^S12 books appointments.
pub struct EmrInbound {
    receiver: Receiver,
    defects: Defects,
    state: Mutex<EmrState>,
    /// Patients the EMR forgot, not yet dropped from `state`: the store tells of them while this receiver, holding
    /// `state`, creates the patient that pushed them out, so they wait here for the next time `state` is taken.
    forgotten: Mutex<Vec<Forgotten>>,
}

#[derive(Default)]
struct EmrState {
    /// The cross-reference table: PM patient id → EMR patient id.
    patients: HashMap<String, String>,
    /// The last demographics applied per PM id, which an out-of-order update puts back.
    applied: HashMap<String, Value>,
    /// PM appointment id (SCH-1) → EMR appointment id.
    appointments: HashMap<String, String>,
}

impl EmrInbound {
    pub fn new(store: Arc<Store>, faults: Arc<FaultPlan>, defects: Defects) -> Arc<EmrInbound> {
        let receiver = Receiver { role: Role::Emr, store: store.clone(), faults, acks: AtomicU64::new(0) };
        let inbound = Arc::new(EmrInbound {
            receiver,
            defects,
            state: Mutex::new(EmrState::default()),
            forgotten: Mutex::new(Vec::new()),
        });
        // Weak: the store outlives neither, and a strong hook would keep both alive for ever.
        let weak = Arc::downgrade(&inbound);
        store.when_forgetting(move |f| {
            if let Some(inbound) = weak.upgrade() {
                inbound.forgotten.lock().unwrap_or_else(|e| e.into_inner()).push(f.clone());
            }
        });
        inbound
    }

    pub fn handle(&self, message: &Message) -> Message {
        self.receiver.answer(message, || match message_code(message).as_str() {
            "ADT" => self.patient(message),
            "SIU" => self.appointment(message),
            other => Err(Refusal(UNSUPPORTED_MESSAGE, format!("the EMR does not take {other} messages"))),
        })
    }

    /// The receiver's state, rid of the cross-references of every patient the EMR has forgotten: a later message
    /// about one registers it anew.
    fn state(&self) -> std::sync::MutexGuard<'_, EmrState> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let forgotten = std::mem::take(&mut *self.forgotten.lock().unwrap_or_else(|e| e.into_inner()));
        for patient in &forgotten {
            let pm_ids: Vec<String> =
                state.patients.iter().filter(|(_, emr)| **emr == patient.patient).map(|(pm, _)| pm.clone()).collect();
            for pm_id in pm_ids {
                state.patients.remove(&pm_id);
                state.applied.remove(&pm_id);
            }
            let appointments: Vec<&str> = patient.ids_of("Appointment").collect();
            state.appointments.retain(|_, emr| !appointments.contains(&emr.as_str()));
        }
        state
    }

    fn patient(&self, message: &Message) -> Result<(), Refusal> {
        let record = read_adt(message).map_err(|e| Refusal(INTERNAL_ERROR, e.to_string()))?;
        let store = &self.receiver.store;
        let pm_id = record.id.value.clone();
        let mut patient = record.patient.clone();
        if self.defects.cross_references() {
            patient.identifiers.push(Identifier { system: PM_PATIENT_ID.into(), value: pm_id.clone() });
        }
        let resource = fhir::patient_to_fhir(&patient);
        let mut state = self.state();
        let known = state.patients.get(&pm_id).cloned();
        let emr_id = match known {
            Some(_) if self.defects.duplicates_on_update() => {
                let created = store.create(resource.clone(), false);
                let id = id_of(&created);
                state.patients.insert(pm_id.clone(), id.clone());
                id
            }
            Some(emr_id) => {
                let applied = match state.applied.get(&pm_id) {
                    // The older message lands last, so its values are the ones that stay.
                    Some(previous) if self.defects.updates_out_of_order() => previous.clone(),
                    _ => resource.clone(),
                };
                store
                    .update("Patient", &emr_id, applied, None, false)
                    .map_err(|e| Refusal(INTERNAL_ERROR, e.to_string()))?;
                emr_id
            }
            None => {
                let id = id_of(&store.create(resource.clone(), false));
                state.patients.insert(pm_id.clone(), id.clone());
                id
            }
        };
        // Only a receiver that applies updates out of order ever puts an older message back; any other would keep
        // a copy of every patient for nothing.
        if self.defects.updates_out_of_order() {
            state.applied.insert(pm_id, resource);
        }
        drop(state);
        self.coverages(&emr_id, &record.patient.coverages())
    }

    /// IN1 lists the patient's coverage as it stands: the EMR's copies are brought in line, by billing order.
    fn coverages(&self, emr_id: &str, coverages: &[crate::model::Coverage]) -> Result<(), Refusal> {
        let store = &self.receiver.store;
        let key = ("reference", format!("Patient/{emr_id}"));
        let held =
            store.find("Coverage", Some(&key), |c| fhir::reference_id(&c["beneficiary"], "Patient") == Some(emr_id));
        for (i, coverage) in coverages.iter().enumerate() {
            let order = i + 1;
            let resource = fhir::coverage_to_fhir(coverage, emr_id, order);
            match held.iter().find(|c| fhir::coverage_order(c) == order as u64) {
                Some(existing) if fhir::coverage_from_fhir(existing).ok().as_ref() == Some(coverage) => {}
                Some(existing) => {
                    store
                        .update("Coverage", &id_of(existing), resource, None, false)
                        .map_err(|e| Refusal(INTERNAL_ERROR, e.to_string()))?;
                }
                None => {
                    store.create(resource, false);
                }
            }
        }
        Ok(())
    }

    fn appointment(&self, message: &Message) -> Result<(), Refusal> {
        let ScheduledAppointment { patient, booking, appointment } =
            read_siu(message).map_err(|e| Refusal(INTERNAL_ERROR, e.to_string()))?;
        let mut state = self.state();
        let emr_patient = state
            .patients
            .get(&patient.id.value)
            .cloned()
            .ok_or_else(|| Refusal(UNKNOWN_KEY, format!("patient {} is not in the EMR", patient.id.value)))?;
        let resource = fhir::appointment_to_fhir(&appointment, &emr_patient);
        let store = &self.receiver.store;
        match state.appointments.get(&booking.placer_appointment_id) {
            Some(id) => {
                store
                    .update("Appointment", id, resource, None, false)
                    .map_err(|e| Refusal(INTERNAL_ERROR, e.to_string()))?;
            }
            None => {
                let id = id_of(&store.create(resource, false));
                state.appointments.insert(booking.placer_appointment_id, id);
            }
        }
        Ok(())
    }
}

/// The PM's inbound port: DFT^P03 posts a visit's charges, with the visit's diagnoses, to a patient the PM knows.
pub struct PmInbound {
    receiver: Receiver,
    /// The EMR's visit number (PV1-19) → the PM's copy of the encounter.
    visits: Mutex<HashMap<String, String>>,
}

impl PmInbound {
    pub fn new(store: Arc<Store>, faults: Arc<FaultPlan>) -> Arc<PmInbound> {
        let receiver = Receiver { role: Role::Pm, store: store.clone(), faults, acks: AtomicU64::new(0) };
        let inbound = Arc::new(PmInbound { receiver, visits: Mutex::new(HashMap::new()) });
        let weak = Arc::downgrade(&inbound);
        store.when_forgetting(move |f| weak.upgrade().iter().for_each(|inbound| inbound.forget(f)));
        inbound
    }

    /// The visits of a patient the PM forgot go with its encounters. (The store tells of it when a Patient is
    /// created, which this receiver never does while it holds `visits`.)
    fn forget(&self, forgotten: &Forgotten) {
        let encounters: Vec<&str> = forgotten.ids_of("Encounter").collect();
        self.visits.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, pm| !encounters.contains(&pm.as_str()));
    }

    pub fn handle(&self, message: &Message) -> Message {
        self.receiver.answer(message, || match message_code(message).as_str() {
            "DFT" => self.charges(message),
            other => Err(Refusal(UNSUPPORTED_MESSAGE, format!("the PM does not take {other} messages"))),
        })
    }

    fn charges(&self, message: &Message) -> Result<(), Refusal> {
        let PostedCharges { patient, diagnoses, charges, visit_number } =
            read_dft(message).map_err(|e| Refusal(INTERNAL_ERROR, e.to_string()))?;
        let store = &self.receiver.store;
        // PID-3 carries the PM's own id when the EMR kept it; a patient the PM does not know cannot be billed.
        let pm_patient = patient.id.value.clone();
        if store.read("Patient", &pm_patient).is_none() {
            return Err(Refusal(UNKNOWN_KEY, format!("patient {pm_patient} is not in the PM")));
        }
        let subject = fhir::reference("Patient", &pm_patient);
        let visit = visit_number.unwrap_or_else(|| {
            format!("{pm_patient}:{}", charges.first().map(|c| c.date_of_service.to_string()).unwrap_or_default())
        });
        let encounter = {
            let mut visits = self.visits.lock().unwrap_or_else(|e| e.into_inner());
            match visits.get(&visit) {
                Some(id) => id.clone(),
                None => {
                    let ranked: Vec<Value> = diagnoses
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let condition = store.create(
                                json!({ "resourceType": "Condition", "code": fhir::coding(fhir::ICD10CM, &d.code), "subject": subject }),
                                false,
                            );
                            json!({ "condition": fhir::reference("Condition", &id_of(&condition)), "rank": i + 1 })
                        })
                        .collect();
                    let date = charges.first().map(|c| c.date_of_service.to_string()).unwrap_or_default();
                    let created = store.create(
                        json!({
                            "resourceType": "Encounter",
                            "status": "finished",
                            "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
                            "subject": subject,
                            "period": { "start": date, "end": date },
                            "diagnosis": ranked,
                        }),
                        false,
                    );
                    let id = id_of(&created);
                    visits.insert(visit, id.clone());
                    id
                }
            }
        };
        let context = fhir::reference("Encounter", &encounter);
        for charge in &charges {
            store.create(fhir::charge_to_fhir(charge, &subject, &context), false);
        }
        Ok(())
    }
}

fn message_code(message: &Message) -> String {
    MessageHeader::read(message).map(|h| h.message_type.code).unwrap_or_default()
}

fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap_or_default().to_string()
}
