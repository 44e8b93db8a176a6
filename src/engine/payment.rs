//! Judging the payer's answer: each documented service traced to what the payer paid for it, and every denial,
//! reduction or rejection made a finding that sets the scrubber's prediction beside the payer's decision and names
//! what the handoff changed on the way. No I/O: the flow reads, this decides.

use serde_json::json;

use super::outcome::Tallies;
use crate::diff::{Category, Denial, Finding, FindingKind, Hop, RuleEvidence, ServiceOutcome};
use crate::model::{ClaimDecision, Remittance};

/// A rule break the scrubber reported: the 1-based claim line it was on (`None` for the claim as a whole).
pub type Prediction = (Option<usize>, RuleEvidence);

fn cents(dollars: f64) -> u64 {
    // Money on one claim: far inside a u64 of cents; a negative amount is nothing paid.
    (dollars * 100.0).round().max(0.0) as u64
}

fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn predicted_text(p: Option<&RuleEvidence>) -> String {
    match p {
        Some(p) => format!("predicted {} by {}", p.carc, p.id),
        None => "not predicted".into(),
    }
}

/// `template` carries the scenario, step, action and system; `handoff` are the flow's findings so far, from which a
/// line's changes on the way to the claim are named.
pub fn judge(
    remittance: &Remittance,
    outcomes: &[ServiceOutcome<'_>],
    predicted: &[Prediction],
    handoff: &[Finding],
    template: &Finding,
) -> (Vec<Finding>, Tallies) {
    if remittance.status == ClaimDecision::NotSubmitted {
        // The simulator's limit, not the target's: reported, counted in no score.
        let why = remittance.rejection.clone().unwrap_or_default();
        let mut f = Finding {
            category: Category::Payment,
            kind: FindingKind::NotSupported,
            record: "remittance".into(),
            actual: json!(format!("not submitted: {why}")),
            hop: Some(Hop::Remittance.as_str().into()),
            counts: false,
            ..template.clone()
        };
        f.message = format!("the claim was not sent, so it has no remittance: {why}");
        return (vec![f], Tallies::default());
    }
    let mut tallies = Tallies {
        claims_remitted: 1,
        charged_cents: cents(remittance.charged),
        paid_cents: cents(remittance.paid),
        ..Tallies::default()
    };
    let finding = |kind: FindingKind, field: String, expected: String, actual: String, denial: Denial| Finding {
        category: Category::Payment,
        kind,
        record: "remittance".into(),
        field,
        expected: json!(expected),
        actual: json!(actual),
        hop: Some(Hop::Remittance.as_str().into()),
        counts: kind != FindingKind::NotDenied,
        denial: Some(denial),
        ..template.clone()
    };
    if remittance.status == ClaimDecision::Rejected {
        let why = remittance.rejection.clone().unwrap_or_default();
        // A rejection is about the claim as a whole: any prediction on it counts, a claim-level one first.
        let prediction =
            predicted.iter().find(|(line, _)| line.is_none()).or(predicted.first()).map(|(_, p)| p.clone());
        let expected = match &prediction {
            Some(p) => format!("rejected, {}", predicted_text(Some(p))),
            None => "accepted".into(),
        };
        let mut f = finding(
            FindingKind::Rejected,
            String::new(),
            expected,
            format!("rejected: {why}"),
            Denial { carc: why.clone(), amount: remittance.charged, predicted: prediction.clone() },
        );
        f.message = format!(
            "the payer turned the claim away before adjudication ({why}); {}",
            predicted_text(prediction.as_ref())
        );
        return (vec![f], tallies);
    }
    let mut findings = Vec::new();
    let mut clean = true;
    for outcome in outcomes {
        // A service that never reached the claim was reported by expect_claim; the payer cannot have paid it.
        let Some(claim_line) = outcome.claim_line else { continue };
        let field = format!("line[{}]", outcome.line);
        let prediction = predicted.iter().find(|(line, _)| *line == Some(claim_line)).map(|(_, p)| p.clone());
        let expected = match &prediction {
            Some(p) => format!("denied {} ({})", p.carc, p.id),
            None => "paid".into(),
        };
        let changed: Vec<String> = handoff
            .iter()
            .filter(|f| f.category == Category::Handoff && f.field.starts_with(&format!("{field}.")))
            .map(|f| {
                let at = f.hop.as_deref().unwrap_or("the claim");
                if f.actual.is_null() {
                    format!("{} {} dropped at {at}", f.field, shown(&f.expected))
                } else {
                    format!("{} {} became {} at {at}", f.field, shown(&f.expected), shown(&f.actual))
                }
            })
            .collect();
        let on_the_way = if changed.is_empty() {
            String::new()
        } else {
            format!("; on the way from the chart: {}", changed.join(", "))
        };
        let Some(paid) = outcome.adjudication else {
            clean = false;
            let mut f = finding(
                FindingKind::MissingRecord,
                field,
                expected,
                "not in the remittance".into(),
                Denial { carc: String::new(), amount: 0.0, predicted: prediction },
            );
            f.message =
                format!("line {} ({}) is on the claim but not in the payer's remittance", outcome.line, outcome.code);
            findings.push(f);
            continue;
        };
        tallies.lines_adjudicated += 1;
        let unexpected: Vec<_> = paid.unexpected().collect();
        let carcs: Vec<String> = unexpected.iter().map(|a| a.carc()).collect();
        let lost: f64 = unexpected.iter().map(|a| a.amount).sum();
        let denial = Denial { carc: carcs.join(", "), amount: lost, predicted: prediction.clone() };
        let (kind, actual, message) = if paid.denied() {
            tallies.lines_denied += 1;
            tallies.denials_predicted += usize::from(prediction.is_some());
            let actual = format!("denied {}", carcs.join(", "));
            let message = format!(
                "line {} ({}) was denied {}, ${:.2} not paid: {}{on_the_way}",
                outcome.line,
                outcome.code,
                carcs.join(", "),
                lost,
                predicted_text(prediction.as_ref())
            );
            (FindingKind::Denied, actual, message)
        } else if !unexpected.is_empty() {
            let actual = format!("reduced {} by ${lost:.2}", carcs.join(", "));
            let message = format!(
                "line {} ({}) was paid ${:.2} after {} took ${lost:.2}: {}{on_the_way}",
                outcome.line,
                outcome.code,
                paid.paid,
                carcs.join(", "),
                predicted_text(prediction.as_ref())
            );
            (FindingKind::Reduced, actual, message)
        } else if let Some(p) = &prediction {
            let message = format!(
                "line {} ({}) was predicted to be denied {} by {}, but the payer paid ${:.2}",
                outcome.line, outcome.code, p.carc, p.id, paid.paid
            );
            (FindingKind::NotDenied, format!("paid ${:.2}", paid.paid), message)
        } else {
            continue;
        };
        clean &= kind == FindingKind::NotDenied;
        let mut f = finding(kind, field, expected, actual, denial);
        f.message = message;
        findings.push(f);
    }
    tallies.claims_paid_first_pass = usize::from(clean);
    (findings, tallies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Adjudication, Adjustment, Role};

    fn template() -> Finding {
        Finding::new(
            Category::System,
            FindingKind::Configuration,
            "visit".into(),
            11,
            "expect_remittance",
            "",
            "",
            Role::Pm,
        )
    }

    fn line(code: &str, paid: f64, adjustments: &[(&str, &str, f64)]) -> Adjudication {
        Adjudication {
            code: code.into(),
            modifiers: vec![],
            units: 1.0,
            charged: 100.0,
            allowed: paid,
            paid,
            adjustments: adjustments
                .iter()
                .map(|(g, r, a)| Adjustment { group: g.to_string(), reason: r.to_string(), amount: *a })
                .collect(),
        }
    }

    fn remittance(lines: Vec<Adjudication>) -> Remittance {
        Remittance {
            claim_id: "p1".into(),
            payer_claim_id: "1".into(),
            status: ClaimDecision::Paid,
            rejection: None,
            charged: lines.iter().map(|l| l.charged).sum(),
            paid: lines.iter().map(|l| l.paid).sum(),
            patient_responsibility: 0.0,
            lines,
        }
    }

    fn evidence(id: &str, carc: &str) -> RuleEvidence {
        RuleEvidence { id: id.into(), carc: carc.into(), charge_at_risk: 100.0 }
    }

    #[test]
    fn denials_are_set_beside_their_prediction_and_the_handoff_change() {
        let r = remittance(vec![
            line("99204", 0.0, &[("CO", "97", 100.0)]),
            line("20610", 80.0, &[("CO", "45", 20.0)]),
            line("97110", 0.0, &[("CO", "50", 100.0)]),
            line("99213", 80.0, &[("CO", "45", 20.0)]),
        ]);
        let outcomes: Vec<ServiceOutcome> = ["99204", "20610", "97110", "99213"]
            .iter()
            .enumerate()
            .map(|(i, code)| ServiceOutcome {
                line: i + 1,
                code: code.to_string(),
                claim_line: Some(i + 1),
                adjudication: Some(&r.lines[i]),
            })
            .collect();
        let predicted =
            vec![(Some(1), evidence("ncci.ptp", "CO-97")), (Some(4), evidence("modifier.25_no_procedure", "CO-4"))];
        let dropped = Finding {
            category: Category::Handoff,
            kind: FindingKind::Dropped,
            field: "line[1].modifier[1]".into(),
            expected: json!("25"),
            hop: Some("pm.charge".into()),
            ..template()
        };
        let (findings, tallies) = judge(&r, &outcomes, &predicted, &[dropped], &template());
        let seen: Vec<_> = findings
            .iter()
            .map(|f| (f.kind, f.field.as_str(), f.expected.clone(), f.actual.clone(), f.counts))
            .collect();
        assert_eq!(
            seen,
            [
                (FindingKind::Denied, "line[1]", json!("denied CO-97 (ncci.ptp)"), json!("denied CO-97"), true),
                (FindingKind::Denied, "line[3]", json!("paid"), json!("denied CO-50"), true),
                (
                    FindingKind::NotDenied,
                    "line[4]",
                    json!("denied CO-4 (modifier.25_no_procedure)"),
                    json!("paid $80.00"),
                    false
                ),
            ]
        );
        assert_eq!(
            findings[0].message,
            "line 1 (99204) was denied CO-97, $100.00 not paid: predicted CO-97 by ncci.ptp; on the way from the chart: \
             line[1].modifier[1] `25` dropped at pm.charge"
        );
        assert_eq!(findings[1].message, "line 3 (97110) was denied CO-50, $100.00 not paid: not predicted");
        assert_eq!(findings[1].denial.as_ref().map(|d| (d.carc.as_str(), d.amount)), Some(("CO-50", 100.0)));
        assert_eq!((tallies.lines_adjudicated, tallies.lines_denied, tallies.denials_predicted), (4, 2, 1));
        assert_eq!((tallies.claims_remitted, tallies.claims_paid_first_pass), (1, 0));
        assert_eq!((tallies.charged_cents, tallies.paid_cents), (40_000, 16_000));
    }

    #[test]
    fn a_claim_paid_as_contracted_is_a_first_pass_payment_with_no_finding() {
        let r = remittance(vec![line("99213", 64.0, &[("CO", "45", 20.0), ("PR", "2", 16.0)])]);
        let outcomes =
            [ServiceOutcome { line: 1, code: "99213".into(), claim_line: Some(1), adjudication: Some(&r.lines[0]) }];
        let (findings, tallies) = judge(&r, &outcomes, &[], &[], &template());
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(tallies.claims_paid_first_pass, 1);
    }

    #[test]
    fn a_claim_the_simulator_could_not_send_counts_against_nothing() {
        let mut r = remittance(vec![]);
        r.status = ClaimDecision::NotSubmitted;
        r.rejection = Some("a dependent".into());
        let (findings, tallies) = judge(&r, &[], &[], &[], &template());
        assert_eq!((findings[0].kind, findings[0].counts), (FindingKind::NotSupported, false));
        assert_eq!(tallies, Tallies::default());
    }

    #[test]
    fn a_rejected_claim_is_one_finding_with_its_front_door_status() {
        let mut r = remittance(vec![]);
        r.status = ClaimDecision::Rejected;
        r.rejection = Some("277CA A7:21".into());
        r.charged = 240.0;
        let predicted = vec![(None, evidence("claim.total_mismatch", "CO-16"))];
        let (findings, tallies) = judge(&r, &[], &predicted, &[], &template());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::Rejected);
        assert_eq!(findings[0].expected, json!("rejected, predicted CO-16 by claim.total_mismatch"));
        assert_eq!(findings[0].actual, json!("rejected: 277CA A7:21"));
        assert_eq!(tallies.claims_paid_first_pass, 0);
    }
}
