//! The payer's answer to a claim as a FHIR R4 ClaimResponse: per item the submitted, eligible and benefit amounts,
//! and each CAS adjustment with its group as the category and its CARC as the reason.

use serde::Deserialize;
use serde_json::{Value, json};

use super::lenient::{Count, List, Obj, Text, from_value};
use super::read::{Concept, IdentifierField, Meta, Quantity, Reference, Resource, resource};
use super::resources::{Unreadable, coding, reference};
use crate::model::{Adjudication, Adjustment, ClaimDecision, ClaimLine, Remittance};

pub const ADJUDICATION: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
/// X12's claim adjustment reason codes (CARC) and group codes, as code systems.
pub const CARC: &str = "https://x12.org/codes/claim-adjustment-reason-codes";
pub const CAS_GROUP: &str = "https://x12.org/codes/claim-adjustment-group-codes";
/// The payer's own claim number (835 CLP07, 277CA REF*1K).
pub const PAYER_CLAIM_NUMBER: &str = "https://handoff.dev/fhir/sid/payer-claim-number";
/// Why a claim never reached adjudication: `rejected` by the 999, the 277CA or the PM's own edit, or
/// `not-submitted` because the simulator cannot write it.
pub const SUBMISSION_ERROR: &str = "https://handoff.dev/fhir/CodeSystem/claim-submission-error";

fn money(amount: f64) -> Value {
    json!({ "value": (amount * 100.0).round() / 100.0, "currency": "USD" })
}

fn amount_of(category: &str, amount: f64) -> Value {
    json!({ "category": coding(ADJUDICATION, category), "amount": money(amount) })
}

pub fn claim_response_to_fhir(r: &Remittance, patient_id: &str, insurer: &str, created: &str) -> Value {
    let items: Vec<Value> = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut adjudication = vec![
                amount_of("submitted", line.charged),
                amount_of("eligible", line.allowed),
                amount_of("benefit", line.paid),
            ];
            adjudication.extend(line.adjustments.iter().map(|a| {
                json!({
                    "category": coding(CAS_GROUP, &a.group),
                    "reason": coding(CARC, &a.reason),
                    "amount": money(a.amount),
                })
            }));
            json!({ "itemSequence": i + 1, "adjudication": adjudication })
        })
        .collect();
    let (outcome, disposition) = match r.status {
        ClaimDecision::Paid => ("complete", "paid".to_string()),
        ClaimDecision::Denied => ("complete", "denied".to_string()),
        ClaimDecision::Rejected => {
            ("error", format!("rejected: {}", r.rejection.as_deref().unwrap_or("no reason given")))
        }
        ClaimDecision::NotSubmitted => {
            ("error", format!("not submitted: {}", r.rejection.as_deref().unwrap_or("no reason given")))
        }
    };
    let mut resource = json!({
        "resourceType": "ClaimResponse",
        "status": "active",
        "type": coding("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
        "use": "claim",
        "patient": reference("Patient", patient_id),
        "created": created,
        "insurer": { "display": insurer },
        "request": reference("Claim", &r.claim_id),
        "outcome": outcome,
        "disposition": disposition,
        "item": items,
        "total": [amount_of("submitted", r.charged), amount_of("benefit", r.paid)],
    });
    if !r.payer_claim_id.is_empty() {
        resource["identifier"] = json!([{ "system": PAYER_CLAIM_NUMBER, "value": r.payer_claim_id }]);
    }
    if let Some(why) = &r.rejection {
        let code = if r.status == ClaimDecision::NotSubmitted { "not-submitted" } else { "rejected" };
        resource["error"] =
            json!([{ "code": { "coding": [{ "system": SUBMISSION_ERROR, "code": code }], "text": why } }]);
    }
    if matches!(r.status, ClaimDecision::Paid | ClaimDecision::Denied) {
        resource["payment"] = json!({
            "type": coding("http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete"),
            "amount": money(r.paid),
        });
    }
    resource
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaimResponseDoc {
    resource_type: Text,
    id: Text,
    meta: Meta,
    request: Obj<Reference>,
    item: List<Obj<Item>>,
    total: List<Obj<AdjudicationEntry>>,
    outcome: Text,
    error: List<Obj<ErrorEntry>>,
    identifier: List<Obj<IdentifierField>>,
}

resource!(ClaimResponseDoc, "ClaimResponse");

impl ClaimResponseDoc {
    /// The claim it answers (`request`), whose lines name what each item was.
    pub fn request(&self) -> Option<&str> {
        self.request.id_of("Claim")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Item {
    item_sequence: Count,
    adjudication: List<Obj<AdjudicationEntry>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AdjudicationEntry {
    category: Obj<Concept>,
    reason: Obj<Concept>,
    amount: Obj<Quantity>,
}

impl AdjudicationEntry {
    fn amount(&self) -> f64 {
        self.amount.value.0.unwrap_or(0.0)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorEntry {
    code: Obj<Concept>,
}

/// `claim_lines` are the lines of the claim answered, in order: an item names its line by sequence only.
pub fn remittance_from_fhir(resource: &Value, claim_lines: &[ClaimLine]) -> Result<Remittance, Unreadable> {
    remittance(from_value(resource), claim_lines)
}

pub fn remittance(doc: ClaimResponseDoc, claim_lines: &[ClaimLine]) -> Result<Remittance, Unreadable> {
    let claim_id =
        doc.request().ok_or_else(|| Unreadable("ClaimResponse.request does not reference a Claim".into()))?.to_string();
    let mut lines = Vec::with_capacity(doc.item.len());
    for item in doc.item.iter() {
        let sequence =
            item.item_sequence.0.ok_or_else(|| Unreadable("ClaimResponse.item.itemSequence is missing".into()))?;
        let claim_line =
            usize::try_from(sequence).ok().and_then(|s| claim_lines.get(s.checked_sub(1)?)).ok_or_else(|| {
                Unreadable(format!("ClaimResponse.item {sequence} has no line {sequence} on Claim/{claim_id}"))
            })?;
        let mut line = Adjudication {
            code: claim_line.code.clone(),
            modifiers: claim_line.modifiers.clone(),
            units: claim_line.units,
            charged: 0.0,
            allowed: 0.0,
            paid: 0.0,
            adjustments: Vec::new(),
        };
        for entry in item.adjudication.iter() {
            let category = &entry.category;
            match (category.code_in(ADJUDICATION), category.code_in(CAS_GROUP)) {
                (Some("submitted"), _) => line.charged = entry.amount(),
                (Some("eligible"), _) => line.allowed = entry.amount(),
                (Some("benefit"), _) => line.paid = entry.amount(),
                (_, Some(group)) => line.adjustments.push(Adjustment {
                    group: group.to_string(),
                    reason: entry
                        .reason
                        .code_in(CARC)
                        .ok_or_else(|| Unreadable("ClaimResponse adjustment has no CARC reason".into()))?
                        .to_string(),
                    amount: entry.amount(),
                }),
                _ => {}
            }
        }
        lines.push(line);
    }
    let total = |category: &str| {
        doc.total.iter().find(|t| t.category.code_in(ADJUDICATION) == Some(category)).map(|t| t.amount())
    };
    let rejected = doc.outcome.is("error");
    let first_error = doc.error.first();
    let status = if rejected && first_error.and_then(|e| e.code.code_in(SUBMISSION_ERROR)) == Some("not-submitted") {
        ClaimDecision::NotSubmitted
    } else if rejected {
        ClaimDecision::Rejected
    } else if !lines.is_empty() && lines.iter().all(Adjudication::denied) {
        ClaimDecision::Denied
    } else {
        ClaimDecision::Paid
    };
    let payer_claim_id = doc
        .identifier
        .iter()
        .find(|i| i.system.is(PAYER_CLAIM_NUMBER))
        .and_then(|i| i.value.0.clone())
        .unwrap_or_default();
    Ok(Remittance {
        claim_id,
        payer_claim_id,
        status,
        rejection: rejected.then(|| first_error.and_then(|e| e.code.text.0.clone()).unwrap_or_default()),
        charged: total("submitted").unwrap_or_else(|| lines.iter().map(|l| l.charged).sum()),
        paid: total("benefit").unwrap_or_else(|| lines.iter().map(|l| l.paid).sum()),
        patient_responsibility: lines
            .iter()
            .flat_map(|l| &l.adjustments)
            .filter(|a| a.group == "PR")
            .map(|a| a.amount)
            .sum(),
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remittance() -> Remittance {
        Remittance {
            claim_id: "p000009".into(),
            payer_claim_id: "000000001001".into(),
            status: ClaimDecision::Paid,
            rejection: None,
            charged: 200.0,
            paid: 64.0,
            patient_responsibility: 16.0,
            lines: vec![
                Adjudication {
                    code: "20610".into(),
                    modifiers: vec!["RT".into()],
                    units: 1.0,
                    charged: 100.0,
                    allowed: 80.0,
                    paid: 64.0,
                    adjustments: vec![
                        Adjustment { group: "CO".into(), reason: "45".into(), amount: 20.0 },
                        Adjustment { group: "PR".into(), reason: "2".into(), amount: 16.0 },
                    ],
                },
                Adjudication {
                    code: "99214".into(),
                    modifiers: vec![],
                    units: 1.0,
                    charged: 100.0,
                    allowed: 0.0,
                    paid: 0.0,
                    adjustments: vec![Adjustment { group: "CO".into(), reason: "97".into(), amount: 100.0 }],
                },
            ],
        }
    }

    fn claim_lines(r: &Remittance) -> Vec<ClaimLine> {
        r.lines
            .iter()
            .map(|l| ClaimLine {
                code: l.code.clone(),
                modifiers: l.modifiers.clone(),
                units: l.units,
                dx_pointers: vec![1],
                place_of_service: "11".into(),
                date_of_service: "2026-06-01".parse().unwrap(),
                rendering_npi: "1234567893".into(),
                charge: l.charged,
            })
            .collect()
    }

    #[test]
    fn a_remittance_survives_the_round_trip_with_its_carcs() {
        let r = remittance();
        let fhir = claim_response_to_fhir(&r, "p000001", "MEDICARE", "2026-06-02T10:00:00Z");
        assert_eq!(fhir["item"][1]["adjudication"][3]["reason"]["coding"][0]["code"], "97");
        assert_eq!(fhir["item"][1]["adjudication"][3]["category"]["coding"][0]["code"], "CO");
        assert_eq!(fhir["request"]["reference"], "Claim/p000009");
        assert_eq!(remittance_from_fhir(&fhir, &claim_lines(&r)).unwrap(), r);
    }

    #[test]
    fn a_claim_the_simulator_could_not_send_is_told_from_a_rejection() {
        let mut r = remittance();
        r.status = ClaimDecision::NotSubmitted;
        r.rejection = Some("a dependent".into());
        r.payer_claim_id = String::new();
        r.paid = 0.0;
        r.patient_responsibility = 0.0;
        r.lines.clear();
        let fhir = claim_response_to_fhir(&r, "p1", "AETNA", "2026-06-02T10:00:00Z");
        assert_eq!(fhir["error"][0]["code"]["coding"][0]["code"], "not-submitted");
        assert_eq!(remittance_from_fhir(&fhir, &[]).unwrap(), r);
    }

    #[test]
    fn a_rejection_is_an_error_outcome_with_its_reason() {
        let mut r = remittance();
        r.status = ClaimDecision::Rejected;
        r.rejection = Some("277CA A7:21".into());
        r.payer_claim_id = String::new();
        r.paid = 0.0;
        r.patient_responsibility = 0.0;
        r.lines.clear();
        let fhir = claim_response_to_fhir(&r, "p1", "MEDICARE", "2026-06-02T10:00:00Z");
        assert_eq!(fhir["outcome"], "error");
        assert_eq!(remittance_from_fhir(&fhir, &[]).unwrap(), r);
    }
}
