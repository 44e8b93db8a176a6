//! The interface between two simulated stores: it carries registrations and appointments to the EMR and charges to the PM, late and imperfectly, as configured.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use super::defects::Defects;
use super::store::{Change, Store};
use crate::connect::fhir::resources as fhir;
use crate::model::Identifier;

/// The identifier the interface stamps on EMR patients so each points back at its PM record, as PID-3 would.
pub const PM_PATIENT_ID: &str = "urn:handoff:simulator:pm-patient-id";

pub struct Interface {
    pub pm: Arc<Store>,
    pub emr: Arc<Store>,
    pub delay: Duration,
    /// For a batch sync: how often the job runs; changes wait for the next run.
    pub batch_every: Option<Duration>,
    /// The FHIR resource types carried; others stay where they were keyed.
    pub carries: Vec<&'static str>,
    pub defects: Defects,
    /// PM id → EMR id, per resource type the interface has carried.
    crossref: HashMap<(&'static str, String), String>,
    /// The last version of each patient carried, by PM id, which an out-of-order update puts back.
    carried_patients: HashMap<String, Value>,
    /// Messages carried so far, both ways, for `lose_one_in`.
    messages: usize,
    /// When the interface started: batch runs fall on multiples of `batch_every` from here.
    started: Instant,
}

impl Interface {
    pub fn new(pm: Arc<Store>, emr: Arc<Store>, config: &crate::scenario::Interface, defects: Defects) -> Interface {
        Interface {
            pm,
            emr,
            delay: config.delay.0,
            batch_every: config.batch_every.map(|b| b.0),
            carries: config.carries.iter().map(|c| c.resource_type()).collect(),
            defects,
            crossref: HashMap::new(),
            carried_patients: HashMap::new(),
            messages: 0,
            started: Instant::now(),
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

    /// Carries changes in the order they happened, each no sooner than `delay` after it, as a FIFO interface engine does.
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
            let outcome = if towards_emr { self.carry_to_emr(&change) } else { self.carry_to_pm(&change) };
            if let Err(why) = outcome {
                tracing::warn!(resource = %change.resource_type, id = %change.id, "interface could not carry a change: {why}");
            }
        }
    }

    fn carry_to_emr(&mut self, change: &Change) -> Result<(), String> {
        let Some(source) = self.pm.read(&change.resource_type, &change.id) else {
            return Err("the record is gone".into());
        };
        let resource = match change.resource_type.as_str() {
            "Patient" => return self.carry_patient(&change.id, &source),
            "Coverage" => {
                let order = usize::try_from(fhir::coverage_order(&source)).unwrap_or(1);
                if order > 1 && !self.defects.carries_secondary_coverage() {
                    return Ok(());
                }
                let coverage = fhir::coverage_from_fhir(&source).map_err(|e| e.0)?;
                let patient = self.emr_patient(&source["beneficiary"])?;
                fhir::coverage_to_fhir(&coverage, &patient, order)
            }
            "Appointment" => {
                let appointment = fhir::appointment_from_fhir(&source).map_err(|e| e.0)?;
                let pm_patient = fhir::appointment_patient(&source).ok_or("the appointment has no patient")?;
                let patient = self.emr_patient(&fhir::reference("Patient", pm_patient))?;
                fhir::appointment_to_fhir(&appointment, &patient)
            }
            _ => return Ok(()),
        };
        let kind = resource_kind(&change.resource_type);
        match self.crossref.get(&(kind, change.id.clone())) {
            Some(emr_id) => {
                self.emr.update(&change.resource_type, emr_id, resource, None, false).map_err(|e| e.to_string())?;
            }
            None => {
                let created = self.emr.create(resource, false);
                let emr_id = created["id"].as_str().unwrap_or_default().to_string();
                self.crossref.insert((kind, change.id.clone()), emr_id);
            }
        }
        Ok(())
    }

    /// A registration (ADT^A04) or update (ADT^A08), with the demographic and identity defects planted.
    fn carry_patient(&mut self, pm_id: &str, source: &Value) -> Result<(), String> {
        let mut patient = fhir::patient_from_fhir(source).map_err(|e| e.0)?;
        self.defects.patient(&mut patient);
        if self.defects.cross_references() {
            patient.identifiers.push(Identifier { system: PM_PATIENT_ID.into(), value: pm_id.to_string() });
        }
        let resource = fhir::patient_to_fhir(&patient);
        let key = ("Patient", pm_id.to_string());
        let existing = self.crossref.get(&key).cloned();
        match existing {
            Some(_) if self.defects.duplicates_on_update() => {
                let created = self.emr.create(resource.clone(), false);
                self.crossref.insert(key, created["id"].as_str().unwrap_or_default().to_string());
            }
            Some(emr_id) => {
                let applied = match self.carried_patients.get(pm_id) {
                    // The older message lands last, so its values are the ones that stay.
                    Some(previous) if self.defects.updates_out_of_order() => previous.clone(),
                    _ => resource.clone(),
                };
                self.emr.update("Patient", &emr_id, applied, None, false).map_err(|e| e.to_string())?;
            }
            None => {
                let created = self.emr.create(resource.clone(), false);
                self.crossref.insert(key, created["id"].as_str().unwrap_or_default().to_string());
            }
        }
        self.carried_patients.insert(pm_id.to_string(), resource);
        Ok(())
    }

    fn emr_patient(&self, reference: &Value) -> Result<String, String> {
        let pm_id = fhir::reference_id(reference, "Patient").ok_or("no patient reference")?;
        self.crossref
            .get(&("Patient", pm_id.to_string()))
            .cloned()
            .ok_or_else(|| format!("Patient/{pm_id} never reached the EMR"))
    }

    fn pm_patient(&self, emr_id: &str) -> Option<String> {
        self.crossref.iter().find(|((kind, _), e)| *kind == "Patient" && *e == emr_id).map(|((_, pm), _)| pm.clone())
    }

    /// A signed charge goes to the PM with the encounter's diagnoses, as a DFT^P03 carries FT1 and DG1 segments.
    fn carry_to_pm(&mut self, change: &Change) -> Result<(), String> {
        if change.resource_type != "ChargeItem" {
            return Ok(());
        }
        let source = self.emr.read("ChargeItem", &change.id).ok_or("the charge is gone")?;
        let mut charge = fhir::charge_from_fhir(&source).map_err(|e| e.0)?;
        let emr_encounter = fhir::reference_id(&source["context"], "Encounter").ok_or("the charge has no encounter")?;
        let posted = crate::model::Date(jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date());
        self.defects.charge(&mut charge, &self.emr_diagnoses(emr_encounter), posted);
        let emr_patient = fhir::reference_id(&source["subject"], "Patient").ok_or("the charge has no patient")?;
        let pm_patient = self
            .pm_patient(emr_patient)
            .ok_or_else(|| format!("Patient/{emr_patient} was registered in the EMR, which the PM does not know"))?;
        let pm_encounter = self.pm_encounter(emr_encounter, &pm_patient)?;
        let resource = fhir::charge_to_fhir(
            &charge,
            &fhir::reference("Patient", &pm_patient),
            &fhir::reference("Encounter", &pm_encounter),
        );
        if self.defects.duplicates_charges() {
            self.pm.create(resource.clone(), false);
        }
        self.pm.create(resource, false);
        Ok(())
    }

    /// The EMR encounter's diagnoses in rank order.
    fn emr_diagnoses(&self, encounter_id: &str) -> Vec<String> {
        let Some(encounter) = self.emr.read("Encounter", encounter_id) else { return Vec::new() };
        fhir::encounter_diagnoses(&encounter, |cid| {
            self.emr.read("Condition", cid)?["code"]["coding"][0]["code"].as_str().map(str::to_string)
        })
    }

    fn pm_encounter(&mut self, emr_id: &str, pm_patient: &str) -> Result<String, String> {
        if let Some(id) = self.crossref.get(&("Encounter", emr_id.to_string())) {
            return Ok(id.clone());
        }
        let encounter = self.emr.read("Encounter", emr_id).ok_or("the encounter is gone")?;
        let mut diagnoses = self.emr_diagnoses(emr_id);
        self.defects.diagnoses(&mut diagnoses);
        let subject = fhir::reference("Patient", pm_patient);
        let ranked: Vec<Value> = diagnoses
            .iter()
            .enumerate()
            .map(|(i, code)| {
                let condition = self.pm.create(
                    json!({
                        "resourceType": "Condition",
                        "code": fhir::coding(fhir::ICD10CM, code),
                        "subject": subject,
                    }),
                    false,
                );
                json!({ "condition": fhir::reference("Condition", condition["id"].as_str().unwrap_or_default()), "rank": i + 1 })
            })
            .collect();
        let copy = json!({
            "resourceType": "Encounter",
            "status": encounter["status"],
            "class": encounter["class"],
            "subject": subject,
            "period": encounter["period"],
            "participant": encounter["participant"],
            "diagnosis": ranked,
        });
        let created = self.pm.create(copy, false);
        let pm_id = created["id"].as_str().unwrap_or_default().to_string();
        self.crossref.insert(("Encounter", emr_id.to_string()), pm_id.clone());
        Ok(pm_id)
    }
}

fn resource_kind(resource_type: &str) -> &'static str {
    match resource_type {
        "Patient" => "Patient",
        "Coverage" => "Coverage",
        "Appointment" => "Appointment",
        _ => "Other",
    }
}
