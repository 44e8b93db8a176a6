//! The 835 remittance advice (005010X221A1): what the payer paid per claim and line and why the rest was
//! adjusted, read into a [`Remittance`] and written from one, and the guide's balancing rules checked as a plain
//! function.

use crate::model::{self, Address, Date, HumanName};

use super::envelope::TransactionSet;
use super::error::ReadError;
use super::parse::Document;
use super::reader::{amount, date, format_amount, format_date, optional_amount, person_name, required, transactions};
use super::segment::{Element, Segment};

pub const VERSION_835: &str = "005010X221A1";

#[derive(Debug, Clone, PartialEq)]
pub struct Remittance {
    /// BPR02, the money actually sent.
    pub payment_total: f64,
    /// BPR04: `ACH`, `CHK`, `NON` (no payment).
    pub payment_method: String,
    /// TRN02, the check or EFT trace number.
    pub trace: String,
    pub payer: String,
    pub payee: String,
    pub claims: Vec<ClaimPayment>,
    /// PLB: provider-level adjustments not tied to one claim (recoupments, interest).
    pub provider_adjustments: Vec<ProviderAdjustment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimPayment {
    /// CLP01, the practice's claim id (patient control number) from CLM01.
    pub claim_id: String,
    /// CLP02: `1` processed as primary, `2` secondary, `4` denied, `22` reversal, ...
    pub status: String,
    pub charge: f64,
    pub paid: f64,
    /// CLP05, what the patient owes.
    pub patient_responsibility: Option<f64>,
    /// CLP07, the payer's own claim number.
    pub payer_claim_id: String,
    /// CLP06, the claim filing indicator the payer processed it under (`MB` Medicare Part B, `ZZ` mutually defined).
    pub filing_code: String,
    /// CLP08, the place of service of the claim.
    pub facility_code: String,
    /// NM1*QC: the patient as the payer has them, and their member id.
    pub patient: HumanName,
    pub member_id: String,
    pub adjustments: Vec<Adjustment>,
    pub lines: Vec<LinePayment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinePayment {
    pub code: String,
    pub modifiers: Vec<String>,
    pub charge: f64,
    pub paid: f64,
    /// SVC05; the guide says an absent value means one unit.
    pub units: f64,
    /// DTM*472 after the SVC.
    pub date_of_service: Option<Date>,
    /// AMT*B6, what the payer's fee schedule allows for the line.
    pub allowed: Option<f64>,
    pub adjustments: Vec<Adjustment>,
}

/// One CAS triple: group (`CO` contractual, `PR` patient responsibility, `OA`, `PI`), CARC reason and amount.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub group: String,
    pub reason: String,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderAdjustment {
    /// PLB03-1: `WO` overpayment recovery, `L6` interest, `FB` forwarding balance, ...
    pub reason: String,
    pub reference: String,
    /// Positive amounts reduce the payment.
    pub amount: f64,
}

impl LinePayment {
    /// The line as the model holds an adjudication; without AMT*B6, allowed is what was paid plus the patient's share.
    pub fn to_model(&self) -> model::Adjudication {
        let patient_share: f64 = self.adjustments.iter().filter(|a| a.group == "PR").map(|a| a.amount).sum();
        model::Adjudication {
            code: self.code.clone(),
            modifiers: self.modifiers.clone(),
            units: self.units,
            charged: self.charge,
            allowed: self.allowed.unwrap_or(dollars(cents(self.paid) + cents(patient_share))),
            paid: self.paid,
            adjustments: self.adjustments.iter().map(Adjustment::to_model).collect(),
        }
    }
}

impl Adjustment {
    pub fn to_model(&self) -> model::Adjustment {
        model::Adjustment { group: self.group.clone(), reason: self.reason.clone(), amount: self.amount }
    }
}

impl ClaimPayment {
    /// The claim's remittance in the model; claim-level adjustments (rare) are left to the 835.
    pub fn to_model(&self) -> model::Remittance {
        let lines: Vec<model::Adjudication> = self.lines.iter().map(LinePayment::to_model).collect();
        // CLP02 `4` is a denial; `22` reverses an earlier payment, which pays nothing now either.
        let status = if matches!(self.status.as_str(), "4" | "22") {
            model::ClaimDecision::Denied
        } else {
            model::ClaimDecision::Paid
        };
        model::Remittance {
            claim_id: self.claim_id.clone(),
            payer_claim_id: self.payer_claim_id.clone(),
            status,
            rejection: None,
            charged: self.charge,
            paid: self.paid,
            patient_responsibility: self.patient_responsibility.unwrap_or(0.0),
            lines,
        }
    }
}

/// Every remittance in the interchange, one per 835 transaction set.
pub fn read_835(doc: &Document) -> Result<Vec<Remittance>, ReadError> {
    transactions(doc, "835", "835, a remittance advice")?.iter().map(|tx| read_one(tx.segments)).collect()
}

fn read_one(segments: &[Segment]) -> Result<Remittance, ReadError> {
    let bpr = segments.iter().find(|s| s.id == "BPR").ok_or(ReadError::MissingSegment {
        transaction: "835".into(),
        segment_id: "BPR",
        purpose: "the total payment",
    })?;
    let mut r = Remittance {
        payment_total: amount(bpr, 2, "the total actual provider payment")?,
        payment_method: bpr.element(4).to_string(),
        trace: String::new(),
        payer: String::new(),
        payee: String::new(),
        claims: Vec::new(),
        provider_adjustments: Vec::new(),
    };
    for seg in segments {
        match seg.id.as_str() {
            "TRN" => r.trace = required(seg, 2, 1, "the check or EFT trace number")?.to_string(),
            "N1" if seg.element(1) == "PR" => r.payer = seg.element(2).to_string(),
            "N1" if seg.element(1) == "PE" => r.payee = seg.element(2).to_string(),
            "CLP" => r.claims.push(ClaimPayment {
                claim_id: required(seg, 1, 1, "the claim id (patient control number)")?.to_string(),
                status: required(seg, 2, 1, "the claim status code")?.to_string(),
                charge: amount(seg, 3, "the claim's total charge")?,
                paid: amount(seg, 4, "the claim payment amount")?,
                patient_responsibility: optional_amount(seg, 5, "the patient responsibility amount")?,
                payer_claim_id: seg.element(7).to_string(),
                filing_code: seg.element(6).to_string(),
                facility_code: seg.element(8).to_string(),
                patient: HumanName { given: Vec::new(), family: String::new() },
                member_id: String::new(),
                adjustments: Vec::new(),
                lines: Vec::new(),
            }),
            "NM1" if seg.element(1) == "QC" => {
                if let Some(claim) = r.claims.last_mut() {
                    claim.patient = person_name(seg);
                    claim.member_id = seg.element(9).to_string();
                }
            }
            "DTM" if seg.element(1) == "472" => {
                if let Some(line) = r.claims.last_mut().and_then(|c| c.lines.last_mut()) {
                    line.date_of_service = Some(date(seg, 2, "the date of service as CCYYMMDD")?);
                }
            }
            "AMT" if seg.element(1) == "B6" => {
                if let Some(line) = r.claims.last_mut().and_then(|c| c.lines.last_mut()) {
                    line.allowed = Some(amount(seg, 2, "the allowed amount")?);
                }
            }
            "SVC" => {
                let line = read_svc(seg)?;
                if let Some(claim) = r.claims.last_mut() {
                    claim.lines.push(line);
                }
            }
            "CAS" => {
                let adjustments = read_cas(seg)?;
                if let Some(claim) = r.claims.last_mut() {
                    match claim.lines.last_mut() {
                        Some(line) => line.adjustments.extend(adjustments),
                        None => claim.adjustments.extend(adjustments),
                    }
                }
            }
            "PLB" => r.provider_adjustments.extend(read_plb(seg)?),
            _ => {}
        }
    }
    Ok(r)
}

fn read_svc(seg: &Segment) -> Result<LinePayment, ReadError> {
    Ok(LinePayment {
        code: required(seg, 1, 2, "the procedure code (HC:code)")?.to_string(),
        modifiers: seg.components(1).iter().skip(2).filter(|m| !m.is_empty()).map(|m| m.to_string()).collect(),
        charge: amount(seg, 2, "the line charge")?,
        paid: amount(seg, 3, "the line payment")?,
        units: optional_amount(seg, 5, "the units paid")?.unwrap_or(1.0),
        date_of_service: None,
        allowed: None,
        adjustments: Vec::new(),
    })
}

/// CAS01 is the group; then up to six reason, amount, quantity triples from CAS02.
fn read_cas(seg: &Segment) -> Result<Vec<Adjustment>, ReadError> {
    let group = required(seg, 1, 1, "the claim adjustment group code")?;
    let mut out = Vec::new();
    for reason_at in [2, 5, 8, 11, 14, 17] {
        let reason = seg.element(reason_at);
        if reason.is_empty() {
            continue;
        }
        out.push(Adjustment {
            group: group.to_string(),
            reason: reason.to_string(),
            amount: amount(seg, reason_at + 1, "the adjustment amount")?,
        });
    }
    Ok(out)
}

/// PLB01 provider, PLB02 fiscal period end, then up to six (reason:reference, amount) pairs from PLB03.
fn read_plb(seg: &Segment) -> Result<Vec<ProviderAdjustment>, ReadError> {
    let mut out = Vec::new();
    for reason_at in [3, 5, 7, 9, 11, 13] {
        let reason = seg.component(reason_at, 1);
        if reason.is_empty() {
            continue;
        }
        out.push(ProviderAdjustment {
            reason: reason.to_string(),
            reference: seg.component(reason_at, 2).to_string(),
            amount: amount(seg, reason_at + 1, "the provider adjustment amount")?,
        });
    }
    Ok(out)
}

/// A bank account the payment moves between, as BPR carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    /// The ABA routing number (nine digits).
    pub routing: String,
    pub account: String,
}

/// Everything an 835 needs besides the money: who pays whom, from which account, on what day.
#[derive(Debug, Clone, PartialEq)]
pub struct RemittanceAdvice {
    pub remittance: Remittance,
    /// BPR16 and DTM*405: the day the payment was made (or, with nothing paid, the notice sent).
    pub paid_on: Date,
    /// The payer's EIN, nine digits; TRN03 and BPR10 are it with a leading `1`.
    pub payer_tax_id: String,
    pub payer_address: Address,
    /// PER*BL: the number providers call about the remittance, ten digits.
    pub payer_phone: String,
    /// N1*PE's NPI.
    pub payee_npi: String,
    pub payer_bank: BankAccount,
    pub payee_bank: BankAccount,
}

/// One 835 transaction set. The amounts are written as given: [`check_balance`] says whether they add up.
pub fn remittance_advice(advice: &RemittanceAdvice, control_number: u32) -> TransactionSet {
    let r = &advice.remittance;
    let paid_on = format_date(advice.paid_on);
    let originator = format!("1{}", advice.payer_tax_id);
    let mut body = vec![if r.payment_total > 0.0 {
        Segment::simple(
            "BPR",
            &[
                "I",
                &format_amount(r.payment_total),
                "C",
                &r.payment_method,
                "CCP",
                "01",
                &advice.payer_bank.routing,
                "DA",
                &advice.payer_bank.account,
                &originator,
                "",
                "01",
                &advice.payee_bank.routing,
                "DA",
                &advice.payee_bank.account,
                &paid_on,
            ],
        )
    } else {
        // Nothing paid: a notification only (`H`), with no payment method but `NON` and no accounts.
        let mut elements = vec!["H", "0", "C", "NON"];
        elements.extend(std::iter::repeat_n("", 11));
        elements.push(&paid_on);
        Segment::simple("BPR", &elements)
    }];
    body.push(Segment::simple("TRN", &["1", &r.trace, &originator]));
    body.push(Segment::simple("DTM", &["405", &paid_on]));
    body.push(Segment::simple("N1", &["PR", &r.payer]));
    let address = &advice.payer_address;
    let postal: String = address.postal_code.chars().filter(char::is_ascii_digit).collect();
    body.push(Segment::simple("N3", &address.line.iter().take(2).map(String::as_str).collect::<Vec<_>>()));
    body.push(Segment::simple("N4", &[&address.city, &address.state, &postal]));
    body.push(Segment::simple("PER", &["BL", "PROVIDER SERVICES", "TE", &advice.payer_phone]));
    body.push(Segment::simple("N1", &["PE", &r.payee, "XX", &advice.payee_npi]));
    if !r.claims.is_empty() {
        body.push(Segment::simple("LX", &["1"]));
    }
    for claim in &r.claims {
        let responsibility = claim.patient_responsibility.filter(|p| *p != 0.0).map(format_amount).unwrap_or_default();
        body.push(Segment::simple(
            "CLP",
            &[
                &claim.claim_id,
                &claim.status,
                &format_amount(claim.charge),
                &format_amount(claim.paid),
                &responsibility,
                &claim.filing_code,
                &claim.payer_claim_id,
                &claim.facility_code,
                "1",
            ],
        ));
        body.extend(cas(&claim.adjustments));
        let first = claim.patient.given.first().map(String::as_str).unwrap_or("");
        let middle = claim.patient.given.get(1).map(String::as_str).unwrap_or("");
        body.push(Segment::simple(
            "NM1",
            &["QC", "1", &claim.patient.family, first, middle, "", "", "MI", &claim.member_id],
        ));
        for line in &claim.lines {
            let mut procedure = vec!["HC".to_string(), line.code.clone()];
            procedure.extend(line.modifiers.iter().cloned());
            body.push(Segment::new(
                "SVC",
                vec![
                    Element::composite(&procedure),
                    format_amount(line.charge).into(),
                    format_amount(line.paid).into(),
                    Element::default(),
                    format_amount(line.units).into(),
                ],
            ));
            if let Some(day) = line.date_of_service {
                body.push(Segment::simple("DTM", &["472", &format_date(day)]));
            }
            body.extend(cas(&line.adjustments));
            if let Some(allowed) = line.allowed.filter(|a| *a > 0.0) {
                body.push(Segment::simple("AMT", &["B6", &format_amount(allowed)]));
            }
        }
    }
    for plb in &r.provider_adjustments {
        let fiscal_year_end = format!("{}1231", advice.paid_on.0.year());
        body.push(Segment::new(
            "PLB",
            vec![
                advice.payee_npi.as_str().into(),
                fiscal_year_end.into(),
                Element::composite(&[plb.reason.as_str(), plb.reference.as_str()]),
                format_amount(plb.amount).into(),
            ],
        ));
    }
    TransactionSet { id: "835".into(), version: VERSION_835.into(), control_number, body }
}

/// One CAS per group, in the order groups first appear, each with up to six reason/amount triples.
fn cas(adjustments: &[Adjustment]) -> Vec<Segment> {
    let mut groups: Vec<(&str, Vec<&Adjustment>)> = Vec::new();
    for a in adjustments {
        match groups.iter_mut().find(|(g, items)| *g == a.group && items.len() < 6) {
            Some((_, items)) => items.push(a),
            None => groups.push((a.group.as_str(), vec![a])),
        }
    }
    groups
        .into_iter()
        .map(|(group, items)| {
            let mut elements: Vec<Element> = vec![group.into()];
            for (i, a) in items.iter().enumerate() {
                if i > 0 {
                    // The quantity of the triple before: none.
                    elements.push(Element::default());
                }
                elements.push(a.reason.as_str().into());
                elements.push(format_amount(a.amount).into());
            }
            Segment::new("CAS", elements)
        })
        .collect()
}

/// One way an 835 fails to add up; amounts are what the rule expects and what the payer wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum Imbalance {
    /// SVC02 − ΣCAS (line) ≠ SVC03.
    Line { claim_id: String, line: usize, code: String, expected_paid: f64, paid: f64 },
    /// CLP03 − ΣCAS (claim and its lines) ≠ CLP04.
    Claim { claim_id: String, expected_paid: f64, paid: f64 },
    /// ΣCLP04 − ΣPLB ≠ BPR02.
    Payment { expected_total: f64, total: f64 },
}

/// Every imbalance in the remittance, compared in whole cents so that float sums of decimals cannot mislead.
pub fn check_balance(r: &Remittance) -> Vec<Imbalance> {
    let mut out = Vec::new();
    for claim in &r.claims {
        let mut adjusted = cents_sum(claim.adjustments.iter().map(|a| a.amount));
        for (n, line) in claim.lines.iter().enumerate() {
            let line_adjusted = cents_sum(line.adjustments.iter().map(|a| a.amount));
            adjusted += line_adjusted;
            if cents(line.charge) - line_adjusted != cents(line.paid) {
                out.push(Imbalance::Line {
                    claim_id: claim.claim_id.clone(),
                    line: n + 1,
                    code: line.code.clone(),
                    expected_paid: dollars(cents(line.charge) - line_adjusted),
                    paid: line.paid,
                });
            }
        }
        if cents(claim.charge) - adjusted != cents(claim.paid) {
            out.push(Imbalance::Claim {
                claim_id: claim.claim_id.clone(),
                expected_paid: dollars(cents(claim.charge) - adjusted),
                paid: claim.paid,
            });
        }
    }
    let expected =
        cents_sum(r.claims.iter().map(|c| c.paid)) - cents_sum(r.provider_adjustments.iter().map(|p| p.amount));
    if expected != cents(r.payment_total) {
        out.push(Imbalance::Payment { expected_total: dollars(expected), total: r.payment_total });
    }
    out
}

fn cents(amount: f64) -> i64 {
    // Amounts come from at most a dozen digits of text, far inside what an i64 holds.
    (amount * 100.0).round() as i64
}

fn cents_sum(amounts: impl Iterator<Item = f64>) -> i64 {
    amounts.map(cents).sum()
}

fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::input;
    use super::*;

    fn remittance() -> Remittance {
        let mut all = read_835(&input("835.x12")).unwrap();
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    #[test]
    fn reads_payment_claims_lines_and_adjustments() {
        let r = remittance();
        assert_eq!((r.payment_total, r.payment_method.as_str(), r.trace.as_str()), (92.4, "ACH", "EFT0012345"));
        assert_eq!((r.payer.as_str(), r.payee.as_str()), ("MEDICARE PART B", "BAYVIEW CLINIC"));
        assert_eq!(r.claims.len(), 2);
        let paid = &r.claims[0];
        assert_eq!((paid.claim_id.as_str(), paid.status.as_str(), paid.charge, paid.paid), ("C123", "1", 250.0, 142.4));
        assert_eq!(paid.patient_responsibility, Some(35.6));
        assert_eq!(paid.payer_claim_id, "26340012345");
        assert!(paid.adjustments.is_empty());
        assert_eq!(
            paid.lines[0],
            LinePayment {
                code: "99214".into(),
                modifiers: vec!["25".into()],
                charge: 150.0,
                paid: 95.2,
                units: 1.0,
                date_of_service: Some("2026-12-01".parse().unwrap()),
                allowed: Some(118.8),
                adjustments: vec![
                    Adjustment { group: "CO".into(), reason: "45".into(), amount: 31.2 },
                    Adjustment { group: "PR".into(), reason: "2".into(), amount: 23.6 },
                ],
            }
        );
        assert_eq!((paid.lines[2].code.as_str(), paid.lines[2].units), ("J3301", 4.0));
        let denied = &r.claims[1];
        assert_eq!((denied.status.as_str(), denied.paid, denied.patient_responsibility), ("4", 0.0, None));
        assert_eq!(denied.lines[0].adjustments[0].reason, "16");
        assert_eq!(
            r.provider_adjustments,
            vec![ProviderAdjustment { reason: "WO".into(), reference: "C119EX0001".into(), amount: 50.0 }]
        );
    }

    #[test]
    fn the_fixture_balances() {
        assert_eq!(check_balance(&remittance()), vec![]);
    }

    #[test]
    fn every_imbalance_is_reported() {
        let mut r = remittance();
        r.claims[0].lines[0].paid = 95.0;
        r.claims[1].adjustments.push(Adjustment { group: "OA".into(), reason: "23".into(), amount: 10.0 });
        r.payment_total = 100.0;
        assert_eq!(
            check_balance(&r),
            vec![
                Imbalance::Line {
                    claim_id: "C123".into(),
                    line: 1,
                    code: "99214".into(),
                    expected_paid: 95.2,
                    paid: 95.0
                },
                Imbalance::Claim { claim_id: "C124".into(), expected_paid: -10.0, paid: 0.0 },
                Imbalance::Payment { expected_total: 92.4, total: 100.0 },
            ]
        );
    }

    #[test]
    fn several_cas_triples_on_one_segment() {
        let seg = Segment::simple("CAS", &["CO", "45", "10", "", "253", "1.5", "", "", "", ""]);
        let adj = read_cas(&seg).unwrap();
        assert_eq!(adj.len(), 2);
        assert_eq!((adj[1].reason.as_str(), adj[1].amount), ("253", 1.5));
        assert!(read_cas(&Segment::simple("CAS", &["CO", "45"])).is_err());
    }

    #[test]
    fn another_transaction_is_refused_with_its_st() {
        let err = read_835(&input("999.x12")).unwrap_err();
        assert_eq!(err.to_string(), "ST01 (segment 3) is `999`; expected 835, a remittance advice");
    }
}
