//! The simulated clearinghouse and payer: an HTTP endpoint on loopback that takes an 837P interchange as X12 text,
//! answers it with a 999, and adjudicates each claim it accepted into a 277CA and an 835 the PM fetches after.
//!
//! `POST /837` (body: the interchange) answers the 999; `GET /277ca/{ISA13}` and `GET /835/{ISA13}` answer the
//! claim acknowledgment and the remittance for the interchange with that control number (docs/payer.md).

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::adjudication::{LineDecision, Verdict, adjudicate, dollars};
use super::server::shared_text;
use crate::connect::x12::{
    AcknowledgedClaim, Adjustment, BankAccount, ClaimAcknowledgment, ClaimPayment, ClaimStatus, Document, ElementError,
    FunctionalAck, Interchange, InterchangeHeader, LinePayment, ParseError, Party, ReadError, Remittance,
    RemittanceAdvice, SegmentError, SetAck, StatusCode as Stc, Transaction, VERSION_837P, claim_acknowledgment,
    functional_ack, read_837p_set, remittance_advice,
};
use crate::model::{Address, Claim, DateTime, HumanName};
use crate::rules::{IcdRelease, ScrubContext};
use crate::scenario::Payer;

/// The payer's electronic id when the profile does not give one.
pub const DEFAULT_PAYER_ID: &str = "SIMPAYER";
pub const X12_CONTENT_TYPE: &str = "application/edi-x12";

/// One payer behind one simulator: its configuration, the rules it judges by, and the answers it owes.
pub struct PayerDesk {
    config: Payer,
    /// The run's rules, or the FY2026 code set built in when the run loaded none.
    rules: Option<Arc<ScrubContext>>,
    next_control: AtomicU32,
    answers: Mutex<Kept>,
    /// How many interchanges' answers are kept (the profile's `retain_patients`); `None` keeps every one.
    retain: Option<NonZeroUsize>,
}

/// The answers the payer holds, by the ISA13 of the 837 they answer, and those ISA13s oldest first.
#[derive(Default)]
struct Kept {
    by_control: HashMap<String, Answers>,
    order: VecDeque<String>,
}

/// What the payer sends back for one 837 interchange, each as X12 text: shared, not copied, between the answers
/// kept for the PM's `GET`s and the bodies sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub ack_999: Arc<str>,
    pub claim_ack_277ca: Option<Arc<str>>,
    pub remittance_835: Option<Arc<str>>,
}

impl PayerDesk {
    pub fn new(config: Payer, rules: Option<Arc<ScrubContext>>) -> PayerDesk {
        PayerDesk { config, rules, next_control: AtomicU32::new(1), answers: Mutex::new(Kept::default()), retain: None }
    }

    /// Keeps the answers to the last `interchanges` 837s only; the PM fetches them as soon as the 999 is back.
    pub fn retaining(mut self, interchanges: Option<NonZeroUsize>) -> PayerDesk {
        self.retain = interchanges;
        self
    }

    pub fn id(&self) -> &str {
        self.config.id.as_deref().unwrap_or(DEFAULT_PAYER_ID)
    }

    fn rules(&self) -> Result<Arc<ScrubContext>, String> {
        if let Some(rules) = &self.rules {
            return Ok(rules.clone());
        }
        static BUILT_IN: OnceLock<Result<Arc<ScrubContext>, String>> = OnceLock::new();
        BUILT_IN
            .get_or_init(|| Ok(Arc::new(ScrubContext::new(IcdRelease::embedded().map_err(|e| e.to_string())?))))
            .clone()
    }

    fn control(&self) -> u32 {
        self.next_control.fetch_add(1, Ordering::Relaxed)
    }

    /// Reads an 837P interchange and answers it: the 999 always, the 277CA when a set was accepted, the 835 when a
    /// claim got past the front door. The answers are also kept for `GET /277ca/..` and `GET /835/..`.
    pub fn answer(&self, text: &str) -> Result<Answers, Refused> {
        self.answer_at(text, DateTime(jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime()))
    }

    /// As [`PayerDesk::answer`], dated `now`: the same interchange on the same day gets the same answers.
    pub fn answer_at(&self, text: &str, now: DateTime) -> Result<Answers, Refused> {
        let doc = Document::parse(text).map_err(Refused::Unreadable)?;
        let rules = self.rules().map_err(Refused::Internal)?;
        let isa = doc.isa();
        let (submitter_party, control) = (isa.element(6).trim().to_string(), isa.element(13).to_string());
        let group_control = doc.segments.iter().find(|s| s.id == "GS").map(|s| s.element(6)).unwrap_or("").to_string();
        let header = |control_number: u32| InterchangeHeader {
            sender: Party { qualifier: "ZZ".into(), id: self.id().to_string() },
            receiver: Party { qualifier: "ZZ".into(), id: submitter_party.clone() },
            created: now,
            control_number,
            production: false,
            ack_requested: false,
        };
        let mut sets = Vec::new();
        let mut accepted: Vec<(Vec<Claim>, Batch)> = Vec::new();
        for tx in doc.transactions().into_iter().filter(|t| t.id() == "837") {
            let st = &tx.segments[0];
            let mut set = SetAck {
                transaction_id: "837".into(),
                control_number: st.element(2).to_string(),
                status: "A".into(),
                errors: Vec::new(),
            };
            match read_837p_set(&tx) {
                Ok(claims) => accepted.push((claims, Batch::of(&tx))),
                Err(error) => {
                    set.status = "R".into();
                    set.errors.push(segment_error(&tx, &error));
                }
            }
            sets.push(set);
        }
        let taken = sets.iter().filter(|s| s.accepted()).count();
        let status = match (taken, sets.len()) {
            (_, 0) | (0, _) => "R",
            (t, n) if t == n => "A",
            _ => "P",
        };
        let ack = FunctionalAck { functional_id: "HC".into(), group_control, status: status.into(), sets };
        let control_999 = self.control();
        let ack_999 = Interchange::new(header(control_999))
            .with_group(control_999, vec![functional_ack(&ack, VERSION_837P, 1)])
            .to_x12()
            .into();
        let mut answers = Answers { ack_999, claim_ack_277ca: None, remittance_835: None };
        if !accepted.is_empty() {
            let (claim_ack, remittance) = self.adjudicate_all(&accepted, &control, now, &rules);
            let control_277 = self.control();
            answers.claim_ack_277ca = Some(
                Interchange::new(header(control_277))
                    .with_group(control_277, vec![claim_acknowledgment(&claim_ack, 1)])
                    .to_x12()
                    .into(),
            );
            answers.remittance_835 = remittance.map(|advice| {
                let control_835 = self.control();
                Interchange::new(header(control_835))
                    .with_group(control_835, vec![remittance_advice(&advice, 1)])
                    .to_x12()
                    .into()
            });
        }
        let mut kept = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if kept.by_control.insert(control.clone(), answers.clone()).is_none() && self.retain.is_some() {
            kept.order.push_back(control);
        }
        while let Some(retain) = self.retain
            && kept.order.len() > retain.get()
            && let Some(oldest) = kept.order.pop_front()
        {
            kept.by_control.remove(&oldest);
        }
        drop(kept);
        Ok(answers)
    }

    /// The 277CA for every accepted claim, and the 835 for those adjudicated (none when every claim was rejected).
    fn adjudicate_all(
        &self,
        batches: &[(Vec<Claim>, Batch)],
        control: &str,
        now: DateTime,
        rules: &ScrubContext,
    ) -> (ClaimAcknowledgment, Option<RemittanceAdvice>) {
        let first = &batches[0].1;
        let payer_name = |claim: &Claim| self.config.name.clone().unwrap_or_else(|| claim.payer.to_uppercase());
        let mut ack = ClaimAcknowledgment {
            reference: format!("277CA{control}"),
            created: now,
            payer_name: batches[0].0.first().map(payer_name).unwrap_or_default(),
            payer_id: self.id().to_string(),
            submitter_name: first.submitter_name.clone(),
            submitter_id: first.submitter_id.clone(),
            batch_reference: first.reference.clone(),
            billing_name: first.billing_name.clone(),
            billing_npi: first.billing_npi.clone(),
            claims: Vec::new(),
        };
        let mut paid = Vec::new();
        let mut number = 0;
        for (claims, batch) in batches {
            for (claim, member) in claims.iter().zip(&batch.members) {
                number += 1;
                let payer_claim_id = format!("{control}{number:03}");
                let verdict = adjudicate(claim, &self.config, rules);
                let (status, payer_claim) = match &verdict {
                    // A2:20 — accepted for processing.
                    Verdict::Adjudicated(_) => (stc("A2", "20", "PR"), Some(payer_claim_id.clone())),
                    Verdict::Rejected { status_code, .. } => (stc("A7", status_code, ""), None),
                };
                let from = claim.lines.iter().map(|l| l.date_of_service).min();
                let to = claim.lines.iter().map(|l| l.date_of_service).max();
                ack.claims.push(AcknowledgedClaim {
                    patient: member.patient.clone(),
                    member_id: claim.member_id.clone(),
                    status: ClaimStatus {
                        claim_id: claim.id.clone(),
                        payer_claim_id: payer_claim,
                        statuses: vec![status],
                        charge: Some(claim.total_charge),
                    },
                    service_from: from.unwrap_or(now.date()),
                    service_to: to.unwrap_or(now.date()),
                });
                if let Verdict::Adjudicated(lines) = verdict {
                    paid.push(claim_payment(claim, member, &lines, payer_claim_id));
                }
            }
        }
        if paid.is_empty() {
            return (ack, None);
        }
        let total: i64 = paid.iter().map(|c| super::adjudication::cents(c.paid)).sum();
        let remittance = Remittance {
            payment_total: dollars(total),
            payment_method: if total > 0 { "ACH" } else { "NON" }.into(),
            trace: format!("EFT{control}"),
            payer: ack.payer_name.clone(),
            payee: first.billing_name.clone(),
            claims: paid,
            provider_adjustments: Vec::new(),
        };
        let advice = RemittanceAdvice {
            remittance,
            paid_on: now.date(),
            payer_tax_id: "990000001".into(),
            payer_address: Address {
                line: vec!["PO Box 1000".into()],
                city: "Tampa".into(),
                state: "FL".into(),
                postal_code: "336011000".into(),
            },
            payer_phone: "8005550100".into(),
            payee_npi: first.billing_npi.clone(),
            payer_bank: BankAccount { routing: "011000015".into(), account: "100200300".into() },
            payee_bank: BankAccount { routing: "063100277".into(), account: "987654321".into() },
        };
        (ack, Some(advice))
    }

    /// Forgets the answers to these 837s (by ISA13): the PM forgot the patient they were about.
    pub fn forget(&self, controls: &[String]) {
        let mut kept = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        for control in controls {
            kept.by_control.remove(control);
        }
        kept.order.retain(|c| !controls.contains(c));
    }

    /// One of the answers kept for an 837 (`which` picks it), shared rather than copied.
    fn kept(&self, control: &str, which: impl Fn(&Answers) -> Option<&Arc<str>>) -> Option<Arc<str>> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner()).by_control.get(control).and_then(which).cloned()
    }
}

/// Why the payer would not answer an interchange with a 999.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not X12 at all, or an envelope that does not add up: there is no group to acknowledge.
    #[error("the interchange cannot be read: {0}")]
    Unreadable(ParseError),
    #[error("the payer cannot load its rules: {0}")]
    Internal(String),
}

fn stc(category: &str, code: &str, entity: &str) -> Stc {
    Stc { category: category.into(), code: code.into(), entity: entity.into() }
}

/// The 835 CLP and its SVCs for one adjudicated claim.
fn claim_payment(claim: &Claim, member: &Member, decisions: &[LineDecision], payer_claim_id: String) -> ClaimPayment {
    let lines: Vec<LinePayment> = claim
        .lines
        .iter()
        .zip(decisions)
        .map(|(line, d)| LinePayment {
            code: line.code.clone(),
            modifiers: line.modifiers.clone(),
            charge: dollars(d.charge),
            paid: dollars(d.paid),
            units: line.units,
            date_of_service: Some(line.date_of_service),
            allowed: Some(dollars(d.allowed)),
            adjustments: d
                .adjustments
                .iter()
                .map(|(group, reason, amount)| Adjustment {
                    group: group.clone(),
                    reason: reason.clone(),
                    amount: dollars(*amount),
                })
                .collect(),
        })
        .collect();
    let charge: i64 = decisions.iter().map(|d| d.charge).sum();
    let paid: i64 = decisions.iter().map(|d| d.paid).sum();
    let patient: i64 = decisions.iter().flat_map(|d| &d.adjustments).filter(|a| a.0 == "PR").map(|a| a.2).sum();
    let all_denied = lines.iter().all(|l| l.to_model().denied());
    ClaimPayment {
        claim_id: claim.id.clone(),
        // `1` processed as primary; `4` denied.
        status: if all_denied { "4" } else { "1" }.into(),
        charge: dollars(charge),
        paid: dollars(paid),
        patient_responsibility: Some(dollars(patient)),
        payer_claim_id,
        filing_code: remittance_filing_code(&member.filing_code).into(),
        facility_code: claim.lines.first().map(|l| l.place_of_service.clone()).unwrap_or_default(),
        patient: member.patient.clone(),
        member_id: claim.member_id.clone(),
        adjustments: Vec::new(),
        lines,
    }
}

/// What an 837 set says around its claims, which the answers repeat: who sent it, for whom, and each subscriber.
#[derive(Debug, Clone, Default)]
struct Batch {
    reference: String,
    submitter_name: String,
    submitter_id: String,
    billing_name: String,
    billing_npi: String,
    /// One per claim, in order.
    members: Vec<Member>,
}

#[derive(Debug, Clone)]
struct Member {
    patient: HumanName,
    filing_code: String,
}

impl Batch {
    fn of(tx: &Transaction<'_>) -> Batch {
        let mut batch = Batch::default();
        let mut patient = HumanName { given: Vec::new(), family: String::new() };
        let mut filing_code = String::new();
        for seg in tx.segments {
            match (seg.id.as_str(), seg.element(1)) {
                ("BHT", _) => batch.reference = seg.element(3).to_string(),
                ("NM1", "41") => (batch.submitter_name, batch.submitter_id) = name_and_id(seg),
                ("NM1", "85") => (batch.billing_name, batch.billing_npi) = name_and_id(seg),
                ("NM1", "IL") => {
                    patient = HumanName {
                        given: [seg.element(4), seg.element(5)]
                            .iter()
                            .filter(|g| !g.is_empty())
                            .map(|g| g.to_string())
                            .collect(),
                        family: seg.element(3).to_string(),
                    }
                }
                ("SBR", _) => filing_code = seg.element(9).to_string(),
                ("CLM", _) => batch.members.push(Member { patient: patient.clone(), filing_code: filing_code.clone() }),
                _ => {}
            }
        }
        batch
    }
}

fn name_and_id(seg: &crate::connect::x12::Segment) -> (String, String) {
    (seg.element(3).to_string(), seg.element(9).to_string())
}

/// Where the reader stopped, as a 999 says it: IK3 the segment (counted from ST as 1), IK4 the element.
fn segment_error(tx: &Transaction<'_>, error: &ReadError) -> SegmentError {
    let st_index = tx.segments.first().map(|s| s.index).unwrap_or(0);
    let at = |location: &crate::connect::x12::Location, code: &str, bad: &str| SegmentError {
        segment_id: location.segment_id.clone(),
        position: location.segment_index.saturating_sub(st_index) + 1,
        loop_id: String::new(),
        // IK3-4 `8`: the segment has data element errors.
        code: "8".into(),
        elements: vec![ElementError {
            position: location.element,
            component: location.component,
            code: code.into(),
            bad_value: bad.into(),
        }],
    };
    match error {
        // IK4-3 `1`: a mandatory data element is missing.
        ReadError::MissingValue { location, .. } => at(location, "1", ""),
        // IK4-3 `8` an invalid date, `7` any other invalid value.
        ReadError::InvalidValue { location, found, expected } => {
            at(location, if expected.contains("date") { "8" } else { "7" }, found)
        }
        ReadError::WrongTransaction { location, found, .. } => at(location, "7", found),
        // IK3-4 `3`: a mandatory segment is missing; it is reported where the set ends.
        ReadError::MissingSegment { segment_id, .. } => SegmentError {
            segment_id: segment_id.to_string(),
            position: tx.segments.len(),
            loop_id: String::new(),
            code: "3".into(),
            elements: Vec::new(),
        },
    }
}

pub fn router(desk: Arc<PayerDesk>) -> Router {
    Router::new()
        .route("/837", post(receive))
        .route("/277ca/{control}", get(claim_ack))
        .route("/835/{control}", get(remittance))
        .with_state(desk)
}

fn x12(status: StatusCode, text: Arc<str>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(X12_CONTENT_TYPE))], shared_text(text)).into_response()
}

fn plain(status: StatusCode, text: String) -> Response {
    (status, text).into_response()
}

async fn receive(State(desk): State<Arc<PayerDesk>>, body: String) -> Response {
    match desk.answer(&body) {
        Ok(answers) => x12(StatusCode::OK, answers.ack_999),
        Err(e @ Refused::Unreadable(_)) => plain(StatusCode::BAD_REQUEST, e.to_string()),
        Err(e @ Refused::Internal(_)) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn claim_ack(State(desk): State<Arc<PayerDesk>>, Path(control): Path<String>) -> Response {
    match desk.kept(&control, |a| a.claim_ack_277ca.as_ref()) {
        Some(text) => x12(StatusCode::OK, text),
        None => plain(StatusCode::NOT_FOUND, format!("no 277CA for interchange {control}: none was accepted")),
    }
}

async fn remittance(State(desk): State<Arc<PayerDesk>>, Path(control): Path<String>) -> Response {
    match desk.kept(&control, |a| a.remittance_835.as_ref()) {
        Some(text) => x12(StatusCode::OK, text),
        None => plain(StatusCode::NOT_FOUND, format!("no 835 for interchange {control}: no claim was adjudicated")),
    }
}

/// CLP06 for the 837P's SBR09. The 835's list (X221A1) is not the 837's: it has no `CI` (commercial insurance), so
/// a commercial claim is answered `ZZ`, mutually defined, which the guide names for a type of insurance it does not
/// list; the codes both lists share are kept.
fn remittance_filing_code(sbr09: &str) -> &str {
    const SHARED: [&str; 19] = [
        "12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC",
        "ZZ",
    ];
    if SHARED.contains(&sbr09) { sbr09 } else { "ZZ" }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::submission::claim_interchange;
    use super::*;

    #[test]
    fn a_commercial_claim_is_remitted_under_a_filing_code_the_835_lists() {
        assert_eq!(remittance_filing_code("CI"), "ZZ");
        assert_eq!(remittance_filing_code("MB"), "MB");
        assert_eq!(remittance_filing_code("HM"), "HM");
    }
    use crate::connect::x12::{FunctionalAck, check_balance, read_277ca, read_835, read_999};
    use crate::model::fixtures::ana;
    use crate::model::{ClaimLine, Coverage, Relationship};

    fn now() -> DateTime {
        "2026-06-02T10:15".parse().unwrap()
    }

    fn line(code: &str, modifiers: &[&str], dx: &[u8]) -> ClaimLine {
        ClaimLine {
            code: code.into(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            units: 1.0,
            dx_pointers: dx.to_vec(),
            place_of_service: "11".into(),
            date_of_service: "2026-06-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
            charge: 100.0,
        }
    }

    /// The new Medicare patient's visit as the simulated PM bills it: an E/M with 25, a knee injection, the drug.
    fn visit() -> Claim {
        Claim {
            id: "p000042".into(),
            payer: "medicare".into(),
            member_id: "1EG4TE5MK72".into(),
            diagnoses: vec!["M17.11".into(), "E11.65".into(), "I10".into()],
            lines: vec![
                line("99204", &["25", "GC"], &[1, 2, 3]),
                line("20610", &["RT"], &[1]),
                line("J1030", &[], &[1]),
            ],
            total_charge: 300.0,
        }
    }

    fn sent(claim: &Claim, member_id: &str, control: u32) -> String {
        let coverage =
            Coverage { payer: "medicare".into(), member_id: member_id.into(), relationship: Relationship::Self_ };
        let claim = Claim { member_id: member_id.into(), ..claim.clone() };
        claim_interchange(ana(), Some(coverage), &claim, DEFAULT_PAYER_ID, control, now()).unwrap()
    }

    fn desk(yaml: &str) -> PayerDesk {
        PayerDesk::new(serde_saphyr::from_str(yaml).unwrap(), None)
    }

    /// The payer that ignores modifier 25, denies the drug as not medically necessary, and pays 20610 by its schedule.
    fn strict() -> PayerDesk {
        desk(
            "name: GULF COAST MEDICARE\nfee_schedule: { \"20610\": 72.50 }\ncoinsurance_pct: 20\n\
             deny: [{ code: J1030, carc: CO-50 }]\nignores_modifiers: [\"25\"]",
        )
    }

    struct Read {
        ack: FunctionalAck,
        statuses: Vec<ClaimStatus>,
        remittance: Option<Remittance>,
        texts: Answers,
    }

    /// Every answer read back with the project's readers; every 835 the payer writes must balance.
    fn answered(desk: &PayerDesk, text: &str) -> Read {
        let texts = desk.answer_at(text, now()).unwrap();
        let parse = |t: &str| Document::parse(t).unwrap_or_else(|e| panic!("{e}\n{t}"));
        let ack = read_999(&parse(&texts.ack_999)).unwrap().remove(0);
        let statuses = texts.claim_ack_277ca.as_deref().map(|t| read_277ca(&parse(t)).unwrap()).unwrap_or_default();
        let remittance = texts.remittance_835.as_deref().map(|t| {
            let r = read_835(&parse(t)).unwrap().remove(0);
            assert_eq!(check_balance(&r), vec![], "{t}");
            r
        });
        Read { ack, statuses, remittance, texts }
    }

    fn cas(line: &LinePayment) -> Vec<(String, f64)> {
        line.adjustments.iter().map(|a| (format!("{}-{}", a.group, a.reason), a.amount)).collect()
    }

    #[test]
    fn the_default_payer_accepts_and_pays_eighty_percent_of_each_line() {
        let read = answered(&desk("{}"), &sent(&visit(), "1EG4TE5MK72", 7));
        assert_eq!((read.ack.status.as_str(), read.ack.sets[0].status.as_str()), ("A", "A"));
        assert_eq!(read.ack.group_control, "7");
        let status = &read.statuses[0];
        assert_eq!(status.claim_id, "p000042");
        assert_eq!(status.payer_claim_id.as_deref(), Some("000000007001"));
        assert_eq!(status.statuses[0], Stc { category: "A2".into(), code: "20".into(), entity: "PR".into() });
        assert!(read.texts.claim_ack_277ca.unwrap().contains("STC*A2:20:PR*20260602*WQ*300~"));
        let r = read.remittance.unwrap();
        assert_eq!((r.payment_total, r.payment_method.as_str(), r.payer.as_str()), (240.0, "ACH", "MEDICARE"));
        let claim = &r.claims[0];
        assert_eq!(
            (claim.status.as_str(), claim.charge, claim.paid, claim.filing_code.as_str()),
            ("1", 300.0, 240.0, "MB")
        );
        assert_eq!(claim.patient.family, "Lopez-Hernandez");
        for l in &claim.lines {
            assert_eq!((l.paid, l.allowed, cas(l)), (80.0, Some(80.0), vec![("CO-45".to_string(), 20.0)]));
        }
    }

    #[test]
    fn the_configured_payer_bundles_denies_and_pays_by_its_schedule() {
        let read = answered(&strict(), &sent(&visit(), "1EG4TE5MK72", 8));
        let r = read.remittance.unwrap();
        let claim = &r.claims[0];
        // 20610: allowed 72.50, the patient owes 20% (14.50), the payer pays 58.00.
        assert_eq!((claim.status.as_str(), claim.paid, claim.patient_responsibility), ("1", 58.0, Some(14.5)));
        assert_eq!(r.payment_total, 58.0);
        assert_eq!(r.payer, "GULF COAST MEDICARE");
        let lines: Vec<_> = claim.lines.iter().map(|l| (l.code.as_str(), l.paid, cas(l))).collect();
        assert_eq!(
            lines,
            [
                ("99204", 0.0, vec![("CO-97".to_string(), 100.0)]),
                ("20610", 58.0, vec![("CO-45".to_string(), 27.5), ("PR-2".to_string(), 14.5)]),
                ("J1030", 0.0, vec![("CO-50".to_string(), 100.0)]),
            ]
        );
        // The 835 still names the line as billed: the modifier the payer ignored is on SVC01.
        assert_eq!(claim.lines[0].modifiers, ["25", "GC"]);
    }

    #[test]
    fn a_claim_with_every_line_denied_is_a_notice_with_no_payment_that_still_balances() {
        let mut claim = visit();
        claim.lines = vec![line("J1030", &[], &[1])];
        claim.total_charge = 100.0;
        let read = answered(&strict(), &sent(&claim, "1EG4TE5MK72", 9));
        let r = read.remittance.unwrap();
        assert_eq!((r.payment_total, r.payment_method.as_str(), r.claims[0].status.as_str()), (0.0, "NON", "4"));
        assert!(read.texts.remittance_835.unwrap().contains("BPR*H*0*C*NON************20260602~"));
    }

    #[test]
    fn a_missing_member_id_is_rejected_by_the_999_naming_segment_and_element() {
        let read = answered(&desk("{}"), &sent(&visit(), "", 10));
        assert_eq!(read.ack.status, "R");
        let set = &read.ack.sets[0];
        assert_eq!((set.control_number.as_str(), set.status.as_str()), ("0001", "R"));
        assert_eq!(
            set.errors,
            vec![SegmentError {
                segment_id: "NM1".into(),
                position: 13,
                loop_id: String::new(),
                code: "8".into(),
                elements: vec![ElementError {
                    position: 9,
                    component: None,
                    code: "1".into(),
                    bad_value: String::new()
                }],
            }]
        );
        assert!(read.texts.ack_999.contains("IK3*NM1*13**8~IK4*9**1~IK5*R*5~AK9*R*1*1*0~"), "{}", read.texts.ack_999);
        assert!(read.statuses.is_empty() && read.remittance.is_none());
    }

    #[test]
    fn a_claim_level_rule_break_is_rejected_by_the_277ca_and_never_remitted() {
        let mut claim = visit();
        claim.total_charge = 250.0;
        let read = answered(&desk("{}"), &sent(&claim, "1EG4TE5MK72", 11));
        assert_eq!(read.ack.status, "A");
        let status = &read.statuses[0];
        assert!(!status.accepted());
        assert_eq!((status.statuses[0].category.as_str(), status.statuses[0].code.as_str()), ("A7", "21"));
        assert_eq!(status.payer_claim_id, None);
        assert!(read.remittance.is_none());
    }

    #[test]
    fn text_that_is_not_an_interchange_is_refused_with_the_readers_reason() {
        let refused = desk("{}").answer_at("GS*HC*nothing~", now()).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the interchange cannot be read: segment 1 starts with `GS*`; expected the ISA interchange header"
        );
    }

    #[test]
    fn answers_are_kept_by_the_control_number_of_the_837() {
        let d = desk("{}");
        d.answer_at(&sent(&visit(), "1EG4TE5MK72", 12), now()).unwrap();
        let remittance = d.kept("000000012", |a| a.remittance_835.as_ref()).unwrap();
        assert!(remittance.contains("CLP*p000042*1*300*240"));
        let claim_ack = d.kept("000000012", |a| a.claim_ack_277ca.as_ref()).unwrap();
        assert!(claim_ack.starts_with("ISA*") && claim_ack.contains("ST*277*"));
        assert!(d.kept("000000013", |a| Some(&a.ack_999)).is_none());
    }

    #[test]
    fn a_payer_retaining_two_interchanges_forgets_the_answers_to_the_oldest() {
        let d = desk("{}").retaining(NonZeroUsize::new(2));
        for control in [31, 32, 33] {
            d.answer_at(&sent(&visit(), "1EG4TE5MK72", control), now()).unwrap();
        }
        assert!(d.kept("000000031", |a| Some(&a.ack_999)).is_none());
        assert!(d.kept("000000032", |a| a.claim_ack_277ca.as_ref()).is_some());
        assert!(d.kept("000000033", |a| a.remittance_835.as_ref()).is_some());
        let kept = d.answers.lock().unwrap();
        assert_eq!(kept.order, ["000000032", "000000033"]);
        assert_eq!(kept.by_control.len(), 2);
        drop(kept);
        d.forget(&["000000033".to_string()]);
        assert!(d.kept("000000033", |a| Some(&a.ack_999)).is_none());
        assert_eq!(d.answers.lock().unwrap().order, ["000000032"]);
    }

    /// What the PM and the payer write, on disk for pyx12 (`.ci/run`); `HANDOFF_UPDATE_SAMPLES=1` rewrites them.
    #[test]
    fn interop_samples_match_the_payer() {
        let strict = strict();
        let claim_837 = sent(&visit(), "1EG4TE5MK72", 21);
        let accepted = answered(&strict, &claim_837).texts;
        let rejected_999 = answered(&strict, &sent(&visit(), "", 22)).texts;
        let mut mismatch = visit();
        mismatch.total_charge = 250.0;
        let rejected_277 = answered(&strict, &sent(&mismatch, "1EG4TE5MK72", 23)).texts;
        let samples = [
            ("payer_837p", claim_837.as_str()),
            ("payer_999", &accepted.ack_999),
            ("payer_277ca", &accepted.claim_ack_277ca.unwrap()),
            ("payer_835", &accepted.remittance_835.unwrap()),
            ("payer_999_rejected", &rejected_999.ack_999),
            ("payer_277ca_rejected", &rejected_277.claim_ack_277ca.unwrap()),
        ];
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/x12");
        let update = std::env::var_os("HANDOFF_UPDATE_SAMPLES").is_some();
        for (name, text) in samples {
            let path = dir.join(format!("{name}.x12"));
            let text = text.replace('~', "~\n");
            if update {
                std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("{}: {e}; run with HANDOFF_UPDATE_SAMPLES=1 to write the samples", path.display())
            });
            assert_eq!(on_disk, text, "{} is stale; run with HANDOFF_UPDATE_SAMPLES=1", path.display());
        }
    }
}
