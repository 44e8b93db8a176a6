//! What the payer decided about a claim: per line what was charged, allowed and paid, and each adjustment with its
//! group and reason code (CARC), as an 835 or a FHIR ClaimResponse carries it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The payer's answer to one claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Remittance {
    /// The practice's claim id (CLM01 / CLP01) the answer is for.
    pub claim_id: String,
    /// The payer's own number for the claim (CLP07, REF*1K), when it accepted it.
    pub payer_claim_id: String,
    pub status: ClaimDecision,
    /// Why a rejected claim was never adjudicated: the 999 or 277CA status (`277CA A7:21`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<String>,
    pub charged: f64,
    pub paid: f64,
    /// What the patient owes (CLP05): coinsurance, deductible, co-payment.
    pub patient_responsibility: f64,
    /// One per claim line the payer adjudicated, in claim order; empty for a rejected claim.
    pub lines: Vec<Adjudication>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimDecision {
    /// Adjudicated, and at least one line paid (CLP02 `1`).
    Paid,
    /// Adjudicated, and no line paid (CLP02 `4`).
    Denied,
    /// Turned away before adjudication: a 999 or 277CA rejection. It can be corrected and sent again.
    Rejected,
    /// Never sent, because the simulator cannot write it: a patient covered as a dependent needs the 837P patient
    /// loop (2000C), which the project's writer does not build. Says nothing about the systems under test.
    NotSubmitted,
}

/// One service line as the payer adjudicated it (an 835 SVC with its CAS and AMT*B6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Adjudication {
    pub code: String,
    pub modifiers: Vec<String>,
    pub units: f64,
    pub charged: f64,
    pub allowed: f64,
    pub paid: f64,
    pub adjustments: Vec<Adjustment>,
}

/// One CAS triple: why part of a charge was not paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Adjustment {
    /// `CO` contractual obligation, `PR` patient responsibility, `OA` other, `PI` payer initiated.
    pub group: String,
    /// The claim adjustment reason code (`45`, `97`, ...).
    pub reason: String,
    pub amount: f64,
}

impl Adjustment {
    /// `CO-97`, as denial reports write it.
    pub fn carc(&self) -> String {
        format!("{}-{}", self.group, self.reason)
    }

    /// The contract's write-off (CO-45) and what the patient owes (PR) are the expected cost of a paid claim, not a
    /// denial; anything else cost the practice money it billed for.
    pub fn is_expected(&self) -> bool {
        self.group == "PR" || (self.group == "CO" && self.reason == "45")
    }
}

impl Adjudication {
    /// The adjustments that are denials or reductions, not the contract or the patient's share.
    pub fn unexpected(&self) -> impl Iterator<Item = &Adjustment> {
        self.adjustments.iter().filter(|a| !a.is_expected())
    }

    /// Nothing paid for a line that charged something, for a reason other than the patient's share.
    pub fn denied(&self) -> bool {
        self.paid == 0.0 && self.charged > 0.0 && self.unexpected().next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(paid: f64, adjustments: &[(&str, &str, f64)]) -> Adjudication {
        Adjudication {
            code: "99213".into(),
            modifiers: vec![],
            units: 1.0,
            charged: 100.0,
            allowed: 80.0,
            paid,
            adjustments: adjustments
                .iter()
                .map(|(g, r, a)| Adjustment { group: g.to_string(), reason: r.to_string(), amount: *a })
                .collect(),
        }
    }

    #[test]
    fn the_contract_and_the_patients_share_are_not_denials() {
        let paid = line(64.0, &[("CO", "45", 20.0), ("PR", "2", 16.0)]);
        assert!(!paid.denied());
        assert_eq!(paid.unexpected().count(), 0);
        let patient_pays_all = line(0.0, &[("CO", "45", 20.0), ("PR", "1", 80.0)]);
        assert!(!patient_pays_all.denied());
        let bundled = line(0.0, &[("CO", "97", 100.0)]);
        assert!(bundled.denied());
        assert_eq!(bundled.unexpected().map(Adjustment::carc).collect::<Vec<_>>(), ["CO-97"]);
    }
}
