//! Property tests: a patient or a visit's charges built into ADT^A04 or DFT^P03, sent as ER7 and parsed, read
//! back as they were, whatever characters the values hold.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::fixtures::{envelope, over_the_wire};
use super::{PatientId, PatientRecord, PostedCharges, adt_a04, dft_p03, read_adt, read_dft};
use crate::model::strategies::{
    date, hundredths, icd10, identifier_system, modifier, npi, patient, place_of_service, procedure, text,
};
use crate::model::{Charge, Diagnosis};

fn record() -> impl Strategy<Value = PatientRecord> {
    (text(), identifier_system(), patient()).prop_map(|(value, assigning_authority, patient)| PatientRecord {
        id: PatientId { value, assigning_authority },
        patient,
    })
}

fn charge() -> impl Strategy<Value = Charge> {
    (procedure(), vec(modifier(), 0..=4), hundredths(99_900), vec(icd10(), 0..=4), place_of_service(), date(), npi())
        .prop_map(|(code, modifiers, units, diagnoses, place_of_service, date_of_service, rendering_npi)| Charge {
            code,
            modifiers,
            units,
            diagnoses,
            place_of_service,
            date_of_service,
            rendering_npi,
        })
}

fn posted() -> impl Strategy<Value = PostedCharges> {
    (record(), vec(icd10(), 0..=12), vec(charge(), 0..=8), option::of(text())).prop_map(
        |(mut patient, diagnoses, charges, visit_number)| {
            // DFT carries no IN1: coverage travels in ADT.
            patient.patient.coverage = None;
            patient.patient.secondary_coverage = None;
            PostedCharges {
                patient,
                diagnoses: diagnoses.into_iter().map(|code| Diagnosis { code }).collect(),
                charges,
                visit_number,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn an_adt_a04_built_then_parsed_gives_back_the_patient(record in record()) {
        let message = over_the_wire(&adt_a04(&envelope("PROP1"), &record));
        prop_assert_eq!(read_adt(&message).unwrap(), record);
    }

    #[test]
    fn a_dft_p03_built_then_parsed_gives_back_the_charges(posted in posted()) {
        let message = over_the_wire(&dft_p03(&envelope("PROP2"), &posted));
        prop_assert_eq!(read_dft(&message).unwrap(), posted);
    }
}
