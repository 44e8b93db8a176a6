//! Judging a claim against the chart and the rules: the lineage of each documented element made findings, and the
//! scrubber's breaks made findings and predictions. No I/O, so a live flow and an offline reconciliation of exports
//! reach the same findings, messages and tallies from the same records.

use serde_json::{Value, json};

use super::outcome::Tallies;
use super::payment::Prediction;
use crate::diff::{Category, Finding, FindingKind, Hop, Lineage, RuleEvidence};
use crate::model::{Claim, Role};
use crate::rules::{ScrubContext, Severity};

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

/// The findings of one traced claim, and the handoff tallies; `claimed` says whether `at` held a claim at all.
/// `template` carries the scenario, step and action.
pub fn lineage_findings(lineage: &Lineage, claimed: bool, at: Role, template: &Finding) -> (Vec<Finding>, Tallies) {
    let tallies =
        Tallies { handoff_elements: lineage.elements.len(), handoff_exact: lineage.exact(), ..Tallies::default() };
    let finding = |kind: FindingKind, field: &str, system: Role| Finding {
        category: Category::Handoff,
        kind,
        record: "claim".into(),
        field: field.into(),
        system,
        counts: true,
        ..template.clone()
    };
    if !claimed {
        let mut f = finding(FindingKind::MissingRecord, "", at);
        f.message = format!(
            "the {at} holds no claim for this patient, so none of the {} documented elements reached one",
            lineage.elements.len()
        );
        return (vec![f], tallies);
    }
    let mut findings = Vec::new();
    for element in lineage.elements.iter().filter(|e| !e.reached_claim) {
        let Some((hop, value)) = &element.first_change else { continue };
        let kind = if value.is_null() { FindingKind::Dropped } else { FindingKind::Changed };
        let mut f = finding(kind, &element.field, hop.role());
        f.expected = element.documented.clone();
        f.actual = value.clone();
        f.hop = Some(hop.as_str().into());
        f.message = if value.is_null() {
            format!(
                "{} {} was documented but is missing from {}",
                element.field,
                shown(&element.documented),
                hop.as_str()
            )
        } else {
            format!(
                "{} was documented as {} but {} holds {}",
                element.field,
                shown(&element.documented),
                hop.as_str(),
                shown(value)
            )
        };
        findings.push(f);
    }
    for (field, value) in &lineage.added {
        let mut f = finding(FindingKind::Added, field, at);
        f.actual = value.clone();
        f.hop = Some(Hop::Claim.as_str().into());
        f.message = format!("the claim carries {} at {field}, which was not documented", shown(value));
        findings.push(f);
    }
    (findings, tallies)
}

/// What the scrubber said of one claim: its findings, the clean-claim tallies, and the error-severity breaks that
/// predict a denial, for the payer's answer to be held against.
pub struct Scrubbed {
    pub findings: Vec<Finding>,
    pub tallies: Tallies,
    pub predicted: Vec<Prediction>,
}

/// The claim checked against the rules before it would be sent; each break predicts a denial.
pub fn scrub_findings(claim: &Claim, rules: &ScrubContext, at: Role, template: &Finding) -> Scrubbed {
    let breaks = crate::rules::scrub(claim, rules);
    let clean = breaks.iter().all(|b| b.severity != Severity::Error);
    let mut scrubbed = Scrubbed {
        findings: Vec::new(),
        tallies: Tallies { claims_scrubbed: 1, claims_clean: usize::from(clean), ..Tallies::default() },
        predicted: Vec::new(),
    };
    for b in breaks {
        let field = b.line.map(|l| format!("line[{l}]")).unwrap_or_default();
        let mut f = Finding {
            category: Category::Rule,
            kind: FindingKind::RuleBreak,
            record: "claim".into(),
            field,
            system: at,
            counts: b.severity == Severity::Error,
            actual: json!(b.rule.as_str()),
            message: format!("{} ({}): {}", b.rule.as_str(), b.carc, b.message),
            ..template.clone()
        };
        let evidence =
            RuleEvidence { id: b.rule.as_str().into(), carc: b.carc.to_string(), charge_at_risk: b.charge_at_risk };
        if b.severity == Severity::Error {
            scrubbed.predicted.push((b.line, evidence.clone()));
        }
        f.rule = Some(evidence);
        f.hop = Some(Hop::Claim.as_str().into());
        scrubbed.findings.push(f);
    }
    scrubbed
}
