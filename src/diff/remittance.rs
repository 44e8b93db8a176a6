//! The last hop of a billing element's lineage: each documented service, through the claim line that carried it, to
//! the line the payer adjudicated (835 SVC with its CAS). No I/O.

use super::lineage::match_codes;
use crate::model::{Adjudication, Claim, Encounter, Remittance};

/// What became of one documented service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceOutcome<'a> {
    /// 1-based, in documentation order.
    pub line: usize,
    pub code: String,
    /// The 1-based claim line that carried it; `None` when it never reached the claim.
    pub claim_line: Option<usize>,
    /// The payer's decision on that claim line; `None` when the remittance does not mention it.
    pub adjudication: Option<&'a Adjudication>,
}

/// Documented lines are matched to claim lines, and claim lines to adjudicated lines, by code first and then by
/// position, as the claim lineage matches them. Without a claim, documented lines are matched to the remittance.
pub fn trace_to_remittance<'a>(
    documented: &Encounter,
    claim: Option<&Claim>,
    remittance: &'a Remittance,
) -> Vec<ServiceOutcome<'a>> {
    let documented_codes: Vec<String> = documented.service_lines.iter().map(|l| l.code.clone()).collect();
    let paid_codes: Vec<String> = remittance.lines.iter().map(|l| l.code.clone()).collect();
    let (to_claim, claim_to_paid) = match claim {
        Some(claim) => {
            let claim_codes: Vec<String> = claim.lines.iter().map(|l| l.code.clone()).collect();
            (match_codes(&documented_codes, &claim_codes), match_codes(&claim_codes, &paid_codes))
        }
        // With no claim read, the remittance stands in for it line for line.
        None => (match_codes(&documented_codes, &paid_codes), (0..paid_codes.len()).map(Some).collect()),
    };
    documented_codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let claim_line = to_claim[i];
            ServiceOutcome {
                line: i + 1,
                code,
                claim_line: claim_line.map(|c| c + 1),
                adjudication: claim_line
                    .and_then(|c| claim_to_paid.get(c).copied().flatten())
                    .map(|p| &remittance.lines[p]),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Adjustment, ClaimDecision, ClaimLine, Diagnosis, ServiceLine};

    fn service(code: &str) -> ServiceLine {
        ServiceLine {
            code: code.into(),
            modifiers: vec![],
            units: 1.0,
            dx_pointers: vec![1],
            place_of_service: "11".into(),
            date_of_service: "2026-06-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        }
    }

    fn adjudicated(code: &str, paid: f64) -> Adjudication {
        Adjudication {
            code: code.into(),
            modifiers: vec![],
            units: 1.0,
            charged: 100.0,
            allowed: paid,
            paid,
            adjustments: vec![Adjustment { group: "CO".into(), reason: "45".into(), amount: 100.0 - paid }],
        }
    }

    #[test]
    fn each_documented_service_reaches_its_adjudicated_line_through_the_claim() {
        let documented = Encounter {
            date_of_service: "2026-06-01".parse().unwrap(),
            place_of_service: "11".into(),
            rendering_npi: "1234567893".into(),
            diagnoses: vec![Diagnosis { code: "M17.11".into() }],
            service_lines: vec![service("99204"), service("20610"), service("J1030")],
        };
        // The claim lost J1030 and lists the other two in reverse; the payer answered in claim order.
        let line = |code: &str| ClaimLine {
            code: code.into(),
            modifiers: vec![],
            units: 1.0,
            dx_pointers: vec![1],
            place_of_service: "11".into(),
            date_of_service: "2026-06-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
            charge: 100.0,
        };
        let claim = Claim {
            id: "p9".into(),
            payer: "medicare".into(),
            member_id: "1EG4TE5MK72".into(),
            diagnoses: vec!["M17.11".into()],
            lines: vec![line("20610"), line("99204")],
            total_charge: 200.0,
        };
        let remittance = Remittance {
            claim_id: "p9".into(),
            payer_claim_id: "1".into(),
            status: ClaimDecision::Paid,
            rejection: None,
            charged: 200.0,
            paid: 80.0,
            patient_responsibility: 0.0,
            lines: vec![adjudicated("20610", 80.0), adjudicated("99204", 0.0)],
        };
        let traced = trace_to_remittance(&documented, Some(&claim), &remittance);
        let summary: Vec<_> =
            traced.iter().map(|o| (o.line, o.code.as_str(), o.claim_line, o.adjudication.map(|a| a.paid))).collect();
        assert_eq!(
            summary,
            [(1, "99204", Some(2), Some(0.0)), (2, "20610", Some(1), Some(80.0)), (3, "J1030", None, None)]
        );
    }
}
