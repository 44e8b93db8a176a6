//! The lineage of each documented billing element: its value at every hop from the chart to the claim, and the first hop where it changed.

use serde_json::{Value, json};

use crate::model::{Charge, Claim, Coverage, Encounter};

/// A place on the way from documentation to claim where an element can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// The visit as the EMR holds it after signing.
    EmrDocumentation,
    /// The encounter's diagnoses as the PM received them.
    PmEncounter,
    /// The charges as the PM received them.
    PmCharge,
    /// The claim the PM built.
    Claim,
    /// The payer's answer: the 835's SVC and CAS, as the PM holds them.
    Remittance,
}

impl Hop {
    pub fn as_str(self) -> &'static str {
        match self {
            Hop::EmrDocumentation => "emr.documentation",
            Hop::PmEncounter => "pm.encounter",
            Hop::PmCharge => "pm.charge",
            Hop::Claim => "pm.claim",
            Hop::Remittance => "payer.835",
        }
    }

    pub fn role(self) -> crate::model::Role {
        match self {
            Hop::EmrDocumentation => crate::model::Role::Emr,
            _ => crate::model::Role::Pm,
        }
    }
}

/// What each hop holds; a hop that could not be read is `None` and is skipped.
#[derive(Debug, Clone, Copy, Default)]
pub struct HopRecords<'a> {
    pub emr: Option<&'a Encounter>,
    pub pm_encounter: Option<&'a Encounter>,
    pub charges: Option<&'a [Charge]>,
    pub claim: Option<&'a Claim>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ElementTrace {
    /// `line[1].modifier[2]`, `diagnosis[5]`, `member_id`, ...
    pub field: String,
    pub documented: Value,
    pub values: Vec<(Hop, Value)>,
    /// The first hop whose value differs from what was documented, and that value.
    pub first_change: Option<(Hop, Value)>,
    /// Whether the claim carries the documented value exactly.
    pub reached_claim: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lineage {
    pub elements: Vec<ElementTrace>,
    /// Values on the claim that nothing documented: (field, value).
    pub added: Vec<(String, Value)>,
}

impl Lineage {
    pub fn exact(&self) -> usize {
        self.elements.iter().filter(|e| e.reached_claim).count()
    }
}

/// A service line as any hop holds it, diagnoses resolved from pointers to codes.
#[derive(Debug, Clone)]
struct LineView {
    code: String,
    modifiers: Vec<String>,
    units: f64,
    diagnoses: Vec<String>,
    place_of_service: String,
    date_of_service: String,
    rendering_npi: String,
}

fn encounter_lines(encounter: &Encounter) -> Vec<LineView> {
    encounter
        .service_lines
        .iter()
        .map(|l| LineView {
            code: l.code.clone(),
            modifiers: l.modifiers.clone(),
            units: l.units,
            diagnoses: encounter.line_diagnoses(l),
            place_of_service: l.place_of_service.clone(),
            date_of_service: l.date_of_service.to_string(),
            rendering_npi: l.rendering_npi.clone(),
        })
        .collect()
}

fn charge_lines(charges: &[Charge]) -> Vec<LineView> {
    charges
        .iter()
        .map(|c| LineView {
            code: c.code.clone(),
            modifiers: c.modifiers.clone(),
            units: c.units,
            diagnoses: c.diagnoses.clone(),
            place_of_service: c.place_of_service.clone(),
            date_of_service: c.date_of_service.to_string(),
            rendering_npi: c.rendering_npi.clone(),
        })
        .collect()
}

fn claim_lines(claim: &Claim) -> Vec<LineView> {
    claim
        .lines
        .iter()
        .map(|l| LineView {
            code: l.code.clone(),
            modifiers: l.modifiers.clone(),
            units: l.units,
            diagnoses: claim.line_diagnoses(l),
            place_of_service: l.place_of_service.clone(),
            date_of_service: l.date_of_service.to_string(),
            rendering_npi: l.rendering_npi.clone(),
        })
        .collect()
}

/// A hop's lines, and for each documented line the index of the line that carries it.
type MatchedHop<'a> = (Hop, &'a Vec<LineView>, Vec<Option<usize>>);

/// For each documented line, the index of the line at a hop that carries it: same code first, then by position.
fn match_lines(documented: &[LineView], held: &[LineView]) -> Vec<Option<usize>> {
    let codes = |lines: &[LineView]| lines.iter().map(|l| l.code.clone()).collect::<Vec<_>>();
    match_codes(&codes(documented), &codes(held))
}

/// For each wanted code, the index of the held code that answers it: the same code first, then by position.
pub(super) fn match_codes(documented: &[String], held: &[String]) -> Vec<Option<usize>> {
    let mut used = vec![false; held.len()];
    let mut matched: Vec<Option<usize>> = documented
        .iter()
        .map(|d| {
            let i = (0..held.len()).find(|&i| !used[i] && held[i] == *d)?;
            used[i] = true;
            Some(i)
        })
        .collect();
    for slot in matched.iter_mut().filter(|m| m.is_none()) {
        if let Some(i) = (0..held.len()).find(|&i| !used[i]) {
            used[i] = true;
            *slot = Some(i);
        }
    }
    matched
}

/// The billing elements DESIGN §6 names, each traced through the hops that were read.
pub fn trace(documented: &Encounter, coverage: Option<&Coverage>, hops: HopRecords<'_>) -> Lineage {
    let doc_lines = encounter_lines(documented);
    let line_hops: Vec<(Hop, Vec<LineView>)> = [
        hops.emr.map(|e| (Hop::EmrDocumentation, encounter_lines(e))),
        hops.charges.map(|c| (Hop::PmCharge, charge_lines(c))),
        hops.claim.map(|c| (Hop::Claim, claim_lines(c))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let matches: Vec<MatchedHop<'_>> =
        line_hops.iter().map(|(hop, lines)| (*hop, lines, match_lines(&doc_lines, lines))).collect();

    let mut lineage = Lineage::default();
    let mut push = |field: String, documented: Value, values: Vec<(Hop, Value)>, has_claim: bool| {
        let first_change = values.iter().find(|(_, v)| *v != documented).cloned();
        let reached_claim = has_claim && values.iter().any(|(h, v)| *h == Hop::Claim && *v == documented);
        lineage.elements.push(ElementTrace { field, documented, values, first_change, reached_claim });
    };
    let has_claim = hops.claim.is_some();

    for (i, doc) in doc_lines.iter().enumerate() {
        let n = i + 1;
        let at = |pick: &dyn Fn(&LineView) -> Value| -> Vec<(Hop, Value)> {
            matches.iter().map(|(hop, lines, m)| (*hop, m[i].map(|j| pick(&lines[j])).unwrap_or(Value::Null))).collect()
        };
        push(format!("line[{n}].code"), json!(doc.code), at(&|l| json!(l.code)), has_claim);
        for (k, modifier) in doc.modifiers.iter().enumerate() {
            let values = at(&|l| if l.modifiers.contains(modifier) { json!(modifier) } else { Value::Null });
            push(format!("line[{n}].modifier[{}]", k + 1), json!(modifier), values, has_claim);
        }
        push(format!("line[{n}].units"), json!(doc.units), at(&|l| json!(l.units)), has_claim);
        for (k, dx) in doc.diagnoses.iter().enumerate() {
            let values = at(&|l| l.diagnoses.get(k).map(|d| json!(d)).unwrap_or(Value::Null));
            push(format!("line[{n}].dx[{}]", k + 1), json!(dx), values, has_claim);
        }
        push(
            format!("line[{n}].place_of_service"),
            json!(doc.place_of_service),
            at(&|l| json!(l.place_of_service)),
            has_claim,
        );
        push(
            format!("line[{n}].date_of_service"),
            json!(doc.date_of_service),
            at(&|l| json!(l.date_of_service)),
            has_claim,
        );
        push(format!("line[{n}].rendering_npi"), json!(doc.rendering_npi), at(&|l| json!(l.rendering_npi)), has_claim);
    }

    let dx_hops: Vec<(Hop, Vec<String>)> = [
        hops.emr.map(|e| (Hop::EmrDocumentation, e.diagnoses.iter().map(|d| d.code.clone()).collect())),
        hops.pm_encounter.map(|e| (Hop::PmEncounter, e.diagnoses.iter().map(|d| d.code.clone()).collect())),
        hops.claim.map(|c| (Hop::Claim, c.diagnoses.clone())),
    ]
    .into_iter()
    .flatten()
    .collect();
    for (k, dx) in documented.diagnoses.iter().enumerate() {
        let values =
            dx_hops.iter().map(|(hop, list)| (*hop, list.get(k).map(|d| json!(d)).unwrap_or(Value::Null))).collect();
        push(format!("diagnosis[{}]", k + 1), json!(dx.code), values, has_claim);
    }
    if let Some(coverage) = coverage {
        let claim_value = |pick: &dyn Fn(&Claim) -> &str| -> Vec<(Hop, Value)> {
            hops.claim.map(|c| vec![(Hop::Claim, json!(pick(c)))]).unwrap_or_default()
        };
        push("member_id".into(), json!(coverage.member_id), claim_value(&|c| &c.member_id), has_claim);
        push("payer".into(), json!(coverage.payer), claim_value(&|c| &c.payer), has_claim);
    }

    if let Some(claim) = hops.claim {
        let held = claim_lines(claim);
        let m = match_lines(&doc_lines, &held);
        for (j, line) in held.iter().enumerate() {
            match m.iter().position(|x| *x == Some(j)) {
                None => lineage.added.push((format!("line[{}]", j + 1), json!(line.code))),
                Some(i) => {
                    for extra in line.modifiers.iter().filter(|x| !doc_lines[i].modifiers.contains(x)) {
                        lineage.added.push((format!("line[{}].modifier", i + 1), json!(extra)));
                    }
                }
            }
        }
        for (k, dx) in claim.diagnoses.iter().enumerate().skip(documented.diagnoses.len()) {
            lineage.added.push((format!("diagnosis[{}]", k + 1), json!(dx)));
        }
    }
    lineage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClaimLine, Diagnosis, ServiceLine};

    fn visit() -> Encounter {
        let line = |code: &str, modifiers: &[&str], dx: &[u8]| ServiceLine {
            code: code.into(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            units: 1.0,
            dx_pointers: dx.to_vec(),
            place_of_service: "11".into(),
            date_of_service: "2026-12-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        };
        Encounter {
            date_of_service: "2026-12-01".parse().unwrap(),
            place_of_service: "11".into(),
            rendering_npi: "1234567893".into(),
            diagnoses: ["M17.11", "E11.65", "I10"].iter().map(|c| Diagnosis { code: c.to_string() }).collect(),
            service_lines: vec![line("99204", &["25", "GC"], &[1, 2, 3]), line("20610", &["RT"], &[1])],
        }
    }

    fn claim_of(encounter: &Encounter) -> Claim {
        Claim {
            id: "c1".into(),
            payer: "medicare".into(),
            member_id: "1EG4TE5MK72".into(),
            diagnoses: encounter.diagnoses.iter().map(|d| d.code.clone()).collect(),
            lines: encounter
                .service_lines
                .iter()
                .map(|l| ClaimLine {
                    code: l.code.clone(),
                    modifiers: l.modifiers.clone(),
                    units: l.units,
                    dx_pointers: l.dx_pointers.clone(),
                    place_of_service: l.place_of_service.clone(),
                    date_of_service: l.date_of_service,
                    rendering_npi: l.rendering_npi.clone(),
                    charge: 100.0,
                })
                .collect(),
            total_charge: 200.0,
        }
    }

    fn coverage() -> Coverage {
        Coverage {
            payer: "medicare".into(),
            member_id: "1EG4TE5MK72".into(),
            relationship: crate::model::Relationship::Self_,
        }
    }

    #[test]
    fn a_faithful_claim_carries_every_element() {
        let doc = visit();
        let claim = claim_of(&doc);
        let lineage =
            trace(&doc, Some(&coverage()), HopRecords { emr: Some(&doc), claim: Some(&claim), ..Default::default() });
        // line 1: code, 2 modifiers, units, 3 dx, pos, dos, npi = 10; line 2: 7; 3 claim dx; member id; payer.
        assert_eq!(lineage.elements.len(), 22);
        assert_eq!(lineage.exact(), 22);
        assert!(lineage.added.is_empty());
    }

    #[test]
    fn a_dropped_modifier_is_traced_to_the_charge() {
        let doc = visit();
        let mut claim = claim_of(&doc);
        claim.lines[0].modifiers.truncate(1);
        let mut charges = vec![Charge {
            code: "99204".into(),
            modifiers: vec!["25".into()],
            units: 1.0,
            diagnoses: vec!["M17.11".into(), "E11.65".into(), "I10".into()],
            place_of_service: "11".into(),
            date_of_service: "2026-12-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        }];
        charges.push(Charge {
            code: "20610".into(),
            modifiers: vec!["RT".into()],
            diagnoses: vec!["M17.11".into()],
            ..charges[0].clone()
        });
        let lineage = trace(
            &doc,
            Some(&coverage()),
            HopRecords { emr: Some(&doc), charges: Some(&charges), claim: Some(&claim), ..Default::default() },
        );
        let missed: Vec<_> = lineage.elements.iter().filter(|e| !e.reached_claim).collect();
        assert_eq!(missed.len(), 1);
        assert_eq!(missed[0].field, "line[1].modifier[2]");
        assert_eq!(missed[0].first_change, Some((Hop::PmCharge, Value::Null)));
    }

    #[test]
    fn lines_are_matched_by_code_before_position() {
        let doc = visit();
        let mut claim = claim_of(&doc);
        claim.lines.reverse();
        let lineage = trace(&doc, None, HopRecords { claim: Some(&claim), ..Default::default() });
        assert_eq!(lineage.exact(), lineage.elements.len());
    }
}
