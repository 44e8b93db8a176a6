//! The 277CA claim acknowledgment (005010X214): whether each claim got past the payer's front door, keyed by the
//! claim id the practice sent (TRN02 of loop 2200D) and the payer's own number for it (REF*1K).

use super::error::ReadError;
use super::parse::Document;
use super::reader::{optional_amount, required, transactions};

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
