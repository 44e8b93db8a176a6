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
        let pointers = charge
            .diagnoses
            .iter()
            .filter_map(|c| diagnoses.iter().position(|d| d == c))
            .filter_map(|p| u8::try_from(p + 1).ok())
            .collect();
        ServiceLine {
            code: charge.code.clone(),
            modifiers: charge.modifiers.clone(),
            units: charge.units,
            dx_pointers: pointers,
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
