//! Planting a profile's defects in the data an interface carries: the same mistakes real interfaces make (docs/defects.md).

use std::time::Duration;

use crate::diff::address_line;
use crate::model::{Charge, Date, Patient};
use crate::scenario::Defect;

#[derive(Debug, Clone, Default)]
pub struct Defects(pub Vec<Defect>);

impl Defects {
    fn has(&self, wanted: impl Fn(&Defect) -> bool) -> bool {
        self.0.iter().any(wanted)
    }

    /// A patient as the receiving system ends up holding them.
    pub fn patient(&self, patient: &mut Patient) {
        for defect in &self.0 {
            match defect {
                Defect::TruncateFamilyName { max_chars } => {
                    patient.name.family = patient.name.family.chars().take(*max_chars).collect();
                }
                Defect::FoldCase => {
                    patient.name.family = patient.name.family.to_uppercase();
                    patient.name.given.iter_mut().for_each(|g| *g = g.to_uppercase());
                }
                Defect::DropMiddleName => patient.name.given.truncate(1),
                Defect::ReformatPhone => {
                    if let Some(phone) = &mut patient.phone {
                        *phone = phone.chars().filter(char::is_ascii_digit).collect();
                    }
                }
                Defect::AbbreviateAddress => {
                    if let Some(address) = &mut patient.address {
                        address.line.iter_mut().for_each(|l| *l = address_line(l));
                    }
                }
                Defect::SwapBirthDayMonth => {
                    let d = patient.birth_date.0;
                    if let Some(swapped) = Date::new(d.year(), d.day(), d.month()) {
                        patient.birth_date = swapped;
                    }
                }
                Defect::NoCrossReference => patient.identifiers.clear(),
                _ => {}
            }
        }
    }

    pub fn carries_secondary_coverage(&self) -> bool {
        !self.has(|d| matches!(d, Defect::LoseSecondaryCoverage))
    }

    pub fn duplicates_on_update(&self) -> bool {
        self.has(|d| matches!(d, Defect::DuplicatePatientOnUpdate))
    }

    pub fn updates_out_of_order(&self) -> bool {
        self.has(|d| matches!(d, Defect::ApplyUpdatesOutOfOrder))
    }

    pub fn cross_references(&self) -> bool {
        !self.has(|d| matches!(d, Defect::NoCrossReference))
    }

    pub fn duplicates_charges(&self) -> bool {
        self.has(|d| matches!(d, Defect::DuplicateCharge))
    }

    /// How much longer than the interface's own delay each message waits.
    pub fn extra_delay(&self) -> Duration {
        self.0.iter().map(|d| if let Defect::Delay { extra } = d { extra.0 } else { Duration::ZERO }).sum()
    }

    /// Whether the `count`th message carried (1-based) is lost.
    pub fn loses(&self, count: usize) -> bool {
        self.has(|d| matches!(d, Defect::LoseOneIn { n } if *n > 0 && count.is_multiple_of(*n)))
    }

    /// A charge as the PM ends up holding it; `encounter_diagnoses` are the visit's ranked codes, `posted` the posting day.
    pub fn charge(&self, charge: &mut Charge, encounter_diagnoses: &[String], posted: Date) {
        for defect in &self.0 {
            match defect {
                Defect::DropModifier { modifier } => charge.modifiers.retain(|m| m != modifier),
                Defect::DropModifiersAfter { keep } => charge.modifiers.truncate(*keep),
                Defect::ShiftDiagnosisPointers => {
                    for code in &mut charge.diagnoses {
                        if let Some(i) = encounter_diagnoses.iter().position(|d| d == code) {
                            *code = encounter_diagnoses[(i + 1) % encounter_diagnoses.len()].clone();
                        }
                    }
                }
                Defect::RoundUnits => charge.units = charge.units.round(),
                Defect::CapUnits { max } => charge.units = charge.units.min(*max),
                Defect::DefaultPlaceOfService { code } => charge.place_of_service = code.clone(),
                Defect::BillingNpiAsRendering { npi } => charge.rendering_npi = npi.clone(),
                Defect::PostingDateAsServiceDate => charge.date_of_service = posted,
                _ => {}
            }
        }
    }

    /// An encounter's ranked diagnoses as the PM ends up holding them.
    pub fn diagnoses(&self, diagnoses: &mut Vec<String>) {
        for defect in &self.0 {
            if let Defect::CarryFirstDiagnoses { count } = defect {
                diagnoses.truncate(*count);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, HumanName, Sex};

    fn patient() -> Patient {
        Patient {
            name: HumanName { given: vec!["José".into(), "Luis".into()], family: "Muñoz-Ríos".into() },
            birth_date: "1990-03-07".parse().unwrap(),
            sex: Sex::Male,
            address: Some(Address {
                line: vec!["12 North Harbor Avenue".into()],
                city: "Tampa".into(),
                state: "FL".into(),
                postal_code: "33602".into(),
            }),
            phone: Some("(813) 555-0100".into()),
            identifiers: vec![],
            coverage: None,
            secondary_coverage: None,
        }
    }

    fn planted(defect: Defect) -> Patient {
        let mut p = patient();
        Defects(vec![defect]).patient(&mut p);
        p
    }

    #[test]
    fn each_demographic_defect_changes_only_its_field() {
        assert_eq!(planted(Defect::TruncateFamilyName { max_chars: 4 }).name.family, "Muño");
        assert_eq!(planted(Defect::FoldCase).name.given, ["JOSÉ", "LUIS"]);
        assert_eq!(planted(Defect::DropMiddleName).name.given, ["José"]);
        assert_eq!(planted(Defect::ReformatPhone).phone.as_deref(), Some("8135550100"));
        assert_eq!(planted(Defect::AbbreviateAddress).address.unwrap().line, ["12 N HARBOR AVE"]);
        assert_eq!(planted(Defect::SwapBirthDayMonth).birth_date.to_string(), "1990-07-03");
        let untouched = planted(Defect::RoundUnits);
        assert_eq!(untouched, patient());
    }

    #[test]
    fn a_birth_day_past_twelve_cannot_be_swapped_and_is_left_alone() {
        let mut p = patient();
        p.birth_date = "1990-03-25".parse().unwrap();
        Defects(vec![Defect::SwapBirthDayMonth]).patient(&mut p);
        assert_eq!(p.birth_date.to_string(), "1990-03-25");
    }

    #[test]
    fn every_nth_message_is_lost() {
        let d = Defects(vec![Defect::LoseOneIn { n: 3 }]);
        let lost: Vec<usize> = (1..=9).filter(|c| d.loses(*c)).collect();
        assert_eq!(lost, [3, 6, 9]);
    }

    #[test]
    fn pointers_shift_to_the_next_diagnosis() {
        let mut charge = Charge {
            code: "99213".into(),
            modifiers: vec!["25".into(), "GC".into(), "Q5".into()],
            units: 2.5,
            diagnoses: vec!["A".into(), "C".into()],
            place_of_service: "22".into(),
            date_of_service: "2026-12-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        };
        let dx: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let posted: Date = "2026-12-09".parse().unwrap();
        let defects = Defects(vec![
            Defect::ShiftDiagnosisPointers,
            Defect::DropModifier { modifier: "GC".into() },
            Defect::RoundUnits,
            Defect::PostingDateAsServiceDate,
        ]);
        defects.charge(&mut charge, &dx, posted);
        assert_eq!(charge.diagnoses, ["B", "A"]);
        assert_eq!(charge.modifiers, ["25", "Q5"]);
        assert_eq!(charge.units, 3.0);
        assert_eq!(charge.date_of_service, posted);
    }
}
