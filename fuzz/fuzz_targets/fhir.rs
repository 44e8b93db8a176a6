//! Fuzz target: any JSON as the FHIR resources a system returns (alone, or as the entries of a Bundle) through
//! every function that turns FHIR into the model. Nothing may panic, and what was read must survive being written
//! back and read again unchanged.
#![no_main]

use handoff::connect::fhir::resources::{
    appointment_from_fhir, appointment_patient, appointment_to_fhir, capabilities_from_fhir, charge_from_fhir,
    charge_to_fhir, claim_coverage_id, claim_from_fhir, claim_to_fhir, coverage_from_fhir, coverage_order,
    coverage_to_fhir, encounter_diagnoses, encounter_from_fhir, patient_from_fhir, patient_to_fhir, reference,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn read_all(resource: &Value) {
    let _ = capabilities_from_fhir(resource);
    let _ = (appointment_patient(resource), claim_coverage_id(resource), coverage_order(resource));
    if let Ok(patient) = patient_from_fhir(resource) {
        assert_eq!(patient_from_fhir(&patient_to_fhir(&patient)).as_ref(), Ok(&patient), "Patient round trip");
    }
    let coverage = coverage_from_fhir(resource).ok();
    if let Some(coverage) = &coverage {
        let again = coverage_from_fhir(&coverage_to_fhir(coverage, "p1", 1));
        assert_eq!(again.as_ref(), Ok(coverage), "Coverage round trip");
    }
    if let Ok(appointment) = appointment_from_fhir(resource) {
        let again = appointment_from_fhir(&appointment_to_fhir(&appointment, "p1"));
        assert_eq!(again.as_ref(), Ok(&appointment), "Appointment round trip");
    }
    let charges: Vec<_> = charge_from_fhir(resource).into_iter().collect();
    for charge in &charges {
        let written = charge_to_fhir(charge, &reference("Patient", "p1"), &reference("Encounter", "e1"));
        assert_eq!(charge_from_fhir(&written).as_ref(), Ok(charge), "ChargeItem round trip");
    }
    let diagnoses = encounter_diagnoses(resource, |id| Some(format!("Z{}", id.len() % 100)));
    let _ = encounter_from_fhir(resource, diagnoses, &charges);
    if let Ok(claim) = claim_from_fhir(resource, "c1", coverage.as_ref()) {
        let _ = claim_to_fhir(&claim, "p1", Some("cov1"), "2026-01-01");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    read_all(&value);
    if let Some(entries) = value.get("entry").and_then(Value::as_array) {
        for resource in entries.iter().filter_map(|e| e.get("resource")) {
            read_all(resource);
        }
    }
});
