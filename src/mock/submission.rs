//! The simulated PM's side of billing: once it builds a claim it sends it to its payer as an 837P over HTTP on
//! loopback, reads the 999, the 277CA and the 835 it gets back, and keeps the outcome as a FHIR ClaimResponse —
//! and every X12 text exchanged, for `GET /$remittance?patient=`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::payer::X12_CONTENT_TYPE;
use super::store::Store;
use crate::connect::fhir::claim_response::claim_response_to_fhir;
use crate::connect::fhir::read::{self, PatientDoc};
use crate::connect::http::{Outgoing, Transport};
use crate::connect::wire::{Direction, PatientRef, WireFormat, WireTap};
use crate::connect::x12::{
    BillingProvider, ClaimSubmission, Document, Interchange, InterchangeHeader, Party, ReadError, Receiver, Submitter,
    professional_claim, read_277ca, read_835, read_999,
};
use crate::model::{Address, Claim, ClaimDecision, Coverage, DateTime, Patient, Relationship, Remittance, Role};

/// Who the simulated practice is on its claims: an NPI that passes the check digit, a street address with ZIP+4.
const PRACTICE: &str = "Handoff Simulated Practice";
const PRACTICE_ID: &str = "HANDOFFSIM";
const PRACTICE_NPI: &str = "1234567893";
const PRACTICE_EIN: &str = "591234567";
/// No answer of the payer's to one claim comes near this; one that does is not read into memory.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// The PM's connection to its payer, and the log of what went over it.
pub struct Clearinghouse {
    payer_url: String,
    payer_id: String,
    http: Transport,
    next_control: AtomicU32,
    exchanges: Mutex<Vec<Exchange>>,
    /// Where each X12 text exchanged is recorded as the run's wire artifacts, when the run keeps them.
    wire: Option<WireTap>,
}

/// One claim's round trip, as X12 text. Not FHIR: the wire artifacts, for whoever wants to keep them.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub patient: String,
    pub claim: String,
    #[serde(rename = "837")]
    pub claim_837: Option<String>,
    #[serde(rename = "999")]
    pub ack_999: Option<String>,
    #[serde(rename = "277ca")]
    pub claim_ack_277ca: Option<String>,
    #[serde(rename = "835")]
    pub remittance_835: Option<String>,
    /// Why the round trip stopped short, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The 837's ISA13, which the payer keeps its answers by; none when no 837 was made.
    #[serde(skip)]
    pub isa13: Option<String>,
}

impl Clearinghouse {
    pub fn new(payer_url: String, payer_id: String) -> Clearinghouse {
        // Loopback answers in milliseconds; a payer that takes longer has stopped.
        let timeout = Duration::from_secs(10);
        let http = Transport::new(
            reqwest::Client::builder().timeout(timeout).build().unwrap_or_default(),
            timeout,
            MAX_ANSWER_BYTES,
        );
        Clearinghouse {
            payer_url,
            payer_id,
            http,
            next_control: AtomicU32::new(1),
            exchanges: Mutex::new(Vec::new()),
            wire: None,
        }
    }

    /// Records every X12 text exchanged on `wire`, seen from the clearinghouse: the 837P received from the PM, the
    /// 999, 277CA and 835 sent back to it.
    pub fn recording(mut self, wire: Option<WireTap>) -> Clearinghouse {
        self.wire = wire;
        self
    }

    fn record(&self, direction: Direction, label: &str, patient_id: &str, text: &str) {
        if let Some(wire) = &self.wire {
            let patient = Some(PatientRef { role: Role::Pm, id: patient_id.to_string() });
            wire.record(direction, WireFormat::X12, label, patient, text.as_bytes().to_vec());
        }
    }

    /// Drops the exchanges about a patient the PM forgot (the profile's `retain_patients`), and answers the
    /// ISA13s of the 837s they sent, for the payer to forget its answers too.
    pub fn forget(&self, patient_id: &str) -> Vec<String> {
        let mut exchanges = self.exchanges.lock().unwrap_or_else(|e| e.into_inner());
        let sent = exchanges.iter().filter(|e| e.patient == patient_id).filter_map(|e| e.isa13.clone()).collect();
        exchanges.retain(|e| e.patient != patient_id);
        sent
    }

    /// Every exchange for one patient, oldest first.
    pub fn exchanges_for(&self, patient_id: &str) -> Vec<Exchange> {
        self.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|e| e.patient == patient_id)
            .cloned()
            .collect()
    }

    /// Sends the claim and stores the payer's answer as a ClaimResponse; whatever happens, the exchange is logged.
    pub async fn submit(
        self: Arc<Self>,
        store: Arc<Store>,
        patient_id: String,
        claim: Claim,
        coverage: Option<Coverage>,
    ) {
        let mut exchange = Exchange {
            patient: patient_id.clone(),
            claim: claim.id.clone(),
            claim_837: None,
            ack_999: None,
            claim_ack_277ca: None,
            remittance_835: None,
            stopped: None,
            isa13: None,
        };
        let dependent = coverage.as_ref().is_some_and(|c| c.relationship != Relationship::Self_);
        let remittance = if dependent {
            Err(format!(
                "the simulated PM does not send claims for a patient covered as a dependent ({}): the 837P writer has \
                 no 2000C patient loop",
                coverage.as_ref().map(|c| c.relationship.as_str()).unwrap_or_default()
            ))
        } else {
            self.round_trip(&store, &patient_id, &claim, coverage, &mut exchange).await
        };
        let remittance = remittance.unwrap_or_else(|why| {
            exchange.stopped = Some(why.clone());
            let mut answer = rejected(&claim, why);
            if dependent {
                answer.status = ClaimDecision::NotSubmitted;
            }
            answer
        });
        // A patient forgotten while its claim was out (retain_patients, forget_finished_flows) takes no answer:
        // it would be kept for nobody.
        if store.read_json("Patient", &patient_id).is_none() {
            return;
        }
        let insurer = claim.payer.to_uppercase();
        let now = jiff::Timestamp::now().to_string();
        store.create(claim_response_to_fhir(&remittance, &patient_id, &insurer, &now), false);
        self.exchanges.lock().unwrap_or_else(|e| e.into_inner()).push(exchange);
    }

    async fn round_trip(
        &self,
        store: &Store,
        patient_id: &str,
        claim: &Claim,
        coverage: Option<Coverage>,
        exchange: &mut Exchange,
    ) -> Result<Remittance, String> {
        let patient = store
            .read_as::<PatientDoc>("Patient", patient_id)
            .and_then(|p| read::patient(p).ok())
            .ok_or_else(|| format!("not sent: Patient/{patient_id} cannot be read"))?;
        let created = DateTime(jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime());
        let control = self.next_control.fetch_add(1, Ordering::Relaxed);
        let text = claim_interchange(patient, coverage, claim, &self.payer_id, control, created)?;
        exchange.claim_837 = Some(text.clone());
        let isa13 = format!("{control:09}");
        exchange.isa13 = Some(isa13.clone());
        self.record(Direction::Received, "837P", patient_id, &text);

        // Each answer is logged as it comes and read where it is logged: nothing is copied.
        let ack_text: &str = exchange.ack_999.insert(self.post_837(text).await?);
        self.record(Direction::Sent, "999", patient_id, ack_text);
        let acks =
            Document::parse(ack_text).map_err(|e| e.to_string()).and_then(|d| read_999(&d).map_err(|e| e.to_string()));
        let ack = acks.map_err(|e| format!("the 999 cannot be read: {e}"))?;
        if let Some(set) = ack.iter().flat_map(|a| &a.sets).find(|s| !s.accepted()) {
            let errors: Vec<String> = set
                .errors
                .iter()
                .flat_map(|e| {
                    let head = format!("{} at {}", e.segment_id, e.position);
                    let mut each: Vec<String> = e
                        .elements
                        .iter()
                        .map(|el| format!("IK3 {head} IK4 {:02} code {}", el.position, el.code))
                        .collect();
                    if each.is_empty() {
                        each.push(format!("IK3 {head} code {}", e.code));
                    }
                    each
                })
                .collect();
            return Err(format!("999 R: {}", errors.join("; ")));
        }

        let status_text: &str = exchange.claim_ack_277ca.insert(self.get(&format!("277ca/{isa13}")).await?);
        self.record(Direction::Sent, "277CA", patient_id, status_text);
        let statuses = read_answer(status_text, "277CA", read_277ca)?;
        let status = statuses
            .iter()
            .find(|s| s.claim_id == claim.id)
            .ok_or_else(|| format!("the 277CA does not mention claim {}", claim.id))?;
        if !status.accepted() {
            let first = status.statuses.first();
            return Err(format!(
                "277CA {}:{}",
                first.map(|s| s.category.as_str()).unwrap_or("?"),
                first.map(|s| s.code.as_str()).unwrap_or("?")
            ));
        }

        let remittance_text: &str = exchange.remittance_835.insert(self.get(&format!("835/{isa13}")).await?);
        self.record(Direction::Sent, "835", patient_id, remittance_text);
        let remittances = read_answer(remittance_text, "835", read_835)?;
        remittances
            .iter()
            .flat_map(|r| &r.claims)
            .find(|c| c.claim_id == claim.id)
            .map(|c| c.to_model())
            .ok_or_else(|| format!("the 835 does not mention claim {}", claim.id))
    }

    async fn post_837(&self, text: String) -> Result<String, String> {
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(X12_CONTENT_TYPE));
        self.exchange(Method::POST, &format!("{}/837", self.payer_url), headers, Some(text.into_bytes())).await
    }

    async fn get(&self, path: &str) -> Result<String, String> {
        self.exchange(Method::GET, &format!("{}/{path}", self.payer_url), HeaderMap::new(), None).await
    }

    async fn exchange(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<String, String> {
        let answer = self
            .http
            .send(Outgoing { method, url, parsed: None, headers, body })
            .await
            .map_err(|e| format!("the payer cannot be reached: {e}"))?;
        let text = String::from_utf8(answer.body)
            .unwrap_or_else(|not_utf8| String::from_utf8_lossy(not_utf8.as_bytes()).into_owned());
        if answer.status.is_success() { Ok(text) } else { Err(format!("the payer answered {}: {text}", answer.status)) }
    }
}

/// One of the payer's answers read with the project's reader, or why it could not be.
fn read_answer<T>(text: &str, what: &str, read: impl Fn(&Document) -> Result<T, ReadError>) -> Result<T, String> {
    let doc = Document::parse(text).map_err(|e| format!("the {what} cannot be read: {e}"))?;
    read(&doc).map_err(|e| format!("the {what} cannot be read: {e}"))
}

/// The 837P interchange the PM sends for one claim. A claim the 837P cannot carry is stopped by the PM's own
/// front-end edit, as real PMs do, and never leaves it.
pub fn claim_interchange(
    patient: Patient,
    coverage: Option<Coverage>,
    claim: &Claim,
    payer_id: &str,
    control: u32,
    created: DateTime,
) -> Result<String, String> {
    // Without coverage the claim still goes out, with no member id: the payer's 999 says what that costs.
    let coverage = coverage.unwrap_or(Coverage {
        payer: claim.payer.clone(),
        member_id: String::new(),
        relationship: Relationship::Self_,
    });
    let medicare = coverage.payer.to_ascii_lowercase().contains("medicare");
    let submission = ClaimSubmission {
        reference: format!("BATCH{control:06}"),
        created,
        submitter: Submitter {
            name: PRACTICE.into(),
            id: PRACTICE_ID.into(),
            contact: "Billing Office".into(),
            phone: "8135550100".into(),
        },
        receiver: Receiver { name: claim.payer.to_uppercase(), id: payer_id.to_string() },
        billing: BillingProvider {
            name: PRACTICE.into(),
            npi: PRACTICE_NPI.into(),
            tax_id: PRACTICE_EIN.into(),
            address: Address {
                line: vec!["500 Harbor Blvd".into()],
                city: "Tampa".into(),
                state: "FL".into(),
                postal_code: "33606-1234".into(),
            },
        },
        // X12 carries no letters beyond ASCII: `Muñoz` goes out as `Munoz`, as PMs export it.
        subscriber: super::billing::in_x12_characters(&patient),
        coverage,
        payer_id: payer_id.to_string(),
        // SBR09: `MB` Medicare Part B, `CI` commercial insurance.
        claim_filing_code: if medicare { "MB" } else { "CI" }.into(),
        place_of_service: claim.lines.first().map(|l| l.place_of_service.clone()).unwrap_or_default(),
        providers: Vec::new(),
        claim: claim.clone(),
    };
    let set = professional_claim(&submission, 1).map_err(|e| format!("not sent: {e}"))?;
    let header = InterchangeHeader {
        sender: Party { qualifier: "ZZ".into(), id: PRACTICE_ID.into() },
        receiver: Party { qualifier: "ZZ".into(), id: payer_id.to_string() },
        created,
        control_number: control,
        production: false,
        ack_requested: false,
    };
    Ok(Interchange::new(header).with_group(control, vec![set]).to_x12())
}

/// A claim that never reached adjudication.
fn rejected(claim: &Claim, why: String) -> Remittance {
    Remittance {
        claim_id: claim.id.clone(),
        payer_claim_id: String::new(),
        status: ClaimDecision::Rejected,
        rejection: Some(why),
        charged: claim.total_charge,
        paid: 0.0,
        patient_responsibility: 0.0,
        lines: Vec::new(),
    }
}
