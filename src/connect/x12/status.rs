//! The 277CA claim acknowledgment (005010X214): whether each claim got past the payer's front door, keyed by the
//! claim id the practice sent (TRN02 of loop 2200D) and the payer's own number for it (REF*1K); read, and written
//! by a payer.

use crate::model::{Date, DateTime, HumanName};

use super::envelope::TransactionSet;
use super::error::ReadError;
use super::parse::Document;
use super::reader::{format_amount, format_date, optional_amount, required, transactions};
use super::segment::{Element, Segment};

pub const VERSION_277CA: &str = "005010X214";

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimStatus {
    /// TRN02 of loop 2200D: CLM01 of the claim acknowledged.
    pub claim_id: String,
    /// REF*1K, the payer's claim control number, once the claim was accepted.
    pub payer_claim_id: Option<String>,
    /// Each STC composite (STC01, STC10, STC11) in order.
    pub statuses: Vec<StatusCode>,
    /// STC04, the claim's total charge as the payer read it.
    pub charge: Option<f64>,
}

/// One health care claim status: category (`A1` received, `A2` accepted, `A3`/`A6`/`A7` rejected), status code
/// (CSCC) and the entity it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCode {
    pub category: String,
    pub code: String,
    pub entity: String,
}

impl ClaimStatus {
    /// Accepted for adjudication when the first status is in an acknowledgement category, not a rejection.
    pub fn accepted(&self) -> bool {
        self.statuses.first().is_some_and(|s| matches!(s.category.as_str(), "A0" | "A1" | "A2" | "A5"))
    }
}

/// Everything a 277CA says besides each claim's status: who answers whom about which batch.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimAcknowledgment {
    /// BHT03, the payer's reference for this acknowledgment.
    pub reference: String,
    pub created: DateTime,
    pub payer_name: String,
    pub payer_id: String,
    pub submitter_name: String,
    pub submitter_id: String,
    /// The BHT03 of the 837 acknowledged.
    pub batch_reference: String,
    pub billing_name: String,
    pub billing_npi: String,
    pub claims: Vec<AcknowledgedClaim>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AcknowledgedClaim {
    pub patient: HumanName,
    pub member_id: String,
    /// The claim id, the payer's number for it when accepted, its one status and its total charge.
    pub status: ClaimStatus,
    pub service_from: Date,
    pub service_to: Date,
}

/// One 277 transaction set: the payer (2000A), the submitter with the batch totals (2000B), the billing provider
/// (2000C), and a patient loop (2000D) with each claim's status.
pub fn claim_acknowledgment(ack: &ClaimAcknowledgment, control_number: u32) -> TransactionSet {
    let today = format_date(ack.created.date());
    let time = ack.created.0.strftime("%H%M").to_string();
    let charge = |c: &AcknowledgedClaim| c.status.charge.unwrap_or(0.0);
    let accepted: Vec<&AcknowledgedClaim> = ack.claims.iter().filter(|c| c.status.accepted()).collect();
    let rejected: Vec<&AcknowledgedClaim> = ack.claims.iter().filter(|c| !c.status.accepted()).collect();
    let total: f64 = ack.claims.iter().map(charge).sum();
    let mut body = vec![
        Segment::simple("BHT", &["0085", "08", &ack.reference, &today, &time, "TH"]),
        Segment::simple("HL", &["1", "", "20", "1"]),
        Segment::simple("NM1", &["PR", "2", &ack.payer_name, "", "", "", "", "PI", &ack.payer_id]),
        Segment::simple("TRN", &["1", &ack.reference]),
        Segment::simple("DTP", &["050", "D8", &today]),
        Segment::simple("DTP", &["009", "D8", &today]),
        Segment::simple("HL", &["2", "1", "21", "1"]),
        Segment::simple("NM1", &["41", "2", &ack.submitter_name, "", "", "", "", "46", &ack.submitter_id]),
        Segment::simple("TRN", &["2", &ack.batch_reference]),
        // A1:19 — the batch was received and acknowledged; claims are judged one by one below.
        status_segment("A1", "19", "PR", &today, "WQ", total),
    ];
    let totals = |body: &mut Vec<Segment>, accepted_qty: &str, rejected_qty: &str| {
        if !accepted.is_empty() {
            body.push(Segment::simple("QTY", &[accepted_qty, &accepted.len().to_string()]));
        }
        if !rejected.is_empty() {
            body.push(Segment::simple("QTY", &[rejected_qty, &rejected.len().to_string()]));
        }
        if !accepted.is_empty() {
            body.push(Segment::simple("AMT", &["YU", &format_amount(accepted.iter().map(|c| charge(c)).sum())]));
        }
        if !rejected.is_empty() {
            body.push(Segment::simple("AMT", &["YY", &format_amount(rejected.iter().map(|c| charge(c)).sum())]));
        }
    };
    totals(&mut body, "90", "AA");
    body.push(Segment::simple("HL", &["3", "2", "19", "1"]));
    body.push(Segment::simple("NM1", &["85", "2", &ack.billing_name, "", "", "", "", "XX", &ack.billing_npi]));
    body.push(Segment::simple("TRN", &["1", "0"]));
    let mut provider_status = status_segment("A1", "19", "PR", "", "WQ", total);
    provider_status.elements[1] = Element::default();
    body.push(provider_status);
    totals(&mut body, "QA", "QC");
    for (n, claim) in ack.claims.iter().enumerate() {
        let first = claim.patient.given.first().map(String::as_str).unwrap_or("");
        let middle = claim.patient.given.get(1).map(String::as_str).unwrap_or("");
        body.push(Segment::simple("HL", &[&(n + 4).to_string(), "3", "PT"]));
        body.push(Segment::simple(
            "NM1",
            &["QC", "1", &claim.patient.family, first, middle, "", "", "MI", &claim.member_id],
        ));
        body.push(Segment::simple("TRN", &["2", &claim.status.claim_id]));
        let status = claim.status.statuses.first();
        let (category, code, entity) =
            status.map(|s| (s.category.as_str(), s.code.as_str(), s.entity.as_str())).unwrap_or(("A1", "19", "PR"));
        // STC03: `WQ` accepted, `U` rejected.
        let action = if claim.status.accepted() { "WQ" } else { "U" };
        body.push(status_segment(category, code, entity, &today, action, charge(claim)));
        if let Some(payer_claim_id) = &claim.status.payer_claim_id {
            body.push(Segment::simple("REF", &["1K", payer_claim_id]));
        }
        let span = format!("{}-{}", format_date(claim.service_from), format_date(claim.service_to));
        body.push(Segment::simple("DTP", &["472", "RD8", &span]));
    }
    TransactionSet { id: "277".into(), version: VERSION_277CA.into(), control_number, body }
}

fn status_segment(category: &str, code: &str, entity: &str, day: &str, action: &str, amount: f64) -> Segment {
    Segment::new(
        "STC",
        vec![Element::composite(&[category, code, entity]), day.into(), action.into(), format_amount(amount).into()],
    )
}

/// Every claim-level status in every 277 of the interchange, in order.
pub fn read_277ca(doc: &Document) -> Result<Vec<ClaimStatus>, ReadError> {
    let mut out = Vec::new();
    for tx in transactions(doc, "277", "277, a claim acknowledgment")? {
        let mut in_patient = false;
        let mut open: Option<ClaimStatus> = None;
        for seg in tx.segments {
            match seg.id.as_str() {
                "HL" => {
                    out.extend(open.take());
                    in_patient = seg.element(3) == "PT";
                }
                "TRN" if in_patient && seg.element(1) == "2" => {
                    out.extend(open.take());
                    open = Some(ClaimStatus {
                        claim_id: required(seg, 2, 1, "the claim id (patient control number)")?.to_string(),
                        payer_claim_id: None,
                        statuses: Vec::new(),
                        charge: None,
                    });
                }
                "STC" => {
                    if let Some(status) = open.as_mut() {
                        for n in [1, 10, 11] {
                            if !seg.component(n, 1).is_empty() {
                                status.statuses.push(StatusCode {
                                    category: seg.component(n, 1).to_string(),
                                    code: required(seg, n, 2, "the claim status code")?.to_string(),
                                    entity: seg.component(n, 3).to_string(),
                                });
                            }
                        }
                        status.charge = status.charge.or(optional_amount(seg, 4, "the claim's total charge")?);
                    }
                }
                "REF" if seg.element(1) == "1K" => {
                    if let Some(status) = open.as_mut() {
                        status.payer_claim_id = Some(seg.element(2).to_string());
                    }
                }
                _ => {}
            }
        }
        out.extend(open.take());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::input;
    use super::*;

    #[test]
    fn reads_claim_level_statuses_only() {
        let statuses = read_277ca(&input("277ca.x12")).unwrap();
        assert_eq!(statuses.len(), 2);
        let accepted = &statuses[0];
        assert_eq!(accepted.claim_id, "C123");
        assert_eq!(accepted.payer_claim_id.as_deref(), Some("26340012345"));
        assert_eq!(
            accepted.statuses,
            vec![StatusCode { category: "A2".into(), code: "20".into(), entity: "PR".into() }]
        );
        assert_eq!(accepted.charge, Some(250.0));
        assert!(accepted.accepted());
        let rejected = &statuses[1];
        assert_eq!((rejected.claim_id.as_str(), rejected.payer_claim_id.as_ref()), ("C124", None));
        assert_eq!(rejected.statuses[0].category, "A7");
        assert_eq!(rejected.statuses[0].code, "562");
        assert!(!rejected.accepted());
    }
}
