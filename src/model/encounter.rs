//! A visit as the clinician documents it: ordered diagnoses and the services rendered.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Charge, Date};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Encounter {
    pub date_of_service: Date,
    /// CMS place-of-service code, two digits (`11` office).
    pub place_of_service: String,
    pub rendering_npi: String,
    /// ICD-10-CM codes in the order the clinician ranked them; the first is principal.
    pub diagnoses: Vec<Diagnosis>,
    pub service_lines: Vec<ServiceLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Diagnosis {
    /// ICD-10-CM code with its dot (`E11.65`).
    pub code: String,
}

/// One billable service: what a claim line must carry unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceLine {
    /// CPT or HCPCS Level II code.
    pub code: String,
    pub modifiers: Vec<String>,
    pub units: f64,
    /// 1-based pointers into the encounter's diagnoses, most important first.
    pub dx_pointers: Vec<u8>,
    pub place_of_service: String,
    pub date_of_service: Date,
    pub rendering_npi: String,
}

impl ServiceLine {
    /// The service a charge bills, its diagnosis codes turned back into pointers into `diagnoses`; a code not on
    /// the list has no pointer.
    pub fn from_charge(charge: &Charge, diagnoses: &[String]) -> ServiceLine {
        ServiceLine {
            code: charge.code.clone(),
            modifiers: charge.modifiers.clone(),
            units: charge.units,
            dx_pointers: charge.pointers_into(diagnoses),
            place_of_service: charge.place_of_service.clone(),
            date_of_service: charge.date_of_service,
            rendering_npi: charge.rendering_npi.clone(),
        }
    }
}

impl Encounter {
    /// The charges the visit produces, one per service line, each naming the diagnosis codes its pointers
    /// resolve to (as a PM charge and an HL7 FT1-19 carry them).
    pub fn charges(&self) -> Vec<Charge> {
        self.service_lines.iter().map(|line| self.charge_for(line)).collect()
    }

    pub fn charge_for(&self, line: &ServiceLine) -> Charge {
        Charge {
            code: line.code.clone(),
            modifiers: line.modifiers.clone(),
            units: line.units,
            diagnoses: self.line_diagnoses(line),
            place_of_service: line.place_of_service.clone(),
            date_of_service: line.date_of_service,
            rendering_npi: line.rendering_npi.clone(),
        }
    }

    /// The diagnosis codes a line points at, in pointer order; pointers past the list are skipped.
    pub fn line_diagnoses(&self, line: &ServiceLine) -> Vec<String> {
        line.dx_pointers
            .iter()
            .filter_map(|p| self.diagnoses.get(usize::from(*p).checked_sub(1)?))
            .map(|d| d.code.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charges_diagnoses_become_pointers_and_codes_the_visit_does_not_list_are_skipped() {
        let charge = Charge {
            code: "99213".into(),
            modifiers: vec!["25".into()],
            units: 1.0,
            diagnoses: vec!["B".into(), "C".into(), "A".into()],
            place_of_service: "11".into(),
            date_of_service: "2026-01-05".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        };
        let line = ServiceLine::from_charge(&charge, &["A".to_string(), "B".to_string()]);
        assert_eq!(line.dx_pointers, vec![2, 1]);
        assert_eq!((line.code.as_str(), line.modifiers, line.units), ("99213", vec!["25".to_string()], 1.0));
    }
}
