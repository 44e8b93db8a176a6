//! The billing side of `handoff generate --billing`: each synthetic patient's visit as the EMR exports it (FHIR
//! NDJSON), the claim the PM built from it (837P) and the simulated payer's answer (835), with billing defects planted
//! at a rate and each listed as `handoff reconcile` must report it. Visit `i` depends only on (seed, rate, `i`).

use std::io::Write;

use serde_json::{Value, json};

use super::super::plant::{Discrepancy, Planter};
use crate::connect::fhir::resources::{coverage_to_fhir, documentation_bundle};
use crate::diff::FindingKind;
use crate::mock::{PayerDesk, build_claim, claim_interchange};
use crate::model::{Claim, Coverage, Date, DateTime, Diagnosis, Encounter, Patient, Relationship, ServiceLine};
use crate::scenario::Payer;
use crate::synth::{Draw, SyntheticPatients};

/// The documentation exports, one resource type each, in the order they are written.
pub const DOCUMENTATION_FILES: [&str; 5] =
    ["Encounter.ndjson", "Condition.ndjson", "Procedure.ndjson", "ChargeItem.ndjson", "Coverage.ndjson"];
pub const CLAIMS_FILE: &str = "claims.837";
pub const REMITS_FILE: &str = "remits.835";

/// The service the generated payer does not cover (specimen handling), and what it answers for it.
pub const UNCOVERED_CODE: &str = "99000";
pub const UNCOVERED_CARC: &str = "CO-96";
/// Every generated visit is rendered by this clinician (a valid NPI).
const RENDERING_NPI: &str = "1234567893";

/// The billing defects `generate` plants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingDefect {
    /// The claim leaves off the last diagnosis, one no service line points at.
    DropDiagnosis,
    /// The claim leaves off a modifier other than 25 (a 25 dropped is a denial too, which this keeps apart).
    DropModifier,
    /// The claim bills one more unit of a service than was documented.
    ChangeUnits,
    /// The claim bills the visit one E/M level higher than documented.
    SwapCode,
    /// The PM never billed the visit.
    NeverBilled,
    /// A service the payer does not cover is documented and billed faithfully, and denied.
    UncoveredService,
    /// The claim carries the PM's own number rather than the encounter id, so only patient and date tie it to the
    /// visit: no finding, a harder match.
    PmClaimNumber,
}

impl BillingDefect {
    pub const ALL: [BillingDefect; 7] = [
        BillingDefect::DropDiagnosis,
        BillingDefect::DropModifier,
        BillingDefect::ChangeUnits,
        BillingDefect::SwapCode,
        BillingDefect::NeverBilled,
        BillingDefect::UncoveredService,
        BillingDefect::PmClaimNumber,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BillingDefect::DropDiagnosis => "drop_diagnosis",
            BillingDefect::DropModifier => "drop_modifier",
            BillingDefect::ChangeUnits => "change_units",
            BillingDefect::SwapCode => "swap_code",
            BillingDefect::NeverBilled => "never_billed",
            BillingDefect::UncoveredService => "uncovered_service",
            BillingDefect::PmClaimNumber => "pm_claim_number",
        }
    }
}

/// The payer every generated claim is sent to: the simulator's default payer, which does not cover
/// [`UNCOVERED_CODE`].
pub fn payer() -> Payer {
    let yaml = format!("deny: [{{ code: \"{UNCOVERED_CODE}\", carc: {UNCOVERED_CARC} }}]");
    serde_saphyr::from_str(&yaml).unwrap_or_default()
}

pub struct BillingPlanter<'a> {
    pub patients: &'a SyntheticPatients,
    /// Visits with a billing defect, per million.
    pub per_million: u64,
    /// Which defects to plant (none for `--defects none`).
    pub defects: &'a [BillingDefect],
}

/// One visit as each export holds it.
pub struct PlantedVisit {
    /// NDJSON lines for each of [`DOCUMENTATION_FILES`].
    pub documentation: [Vec<String>; 5],
    /// The patient, their coverage and the claim the PM sends; none when the visit was never billed.
    pub claim: Option<(Patient, Coverage, Claim)>,
    pub truth: Vec<Discrepancy>,
}

/// A generated visit's date of service: spread over March to August 2026, inside the FY2026 code set.
fn date_of_service(index: u64) -> Date {
    let first = jiff::civil::date(2026, 3, 2);
    Date(first.checked_add(jiff::Span::new().days((index % 180) as i64)).unwrap_or(first))
}

pub fn encounter_id(index: u64) -> String {
    format!("V{index:08}")
}

impl BillingPlanter<'_> {
    /// Visit `index`, or none for a patient the 837P writer cannot bill (covered as a dependent: it does not build
    /// the 2000C patient loop) or who has no coverage.
    pub fn plant(&self, index: u64) -> Option<PlantedVisit> {
        let generated = self.patients.generate(index);
        let coverage = generated.patient.coverage.clone().filter(|c| c.relationship == Relationship::Self_)?;
        let date = date_of_service(index);
        let line = |code: &str, modifiers: &[String], units: f64, dx: &[u8]| ServiceLine {
            code: code.into(),
            modifiers: modifiers.to_vec(),
            units,
            dx_pointers: dx.to_vec(),
            place_of_service: "11".into(),
            date_of_service: date,
            rendering_npi: RENDERING_NPI.into(),
        };
        let mut encounter = Encounter {
            date_of_service: date,
            place_of_service: "11".into(),
            rendering_npi: RENDERING_NPI.into(),
            diagnoses: generated.visit.diagnoses.iter().map(|code| Diagnosis { code: code.clone() }).collect(),
            service_lines: generated
                .visit
                .services
                .iter()
                .map(|s| line(&s.code, &s.modifiers, s.units, &s.dx))
                .collect(),
        };
        let id = encounter_id(index);
        let mut draw = Draw::new(self.patients.seed(), index, b"billing ");
        let fitting: Vec<BillingDefect> = self.defects.iter().copied().filter(|d| fits(*d, &encounter)).collect();
        let defect = (!fitting.is_empty() && draw.below(1_000_000) < self.per_million).then(|| *draw.pick(&fitting));
        if defect == Some(BillingDefect::UncoveredService) {
            encounter.service_lines.push(line(UNCOVERED_CODE, &[], 1.0, &[1]));
        }
        let documentation = documentation(&encounter, &id, &Planter::emr_id(index), &coverage);
        let codes: Vec<String> = encounter.diagnoses.iter().map(|d| d.code.clone()).collect();
        let claim_id = if defect == Some(BillingDefect::PmClaimNumber) { format!("C{index:08}") } else { id.clone() };
        let mut claim = build_claim(&claim_id, &codes, &encounter.charges(), Some(&coverage));
        let mut truth = Vec::new();
        let mut planted = |record: &str, field: String, kind: FindingKind, emr: Option<String>, pm: Option<String>| {
            let defect = defect.map(BillingDefect::name).unwrap_or_default().to_string();
            truth.push(Discrepancy { patient: id.clone(), record: record.into(), field, kind, emr, pm, defect });
        };
        match defect {
            Some(BillingDefect::NeverBilled) => {
                planted("claim", String::new(), FindingKind::MissingRecord, None, None);
                return Some(PlantedVisit { documentation, claim: None, truth });
            }
            Some(BillingDefect::DropDiagnosis) => {
                let dropped = claim.diagnoses.pop().unwrap_or_default();
                let field = format!("diagnosis[{}]", claim.diagnoses.len() + 1);
                planted("claim", field, FindingKind::Dropped, Some(dropped), None);
            }
            Some(BillingDefect::DropModifier) => {
                if let Some((n, k)) = droppable_modifier(&claim) {
                    let modifier = claim.lines[n].modifiers.remove(k);
                    let field = format!("line[{}].modifier[{}]", n + 1, k + 1);
                    planted("claim", field, FindingKind::Dropped, Some(modifier), None);
                }
            }
            Some(BillingDefect::ChangeUnits) => {
                let last = claim.lines.len() - 1;
                let billed = &mut claim.lines[last];
                let documented = billed.units;
                billed.units += 1.0;
                billed.charge = crate::mock::FEE_PER_UNIT * billed.units;
                let field = format!("line[{}].units", last + 1);
                planted(
                    "claim",
                    field,
                    FindingKind::Changed,
                    Some(documented.to_string()),
                    Some(billed.units.to_string()),
                );
                claim.total_charge = claim.lines.iter().map(|l| l.charge).sum();
            }
            Some(BillingDefect::SwapCode) => {
                let documented = claim.lines[0].code.clone();
                if let Some(higher) = one_level_up(&documented) {
                    claim.lines[0].code = higher.clone();
                    planted("claim", "line[1].code".into(), FindingKind::Changed, Some(documented), Some(higher));
                }
            }
            Some(BillingDefect::UncoveredService) => {
                let field = format!("line[{}]", claim.lines.len());
                planted(
                    "remittance",
                    field,
                    FindingKind::Denied,
                    Some("paid".into()),
                    Some(format!("denied {UNCOVERED_CARC}")),
                );
            }
            Some(BillingDefect::PmClaimNumber) | None => {}
        }
        Some(PlantedVisit { documentation, claim: Some((generated.patient, coverage, claim)), truth })
    }
}

/// Whether the visit gives the defect something to act on.
fn fits(defect: BillingDefect, encounter: &Encounter) -> bool {
    let lines = &encounter.service_lines;
    let pointed = |n: usize| lines.iter().any(|l| l.dx_pointers.contains(&(n as u8)));
    match defect {
        BillingDefect::DropDiagnosis => encounter.diagnoses.len() >= 2 && !pointed(encounter.diagnoses.len()),
        BillingDefect::DropModifier => lines.iter().any(|l| l.modifiers.iter().any(|m| m != "25")),
        BillingDefect::SwapCode => lines.first().is_some_and(|l| one_level_up(&l.code).is_some()),
        _ => true,
    }
}

/// The first modifier other than 25 on the claim: (line, position).
fn droppable_modifier(claim: &Claim) -> Option<(usize, usize)> {
    claim.lines.iter().enumerate().find_map(|(n, l)| l.modifiers.iter().position(|m| m != "25").map(|k| (n, k)))
}

/// The office E/M one level up, for levels that have one (99202–99204, 99212–99214).
fn one_level_up(code: &str) -> Option<String> {
    let n: u32 = code.parse().ok()?;
    matches!(n, 99202..=99204 | 99212..=99214).then(|| (n + 1).to_string())
}

/// The visit as the EMR's bulk export writes it: the live run's own FHIR documentation, each resource given an id and
/// its references made `Type/id`, plus the patient's Coverage.
fn documentation(encounter: &Encounter, id: &str, patient: &str, coverage: &Coverage) -> [Vec<String>; 5] {
    let bundle = documentation_bundle(encounter, patient);
    let entries: Vec<&Value> = bundle["entry"].as_array().map(|e| e.iter().collect()).unwrap_or_default();
    // Each urn:uuid the bundle uses, and the Type/id it becomes.
    let ids: Vec<(String, String, String)> = entries
        .iter()
        .filter_map(|e| {
            let url = e["fullUrl"].as_str()?;
            let kind = e["resource"]["resourceType"].as_str()?;
            let own = match url.rsplit_once('-') {
                Some((_, n)) if url != "urn:uuid:encounter" => format!("{id}-{}{n}", &kind[..2].to_lowercase()),
                _ => id.to_string(),
            };
            Some((format!("\"{url}\""), format!("\"{kind}/{own}\""), own))
        })
        .collect();
    let mut files: [Vec<String>; 5] = Default::default();
    for (entry, (_, _, own)) in entries.iter().zip(&ids) {
        let mut resource = entry["resource"].clone();
        resource["id"] = json!(own);
        let mut text = resource.to_string();
        for (url, reference, _) in &ids {
            text = text.replace(url, reference);
        }
        let slot = match resource["resourceType"].as_str() {
            Some("Encounter") => 0,
            Some("Condition") => 1,
            Some("Procedure") => 2,
            _ => 3,
        };
        files[slot].push(text);
    }
    let mut coverage = coverage_to_fhir(coverage, patient, 1);
    coverage["id"] = json!(format!("{patient}-coverage"));
    files[4].push(coverage.to_string());
    files
}

/// Where each billing export goes.
pub struct BillingWriters<'a> {
    pub documentation: [&'a mut dyn Write; 5],
    pub claims: &'a mut dyn Write,
    pub remits: &'a mut dyn Write,
}

/// The day the generated claims are sent and answered.
fn sent_on() -> DateTime {
    DateTime(jiff::civil::date(2026, 9, 15).at(10, 0, 0, 0))
}

/// Writes visits `0..patients` to the billing exports, each claim sent to the generated payer and its answer written
/// as the 835; returns the discrepancies planted. A claim the writer or the payer refuses is an error.
pub fn write_billing(
    planter: &BillingPlanter<'_>,
    patients: u64,
    out: BillingWriters<'_>,
) -> std::io::Result<Vec<Discrepancy>> {
    let desk = PayerDesk::new(payer(), None);
    let mut truth = Vec::new();
    let BillingWriters { mut documentation, claims, remits } = out;
    for index in 0..patients {
        let Some(visit) = planter.plant(index) else { continue };
        for (lines, file) in visit.documentation.iter().zip(documentation.iter_mut()) {
            for line in lines {
                writeln!(file, "{line}")?;
            }
        }
        truth.extend(visit.truth);
        let Some((patient, coverage, claim)) = visit.claim else { continue };
        let control = u32::try_from(index + 1).map_err(std::io::Error::other)?;
        let sent =
            claim_interchange(patient, Some(coverage), &claim, crate::mock::DEFAULT_PAYER_ID, control, sent_on())
                .map_err(std::io::Error::other)?;
        let answers = desk.answer_at(&sent, sent_on()).map_err(std::io::Error::other)?;
        let paid = answers.remittance_835.ok_or_else(|| {
            std::io::Error::other(format!("the generated payer rejected claim {}: {}", claim.id, answers.ack_999))
        })?;
        writeln!(claims, "{sent}")?;
        writeln!(remits, "{paid}")?;
    }
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_payer_denies_the_uncovered_service_and_nothing_else() {
        let payer = payer();
        let denials: Vec<_> = payer.deny.iter().map(|d| (d.code.as_str(), d.carc.as_str(), d.rate)).collect();
        assert_eq!(denials, [(UNCOVERED_CODE, UNCOVERED_CARC, 1.0)]);
        assert_eq!(payer.default_pct_of_charge, 80.0);
    }

    #[test]
    fn only_office_visits_below_the_top_level_go_one_level_up() {
        assert_eq!(one_level_up("99213").as_deref(), Some("99214"));
        assert_eq!(one_level_up("99204").as_deref(), Some("99205"));
        assert_eq!(one_level_up("99215"), None);
        assert_eq!(one_level_up("99395"), None);
        assert_eq!(one_level_up("G0439"), None);
    }

    #[test]
    fn each_visit_is_its_own_function_of_the_seed_and_index() {
        let codes = crate::synth::IcdCodeSet::embedded().unwrap();
        let patients = SyntheticPatients::new(3, &codes).unwrap();
        let planter = BillingPlanter { patients: &patients, per_million: 500_000, defects: &BillingDefect::ALL };
        let visits: Vec<_> = (0..60).filter_map(|i| planter.plant(i).map(|v| (i, v))).collect();
        assert!(visits.len() > 30, "most generated patients are their own subscribers: {}", visits.len());
        for (i, visit) in &visits {
            let again = planter.plant(*i).unwrap();
            assert_eq!(again.documentation, visit.documentation);
            assert_eq!(again.truth, visit.truth);
            // Every resource refers to the visit's own ids, never to a bundle's urn:uuid.
            assert!(visit.documentation.iter().flatten().all(|line| !line.contains("urn:uuid")));
            for d in &visit.truth {
                assert_eq!(d.patient, encounter_id(*i));
            }
        }
        assert!(visits.iter().any(|(_, v)| v.claim.is_none()), "some visit is never billed");
    }
}
