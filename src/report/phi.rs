//! Keeping protected health information out of reports about real systems: patient demographics and member ids
//! are replaced by `[redacted]` unless the user asks to see them.

use aho_corasick::AhoCorasick;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RunReport, TargetKind, TargetReport};

pub const REDACTED: &str = "[redacted]";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhiPolicy {
    /// Patient values in findings about real systems are replaced by `[redacted]`; simulated patients are shown.
    Redacted,
    /// Every value is shown, as the user asked (`--show-phi`).
    Shown,
}

/// Whether a finding's values identify a patient: demographics, identifiers, coverage, the claim's member id.
pub fn is_phi(record: &str, field: &str) -> bool {
    matches!(record, "patient" | "coverage") || field == "member_id"
}

impl RunReport {
    /// Redacts PHI in every finding about a real system; simulator targets hold only synthetic patients.
    pub fn redact_phi(&mut self) {
        self.phi = PhiPolicy::Redacted;
        for target in self.targets.iter_mut().filter(|t| t.kind == TargetKind::Systems) {
            // Every value redacted in a finding is also taken out of any text that quotes it, such as a step's message.
            let quoted = Quoted::new(redact_values(target));
            texts(target).for_each(|text| quoted.redact(text));
        }
    }
}

/// Replaces each patient value in the target's findings by `[redacted]`, and gives back the text ones it took.
fn redact_values(target: &mut TargetReport) -> Vec<String> {
    let mut quoted: Vec<String> = Vec::new();
    for finding in target.findings.iter_mut().filter(|f| is_phi(&f.record, &f.field)) {
        for value in [&mut finding.expected, &mut finding.actual] {
            // A value already redacted (reconcile redacts its own) is not looked for in the texts.
            if let Value::String(text) = value
                && !text.is_empty()
                && text != REDACTED
            {
                quoted.push(std::mem::take(text));
            }
            // One already redacted is left as it is: a reconciliation's are a hundred thousand.
            if value.is_number() || matches!(value, Value::String(text) if text != REDACTED) {
                *value = Value::String(REDACTED.into());
            }
        }
    }
    quoted
}

/// The texts of a target that may quote a finding's values: the findings' messages and the steps'.
fn texts(target: &mut TargetReport) -> impl Iterator<Item = &mut String> {
    let steps = target.flows.iter_mut().flat_map(|f| f.steps.iter_mut()).filter_map(|s| s.message.as_mut());
    target.findings.iter_mut().map(|f| &mut f.message).chain(steps)
}

/// The values redacted in a target's findings, looked for in one pass over each text that may quote them: a run
/// about a health system's exports has tens of thousands of values and as many messages, so replacing each value
/// in each message in turn would take minutes.
enum Quoted {
    Nothing,
    Values(AhoCorasick),
    /// Only values of over 2^31 bytes in all make an automaton too large to build; then every text goes whole.
    TooMany,
}

impl Quoted {
    fn new(mut values: Vec<String>) -> Quoted {
        if values.is_empty() {
            return Quoted::Nothing;
        }
        // A value quoted by many findings once: the automaton reports every pattern that matches, each copy too.
        values.sort_unstable();
        values.dedup();
        AhoCorasick::new(values).map_or(Quoted::TooMany, Quoted::Values)
    }

    /// Replaces each run of quoted values in `text` by `[redacted]`: where two values overlap (a full name and its
    /// cut-off start, or two that share letters), all the letters of both go, in one `[redacted]`.
    fn redact(&self, text: &mut String) {
        let automaton = match self {
            Quoted::Nothing => return,
            Quoted::TooMany => return *text = REDACTED.into(),
            Quoted::Values(automaton) => automaton,
        };
        let mut spans: Vec<(usize, usize)> =
            automaton.find_overlapping_iter(text.as_str()).map(|m| (m.start(), m.end())).collect();
        if spans.is_empty() {
            return;
        }
        spans.sort_unstable();
        let mut redacted = String::with_capacity(text.len());
        let mut kept_from = 0;
        let mut spans = spans.into_iter().peekable();
        while let Some((start, mut end)) = spans.next() {
            while let Some(&(next_start, next_end)) = spans.peek()
                && next_start < end
            {
                end = end.max(next_end);
                spans.next();
            }
            redacted.push_str(&text[kept_from..start]);
            redacted.push_str(REDACTED);
            kept_from = end;
        }
        redacted.push_str(&text[kept_from..]);
        *text = redacted;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::diff::{Category, Finding, FindingKind};
    use crate::model::Role;
    use crate::report::fixtures::two_targets;

    fn truncated(family: &str, held: &str) -> Finding {
        Finding {
            expected: json!(family),
            actual: json!(held),
            message: format!("patient.name.family in the emr is `{held}` where the pm has `{family}` (truncated)"),
            ..Finding::new(
                Category::Sync,
                FindingKind::Truncated,
                "new-patient".into(),
                2,
                "expect_synced",
                "patient",
                "name.family",
                Role::Emr,
            )
        }
    }

    /// The pair of systems in the fixture, with `findings` in place of its own and `said` as its first step's message.
    fn systems_with(findings: Vec<Finding>, said: &str) -> RunReport {
        let mut report = two_targets();
        let systems = &mut report.targets[1];
        assert_eq!(systems.kind, TargetKind::Systems);
        systems.findings = findings;
        systems.flows[0].steps[0].message = Some(said.into());
        report
    }

    /// How redaction was done before one pass per text: each value, longest first, replaced in each text in turn.
    fn one_value_at_a_time(report: &mut RunReport) {
        report.phi = PhiPolicy::Redacted;
        for target in report.targets.iter_mut().filter(|t| t.kind == TargetKind::Systems) {
            let mut quoted = redact_values(target);
            quoted.sort_by_key(|q| std::cmp::Reverse(q.len()));
            texts(target).for_each(|text| quoted.iter().for_each(|q| *text = text.replace(q.as_str(), REDACTED)));
        }
    }

    #[test]
    fn a_thousand_findings_are_redacted_as_one_value_at_a_time_was() {
        // Names cut to eight letters, `Family00`, are also the start of a hundred other patients' names: the
        // longer value goes whole wherever it is quoted.
        let mut findings: Vec<Finding> = (0..1000)
            .map(|i| {
                let family = format!("Family{i:05}");
                truncated(&family, &family[..8])
            })
            .collect();
        let modifier = Finding {
            expected: json!("25"),
            message: "line[1].modifier[1] `25` was documented but is missing from pm.charge".into(),
            ..Finding::new(
                Category::Handoff,
                FindingKind::Dropped,
                "new-patient".into(),
                4,
                "expect_claim",
                "claim",
                "line[1].modifier[1]",
                Role::Pm,
            )
        };
        findings.push(modifier);
        let birth = Finding {
            expected: json!(19580312),
            message: "patient.birth_date is missing from the pm".into(),
            ..Finding::new(
                Category::Sync,
                FindingKind::Dropped,
                "new-patient".into(),
                2,
                "expect_synced",
                "patient",
                "birth_date",
                Role::Pm,
            )
        };
        findings.push(birth);
        let said = "the pm answered 422 for Family00123 and Family00999 (Family009 is not a patient here)";
        let mut report = systems_with(findings, said);
        let mut before = report.clone();

        report.redact_phi();
        one_value_at_a_time(&mut before);

        assert_eq!(report, before);
        let systems = &report.targets[1];
        assert_eq!(report.phi, PhiPolicy::Redacted);
        assert_eq!(
            systems.findings[123].message,
            "patient.name.family in the emr is `[redacted]` where the pm has `[redacted]` (truncated)"
        );
        assert_eq!(
            (&systems.findings[123].expected, &systems.findings[123].actual),
            (&json!(REDACTED), &json!(REDACTED))
        );
        assert_eq!(systems.findings[1000].expected, json!("25"), "a claim's modifier is not PHI");
        assert_eq!(
            systems.findings[1000].message,
            "line[1].modifier[1] `25` was documented but is missing from pm.charge"
        );
        assert_eq!(systems.findings[1001].expected, json!(REDACTED), "a birth date given as a number");
        assert_eq!(
            systems.flows[0].steps[0].message.as_deref(),
            Some("the pm answered 422 for [redacted] and [redacted] ([redacted]9 is not a patient here)")
        );
        assert_eq!(report.targets[0], two_targets().targets[0], "a simulator's synthetic patients are shown");
    }

    #[test]
    fn overlapping_values_go_whole_and_the_marker_is_left_alone() {
        // One value at a time left `Ana ` of the first, and wrote `a` over the marker of the second.
        let findings = vec![
            truncated("Lopez-Hernandez", "Ana Lopez"),
            Finding { expected: json!("a"), message: "patient.name.middle is `a`".into(), ..truncated("", "") },
        ];
        let mut report = systems_with(findings, "the emr holds Ana Lopez-Hernandez, middle initial a.");

        report.redact_phi();

        let systems = &report.targets[1];
        assert_eq!(
            systems.flows[0].steps[0].message.as_deref(),
            Some("the emr holds [redacted], middle initi[redacted]l [redacted].")
        );
        assert_eq!(systems.findings[1].message, "p[redacted]tient.n[redacted]me.middle is `[redacted]`");
    }

    #[test]
    fn a_value_many_findings_hold_is_looked_for_once() {
        let values = ["Lopez", "Ana", "Lopez", "Lopez"].map(String::from).to_vec();
        let Quoted::Values(automaton) = Quoted::new(values) else { panic!("two values to look for") };
        assert_eq!(automaton.patterns_len(), 2);
    }

    #[test]
    fn findings_without_quoted_values_leave_every_text_as_it_was() {
        let said = "the pm answered 503 three times";
        let mut report = systems_with(Vec::new(), said);

        report.redact_phi();

        assert_eq!(report.targets[1].flows[0].steps[0].message.as_deref(), Some(said));
        assert_eq!(report.phi, PhiPolicy::Redacted);
    }
}
