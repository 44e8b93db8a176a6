//! The billing side of offline reconciliation: the EMR's documented encounters (FHIR NDJSON), the PM's claims (X12
//! 837P or FHIR Claim NDJSON) and the payer's remittances (X12 835) matched to each other, then judged by the live
//! run's own core — the lineage of each billing element, the CMS rules, the payer's answer — so the findings, their
//! messages and the scores are a live run's.

pub mod fhir;
pub mod plant;
pub mod x12;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};

use serde_json::json;

use super::{InputProblem, Source};
use crate::diff::{Category, Finding, FindingKind, Hop, HopRecords, trace, trace_to_remittance};
use crate::engine::{Prediction, Tallies, judge_payment, lineage_findings, scrub_findings};
use crate::model::{Claim, Diagnosis, Encounter, Remittance, Role, ServiceLine};
use crate::rules::ScrubContext;
pub use fhir::{DOCUMENTATION, Documented, first_resource_type};
pub use x12::BilledClaim;

/// The billing exports of one reconciliation. `remits` is `None` when none were given, so no claim is said to
/// lack one.
pub struct BillingSources {
    pub documentation: Vec<Source>,
    pub claims: Vec<Source>,
    pub remits: Option<Vec<Source>>,
}

/// How the claims found their encounters and remittances, and what was left over.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BillingSummary {
    pub encounters: u64,
    pub claims: u64,
    pub remittances: u64,
    /// Claims whose id (CLM01, or a FHIR Claim's `item.encounter`) is an encounter's id.
    pub matched_by_claim_id: u64,
    /// Claims matched by the patient (REF*EA medical record number, else member id) and date of service.
    pub matched_by_patient_and_date: u64,
    /// Documented encounters no claim bills.
    pub never_billed: u64,
    /// Claims no documented encounter supports (including a second claim for an encounter already billed).
    pub undocumented: u64,
    /// Claims no remittance answers; `None` when no remittances were given.
    pub unanswered: Option<u64>,
    /// Remittances for a claim no claim export holds.
    pub unclaimed_remittances: u64,
}

impl BillingSummary {
    pub fn render(&self) -> String {
        let remits = match self.unanswered {
            Some(n) => {
                format!(", {n} claim(s) with no remittance, {} remittance(s) with no claim", self.unclaimed_remittances)
            }
            None => String::new(),
        };
        format!(
            "{} documented encounter(s), {} claim(s), {} remittance(s): {} claim(s) matched by claim id, {} by patient \
             and date of service; {} encounter(s) never billed, {} claim(s) with no documentation{remits}",
            self.encounters,
            self.claims,
            self.remittances,
            self.matched_by_claim_id,
            self.matched_by_patient_and_date,
            self.never_billed,
            self.undocumented,
        )
    }
}

pub struct BillingReconciliation {
    pub findings: Vec<Finding>,
    pub tallies: Tallies,
    pub summary: BillingSummary,
}

/// A source whose first bytes say whether it is X12 (an ISA) or NDJSON, with those bytes still to be read.
fn sniff(source: Source) -> Result<(bool, Source), InputProblem> {
    let mut reader = BufReader::with_capacity(1 << 16, source.reader);
    let head = reader.fill_buf().map_err(|e| InputProblem {
        file: source.name.clone(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    let text = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let x12 = text[start..].starts_with(b"ISA");
    Ok((x12, Source { name: source.name, reader: Box::new(reader) }))
}

fn dated(claim: &Claim) -> Option<String> {
    claim.lines.first().map(|l| l.date_of_service.to_string())
}

/// A claim with no documentation stands in for its own documentation, so the payer's answer to it can still be
/// traced line by line.
fn as_documented(claim: &Claim) -> Encounter {
    let first = claim.lines.first();
    Encounter {
        date_of_service: first.map(|l| l.date_of_service).unwrap_or(crate::model::Date(jiff::civil::Date::ZERO)),
        place_of_service: first.map(|l| l.place_of_service.clone()).unwrap_or_default(),
        rendering_npi: first.map(|l| l.rendering_npi.clone()).unwrap_or_default(),
        diagnoses: claim.diagnoses.iter().map(|code| Diagnosis { code: code.clone() }).collect(),
        service_lines: claim
            .lines
            .iter()
            .map(|l| ServiceLine {
                code: l.code.clone(),
                modifiers: l.modifiers.clone(),
                units: l.units,
                dx_pointers: l.dx_pointers.clone(),
                place_of_service: l.place_of_service.clone(),
                date_of_service: l.date_of_service,
                rendering_npi: l.rendering_npi.clone(),
            })
            .collect(),
    }
}

/// How a claim found its encounter.
enum Match {
    ById(usize),
    ByPatientAndDate(usize),
    /// A second claim for an encounter another claim already bills.
    Again(usize),
    None,
}

fn finding(category: Category, kind: FindingKind, key: &str, record: &str, system: Role) -> Finding {
    Finding::new(category, kind, key.to_string(), 1, "reconcile", record, "", system)
}

/// Reconciles the billing exports: `rules` are what the live run's `expect_claim: { scrub: cms }` checks against.
pub fn reconcile_billing(sources: BillingSources, rules: &ScrubContext) -> Result<BillingReconciliation, InputProblem> {
    let mut documentation = fhir::Documentation::default();
    for source in sources.documentation {
        documentation.read(source)?;
    }
    let visits = documentation.visits()?;
    let mut claims = Vec::new();
    for source in sources.claims {
        match sniff(source)? {
            (true, source) => x12::read_claims(source, &mut claims)?,
            (false, source) => fhir::read_claims(source, &mut claims)?,
        }
    }
    let given_remits = sources.remits.is_some();
    let mut remits: Vec<(Remittance, String)> = Vec::new();
    for source in sources.remits.into_iter().flatten() {
        let (x12, source) = sniff(source)?;
        if !x12 {
            let message = "is not an X12 835 (it does not start with an ISA segment)\n  hint: --remits takes the \
                           payer's 835 remittance advice files"
                .into();
            return Err(InputProblem { file: source.name, line: Some(1), message });
        }
        x12::read_remittances(source, &mut remits)?;
    }
    let mut summary = BillingSummary {
        encounters: visits.len() as u64,
        claims: claims.len() as u64,
        remittances: remits.len() as u64,
        unanswered: given_remits.then_some(0),
        ..BillingSummary::default()
    };
    let mut r = Judge { rules, findings: Vec::new(), tallies: Tallies::default() };

    // The keys a claim can find its encounter by.
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut by_record: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    let mut by_member: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (i, v) in visits.iter().enumerate() {
        by_id.insert(&v.id, i);
        let date = v.encounter.date_of_service.to_string();
        by_record.entry((&v.patient, date.clone())).or_default().push(i);
        if let Some(c) = &v.coverage {
            by_member.entry((&c.member_id, date)).or_default().push(i);
        }
    }
    let mut billed: Vec<Option<usize>> = vec![None; visits.len()];
    let matches: Vec<Match> = claims
        .iter()
        .enumerate()
        .map(|(c, b)| {
            let explicit = by_id.get(b.encounter.as_deref().unwrap_or(&b.claim.id)).copied();
            let found = match explicit {
                Some(v) => Some((v, true)),
                None => {
                    let date = dated(&b.claim).unwrap_or_default();
                    let candidates = match &b.medical_record {
                        Some(mr) => by_record.get(&(mr.as_str(), date)),
                        None => by_member.get(&(b.claim.member_id.as_str(), date)),
                    };
                    let all = candidates.map(Vec::as_slice).unwrap_or_default();
                    all.iter().find(|v| billed[**v].is_none()).or(all.first()).map(|v| (*v, false))
                }
            };
            match found {
                Some((v, _)) if billed[v].is_some() => Match::Again(v),
                Some((v, by_id)) => {
                    billed[v] = Some(c);
                    if by_id { Match::ById(v) } else { Match::ByPatientAndDate(v) }
                }
                None => Match::None,
            }
        })
        .collect();

    // Each encounter traced to the claim that bills it, or to none.
    let mut handoff_of: HashMap<usize, Vec<Finding>> = HashMap::new();
    for (v, visit) in visits.iter().enumerate() {
        let claim = billed[v].map(|c| &claims[c]);
        let hops = HopRecords { emr: Some(&visit.encounter), claim: claim.map(|b| &b.claim), ..HopRecords::default() };
        let lineage = trace(&visit.encounter, visit.coverage.as_ref(), hops);
        let template = finding(Category::Handoff, FindingKind::MissingRecord, &visit.id, "claim", Role::Pm);
        let (mut found, tallies) = lineage_findings(&lineage, claim.is_some(), Role::Pm, &template);
        let whence = match claim {
            Some(b) => format!(" (encounter `{}`, {}; claim `{}`, {})", visit.id, visit.at, b.claim.id, b.at),
            None => {
                summary.never_billed += 1;
                format!(" (encounter `{}`, {})", visit.id, visit.at)
            }
        };
        found.iter_mut().for_each(|f| f.message.push_str(&whence));
        r.tallies += tallies;
        if let Some(c) = billed[v] {
            handoff_of.insert(c, found.clone());
        }
        r.findings.extend(found);
    }

    // Each claim scrubbed, then held against the payer's answer.
    let mut answers: HashMap<&str, usize> = HashMap::new();
    for (i, (remit, _)) in remits.iter().enumerate() {
        // A later answer to the same claim (a correction, a reversal and repayment) is the one that stands.
        answers.insert(&remit.claim_id, i);
    }
    let mut answered = vec![false; remits.len()];
    for (c, (b, m)) in claims.iter().zip(&matches).enumerate() {
        let (key, documented) = match m {
            Match::ById(v) => {
                summary.matched_by_claim_id += 1;
                (visits[*v].id.clone(), visits[*v].encounter.clone())
            }
            Match::ByPatientAndDate(v) => {
                summary.matched_by_patient_and_date += 1;
                (visits[*v].id.clone(), visits[*v].encounter.clone())
            }
            Match::Again(v) => {
                summary.undocumented += 1;
                let mut f = finding(Category::Handoff, FindingKind::DuplicateRecord, &b.claim.id, "claim", Role::Pm);
                f.expected = json!(visits[*v].id);
                f.actual = json!(b.claim.id);
                f.message = format!(
                    "encounter `{}` is billed twice: claim `{}` ({}) bills it again after claim `{}`",
                    visits[*v].id,
                    b.claim.id,
                    b.at,
                    billed[*v].map(|o| claims[o].claim.id.as_str()).unwrap_or_default()
                );
                r.findings.push(f);
                (b.claim.id.clone(), as_documented(&b.claim))
            }
            Match::None => {
                summary.undocumented += 1;
                let mut f = finding(Category::Handoff, FindingKind::MissingRecord, &b.claim.id, "encounter", Role::Emr);
                f.expected = json!(b.claim.id);
                f.message = format!(
                    "claim `{}` ({}) bills {} line(s) on {} that no documented encounter matches by claim id, medical \
                     record number or member id and date of service",
                    b.claim.id,
                    b.at,
                    b.claim.lines.len(),
                    dated(&b.claim).unwrap_or_else(|| "no date".into())
                );
                r.findings.push(f);
                (b.claim.id.clone(), as_documented(&b.claim))
            }
        };
        let predicted = r.scrub(&key, b);
        if !given_remits {
            continue;
        }
        match answers.get(b.claim.id.as_str()) {
            Some(&i) => {
                answered[i] = true;
                let handoff = handoff_of.get(&c).map(Vec::as_slice).unwrap_or_default();
                r.payment(&key, &documented, &b.claim, &remits[i].0, &predicted, handoff);
            }
            None => {
                if let Some(n) = summary.unanswered.as_mut() {
                    *n += 1;
                }
                let mut f = finding(Category::Payment, FindingKind::MissingRecord, &key, "remittance", Role::Pm);
                f.expected = json!(b.claim.id);
                f.hop = Some(Hop::Remittance.as_str().into());
                f.message = format!("no remittance given answers claim `{}` ({})", b.claim.id, b.at);
                r.findings.push(f);
            }
        }
    }
    for (i, (remit, file)) in remits.iter().enumerate() {
        if answered[i] || answers.get(remit.claim_id.as_str()) != Some(&i) {
            continue;
        }
        summary.unclaimed_remittances += 1;
        let mut f = finding(Category::Payment, FindingKind::MissingRecord, &remit.claim_id, "claim", Role::Pm);
        f.actual = json!(remit.claim_id);
        f.hop = Some(Hop::Claim.as_str().into());
        f.message = format!(
            "the payer answered claim `{}` ({file}, ${:.2} paid of ${:.2}) and no claim export holds that claim",
            remit.claim_id, remit.paid, remit.charged
        );
        r.findings.push(f);
    }
    Ok(BillingReconciliation { findings: r.findings, tallies: r.tallies, summary })
}

struct Judge<'a> {
    rules: &'a ScrubContext,
    findings: Vec<Finding>,
    tallies: Tallies,
}

impl Judge<'_> {
    /// The claim checked against the CMS rules, as `expect_claim: { scrub: cms }` checks it; returns the denials the
    /// breaks predict.
    fn scrub(&mut self, key: &str, b: &BilledClaim) -> Vec<Prediction> {
        let template = finding(Category::Rule, FindingKind::RuleBreak, key, "claim", Role::Pm);
        let mut scrubbed = scrub_findings(&b.claim, self.rules, Role::Pm, &template);
        for f in &mut scrubbed.findings {
            f.message.push_str(&format!(" (claim `{}`, {})", b.claim.id, b.at));
        }
        self.tallies += scrubbed.tallies;
        self.findings.extend(scrubbed.findings);
        scrubbed.predicted
    }

    /// The payer's answer judged as `expect_remittance` judges it.
    fn payment(
        &mut self,
        key: &str,
        documented: &Encounter,
        claim: &Claim,
        remit: &Remittance,
        predicted: &[Prediction],
        handoff: &[Finding],
    ) {
        let outcomes = trace_to_remittance(documented, Some(claim), remit);
        let template = finding(Category::Payment, FindingKind::Denied, key, "remittance", Role::Pm);
        let (found, tallies) = judge_payment(remit, &outcomes, predicted, handoff, &template);
        self.tallies += tallies;
        self.findings.extend(found.into_iter().map(|mut f| {
            f.message.push_str(&format!(" (claim `{}`)", claim.id));
            f
        }));
    }
}

/// What an input file on the command line is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// FHIR NDJSON of the EMR's documentation ([`DOCUMENTATION`]).
    Documentation,
    /// An X12 837 batch, or FHIR Claim NDJSON.
    Claims,
    /// An X12 835 batch.
    Remittances,
    /// Anything else: a patient export for the demographic reconciliation.
    Patients,
}

/// Tells a billing export from a patient export by its content: an X12 interchange by its first ST, NDJSON by its
/// first resource. A file that cannot be read is a patient export here, for the reader to say why.
pub fn input_kind(path: &std::path::Path) -> InputKind {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(4096).read_to_end(&mut head);
    }
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']);
    if text.starts_with("ISA") && text.len() > 3 {
        let element = &text[3..4];
        return if text.contains(&format!("ST{element}835")) { InputKind::Remittances } else { InputKind::Claims };
    }
    match first_resource_type(path).as_deref() {
        Some("Claim") => InputKind::Claims,
        Some(t) if DOCUMENTATION.contains(&t) => InputKind::Documentation,
        _ => InputKind::Patients,
    }
}

#[cfg(test)]
mod tests {
    use super::plant::{BillingDefect, BillingPlanter, BillingWriters, DOCUMENTATION_FILES, write_billing};
    use super::*;
    use crate::rules::IcdRelease;
    use crate::synth::{IcdCodeSet, SyntheticPatients};

    /// The billing exports of `patients` visits with `defects` planted in every one: (NDJSON files, 837, 835).
    fn exports(
        patients: u64,
        defects: &[BillingDefect],
    ) -> (Vec<Vec<u8>>, String, String, Vec<super::super::Discrepancy>) {
        let codes = IcdCodeSet::embedded().unwrap();
        let synthetic = SyntheticPatients::new(7, &codes).unwrap();
        let planter = BillingPlanter { patients: &synthetic, per_million: 1_000_000, defects };
        let mut docs: Vec<Vec<u8>> = vec![Vec::new(); 5];
        let (mut claims, mut remits) = (Vec::new(), Vec::new());
        let [a, b, c, d, e] = &mut docs[..] else { unreachable!() };
        let truth = write_billing(
            &planter,
            patients,
            BillingWriters { documentation: [a, b, c, d, e], claims: &mut claims, remits: &mut remits },
        )
        .unwrap();
        (docs, String::from_utf8(claims).unwrap(), String::from_utf8(remits).unwrap(), truth)
    }

    fn source(name: &str, text: impl Into<Vec<u8>>) -> Source {
        Source { name: name.into(), reader: Box::new(std::io::Cursor::new(text.into())) }
    }

    fn run(docs: &[Vec<u8>], claims: &str, remits: Option<&str>) -> BillingReconciliation {
        let rules = ScrubContext::new(IcdRelease::embedded().unwrap());
        let documentation =
            docs.iter().zip(DOCUMENTATION_FILES).map(|(text, name)| source(name, text.clone())).collect();
        let sources = BillingSources {
            documentation,
            claims: vec![source("claims.837", claims)],
            remits: remits.map(|r| vec![source("remits.835", r)]),
        };
        reconcile_billing(sources, &rules).unwrap()
    }

    fn seen(r: &BillingReconciliation) -> Vec<(String, &str, &str, FindingKind)> {
        r.findings.iter().map(|f| (f.scenario.clone(), f.record.as_str(), f.field.as_str(), f.kind)).collect()
    }

    #[test]
    fn faithful_exports_reconcile_with_no_finding_and_every_element_exact() {
        let (docs, claims, remits, truth) = exports(12, &[]);
        assert!(truth.is_empty());
        let r = run(&docs, &claims, Some(&remits));
        assert!(r.findings.is_empty(), "{:?}", seen(&r));
        assert_eq!(r.summary.encounters, r.summary.matched_by_claim_id);
        assert_eq!((r.summary.never_billed, r.summary.undocumented, r.summary.unanswered), (0, 0, Some(0)));
        assert_eq!(r.tallies.handoff_exact, r.tallies.handoff_elements);
        assert_eq!(r.tallies.claims_paid_first_pass, r.tallies.claims_remitted);
        assert_eq!(r.tallies.claims_clean, r.tallies.claims_scrubbed);
    }

    #[test]
    fn a_claim_under_the_pms_own_number_is_matched_by_member_id_and_date_of_service() {
        let (docs, claims, remits, truth) = exports(6, &[BillingDefect::PmClaimNumber]);
        assert!(truth.is_empty());
        assert!(claims.contains("CLM*C0000") && !claims.contains("CLM*V0000"));
        let r = run(&docs, &claims, Some(&remits));
        assert!(r.findings.is_empty(), "{:?}", seen(&r));
        assert_eq!((r.summary.matched_by_claim_id, r.summary.matched_by_patient_and_date), (0, r.summary.claims));
    }

    /// One 837 interchange (one line of the generated file) with `segment` added after its CLM, the SE count kept true.
    fn with_segment_after_clm(interchange: &str, segment: &str) -> String {
        let clm = interchange.find("~CLM*").unwrap() + 1;
        let after = clm + interchange[clm..].find('~').unwrap() + 1;
        let text = format!("{}{segment}~{}", &interchange[..after], &interchange[after..]);
        let se = text.find("~SE*").unwrap() + 4;
        let end = se + text[se..].find('*').unwrap();
        let count: usize = text[se..end].parse().unwrap();
        format!("{}{}{}", &text[..se], count + 1, &text[end..])
    }

    #[test]
    fn a_medical_record_number_ties_a_claim_to_the_patients_encounter_that_day_whatever_its_member_id() {
        let (docs, claims, remits, _) = exports(3, &[BillingDefect::PmClaimNumber]);
        let claim = claims.lines().next().unwrap();
        let member = claim.split("~NM1*IL*").nth(1).unwrap().split('~').next().unwrap().rsplit('*').next().unwrap();
        let patient = String::from_utf8_lossy(&docs[0]).split("Patient/").nth(1).unwrap()[..9].to_string();
        let sent = with_segment_after_clm(&claim.replace(member, "WRONG0000"), &format!("REF*EA*{patient}"));
        let r = run(&docs, &sent, None);
        assert_eq!((r.summary.matched_by_claim_id, r.summary.matched_by_patient_and_date), (0, 1));
        let found: Vec<_> = r.findings.iter().map(|f| (f.field.as_str(), f.kind, f.actual.clone())).collect();
        assert_eq!(found, [("member_id", FindingKind::Changed, json!("WRONG0000"))]);
        let _ = remits;
    }

    #[test]
    fn planted_units_are_found_at_the_claim_with_the_live_runs_message() {
        let (docs, claims, remits, truth) = exports(3, &[BillingDefect::ChangeUnits]);
        let r = run(&docs, &claims, Some(&remits));
        let found: Vec<_> = seen(&r);
        let planted: Vec<_> =
            truth.iter().map(|d| (d.patient.clone(), d.record.as_str(), d.field.as_str(), d.kind)).collect();
        assert_eq!(found, planted);
        let f = &r.findings[0];
        assert_eq!((f.category, f.system, f.hop.as_deref()), (Category::Handoff, Role::Pm, Some("pm.claim")));
        // Seed 7's first two patients are covered as dependents, whom the 837P writer cannot bill: no visit.
        assert_eq!(
            f.message,
            "line[2].units was documented as `1.0` but pm.claim holds `2.0` (encounter `V00000002`, \
             Encounter.ndjson line 1; claim `V00000002`, claims.837 segment 20)"
        );
        assert_eq!((f.expected.clone(), f.actual.clone()), (json!(1.0), json!(2.0)));
    }

    #[test]
    fn what_is_left_on_each_side_is_reported() {
        let (docs, claims, remits, _) = exports(12, &[]);
        let ids: Vec<String> = String::from_utf8_lossy(&docs[0])
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string())
            .collect();
        let (claims, remits): (Vec<&str>, Vec<&str>) = (claims.lines().collect(), remits.lines().collect());
        assert!(ids.len() >= 3 && claims.len() == ids.len() && remits.len() == ids.len());
        // The first visit is never billed, though the payer answers its claim; the second is billed twice; the
        // third is never answered; the rest are billed and paid.
        let sent = [&claims[1..2], &claims[1..2], &claims[2..]].concat();
        let answered = [&remits[0..2], &remits[3..]].concat();
        let r = run(&docs, &sent.join("\n"), Some(&answered.join("\n")));
        let key = |i: usize| ids[i].clone();
        assert_eq!(
            seen(&r),
            [
                (key(0), "claim", "", FindingKind::MissingRecord),
                (key(1), "claim", "", FindingKind::DuplicateRecord),
                (key(2), "remittance", "", FindingKind::MissingRecord),
                (key(0), "claim", "", FindingKind::MissingRecord),
            ]
        );
        assert_eq!(
            r.summary.render(),
            "9 documented encounter(s), 9 claim(s), 8 remittance(s): 8 claim(s) matched by \
             claim id, 0 by patient and date of service; 1 encounter(s) never billed, 1 claim(s) with no documentation, \
             1 claim(s) with no remittance, 1 remittance(s) with no claim"
        );
    }
}
