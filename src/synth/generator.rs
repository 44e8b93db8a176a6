//! The seeded generator: synthetic patient `i` (demographics, coverage, a visit) as a pure function of the seed and `i`.

use super::address::{address, city_for};
use super::age::{age, birth_date};
use super::coverage::{Plan, coverages, plan};
use super::diagnoses::all_codes;
use super::draw::Draw;
use super::icd::IcdCodeSet;
use super::names::name;
use super::phone::phone;
use super::visit::{GeneratedVisit, visit};
use crate::model::{Patient, Sex};

/// Synthetic patients for one seed. Patient `i` depends only on (seed, `i`): the same on every machine, whether 10
/// or 10,000 are asked for, and whichever are asked for first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticPatients {
    seed: u64,
}

/// One synthetic patient and the visit documented for them.
#[derive(Debug, Clone)]
pub struct SyntheticPatient {
    pub patient: Patient,
    pub visit: GeneratedVisit,
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error(
        "the synthetic diagnosis pools hold codes this ICD-10-CM release does not list as billable: {}; \
         replace them in src/synth/diagnoses.rs with billable codes of the release",
        .codes.join(", ")
    )]
    NotBillable { codes: Vec<String> },
}

impl SyntheticPatients {
    /// Checks every diagnosis the generator can produce against `codes` once, here, so no patient can carry a
    /// code that is retired or not billable in that release.
    pub fn new(seed: u64, codes: &IcdCodeSet) -> Result<SyntheticPatients, SynthError> {
        let not_billable: Vec<String> =
            all_codes().filter(|code| !codes.is_billable(code)).map(|code| code.to_string()).collect();
        if !not_billable.is_empty() {
            return Err(SynthError::NotBillable { codes: not_billable });
        }
        Ok(SyntheticPatients { seed })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn generate(&self, index: u64) -> SyntheticPatient {
        let (patient, age, plan) = self.demographics(index);
        let visit = visit(&mut Draw::new(self.seed, index, b"visit   "), age, plan);
        SyntheticPatient { patient, visit }
    }

    /// Patient `index` without a visit: a visit takes most of the time, and exports of demographics need none.
    pub fn patient(&self, index: u64) -> Patient {
        self.demographics(index).0
    }

    fn demographics(&self, index: u64) -> (Patient, u8, Plan) {
        let seed = self.seed;
        // Each aspect has its own stream, so a change to how one is drawn leaves the others as they were.
        let mut insurance = Draw::new(seed, index, b"coverage");
        let plan = plan(&mut insurance);
        let mut person = Draw::new(seed, index, b"person  ");
        let age = age(&mut person, plan);
        let birth_date = birth_date(&mut person, age);
        let sex = *person.weighted(&[(510, Sex::Female), (480, Sex::Male), (5, Sex::Other), (5, Sex::Unknown)]);
        let name = name(&mut Draw::new(seed, index, b"name    "), sex);
        let mut place = Draw::new(seed, index, b"address ");
        let city = city_for(&mut place);
        let address = address(&mut place, city);
        let phone = phone(&mut Draw::new(seed, index, b"phone   "), city);
        let (coverage, secondary_coverage) = coverages(&mut insurance, plan, age, city.state);
        let patient = Patient {
            name,
            birth_date,
            sex,
            address: Some(address),
            phone: Some(phone),
            identifiers: Vec::new(),
            coverage: Some(coverage),
            secondary_coverage,
        };
        (patient, age, plan)
    }

    pub fn visit(&self, index: u64) -> GeneratedVisit {
        self.generate(index).visit
    }

    /// Patients 0, 1, 2, ... without end; take as many as needed.
    pub fn iter(&self) -> impl Iterator<Item = SyntheticPatient> + '_ {
        (0..).map(|index| self.generate(index))
    }
}
