//! Planting a profile's defects in the data an interface carries: the same mistakes real interfaces make.

use crate::model::{Charge, Patient};
use crate::scenario::Defect;

#[derive(Debug, Clone, Default)]
pub struct Defects(pub Vec<Defect>);

impl Defects {
    /// A patient as the receiving system ends up holding them.
    pub fn patient(&self, patient: &mut Patient) {
        for defect in &self.0 {
            if let Defect::TruncateFamilyName { max_chars } = defect {
                patient.name.family = patient.name.family.chars().take(*max_chars).collect();
            }
        }
    }

    /// A charge as the PM ends up holding it.
    pub fn charge(&self, charge: &mut Charge) {
        for defect in &self.0 {
            if let Defect::DropModifiersAfter { keep } = defect {
                charge.modifiers.truncate(*keep);
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

    #[test]
    fn truncation_counts_characters_not_bytes() {
        let defects = Defects(vec![Defect::TruncateFamilyName { max_chars: 4 }]);
        let mut p = Patient {
            name: crate::model::HumanName { given: vec![], family: "Muñoz-Ríos".into() },
            birth_date: "1990-01-01".parse().unwrap(),
            sex: crate::model::Sex::Male,
            address: None,
            phone: None,
            identifiers: vec![],
            coverage: None,
        };
        defects.patient(&mut p);
        assert_eq!(p.name.family, "Muño");
    }

    #[test]
    fn keeps_only_the_named_number_of_diagnoses() {
        let defects = Defects(vec![Defect::CarryFirstDiagnoses { count: 4 }]);
        let mut dx: Vec<String> = ["A", "B", "C", "D", "E"].iter().map(|s| s.to_string()).collect();
        defects.diagnoses(&mut dx);
        assert_eq!(dx, ["A", "B", "C", "D"]);
    }
}
