//! How the simulated PM builds a professional claim from the charges and diagnoses it holds.

use crate::connect::fhir::resources::pointers;
use crate::model::{Charge, Claim, ClaimLine, Coverage};

/// What the simulated practice charges per unit of service; real fee schedules vary by code, which scoring does not need.
pub const FEE_PER_UNIT: f64 = 100.0;
/// An 837P carries at most 12 diagnoses.
const MAX_CLAIM_DIAGNOSES: usize = 12;

/// A claim listing the encounter's diagnoses in rank order, each charge as a line pointing at the diagnoses it names.
pub fn build_claim(id: &str, diagnoses: &[String], charges: &[Charge], coverage: Option<&Coverage>) -> Claim {
    // Charges keyed by hand have no encounter; their own diagnoses, in order of first mention, stand in.
    let mut diagnoses: Vec<String> = diagnoses.to_vec();
    if diagnoses.is_empty() {
        for code in charges.iter().flat_map(|c| &c.diagnoses) {
            if !diagnoses.contains(code) {
                diagnoses.push(code.clone());
            }
        }
    }
    diagnoses.truncate(MAX_CLAIM_DIAGNOSES);
    let lines: Vec<ClaimLine> = charges
        .iter()
        .map(|c| ClaimLine {
            code: c.code.clone(),
            modifiers: c.modifiers.clone(),
            units: c.units,
            // A charge naming a diagnosis the claim does not list loses that pointer, as PMs do.
            dx_pointers: pointers(&diagnoses, &c.diagnoses).into_iter().take(4).collect(),
            place_of_service: c.place_of_service.clone(),
            date_of_service: c.date_of_service,
            rendering_npi: c.rendering_npi.clone(),
            charge: FEE_PER_UNIT * c.units,
        })
        .collect();
    Claim {
        id: id.to_string(),
        payer: coverage.map(|c| c.payer.clone()).unwrap_or_default(),
        member_id: coverage.map(|c| c.member_id.clone()).unwrap_or_default(),
        total_charge: lines.iter().map(|l| l.charge).sum(),
        diagnoses,
        lines,
    }
}
