//! Regression baselines: what a run found, with volatile values scrubbed, and how a later run compares with it.
//!
//! An integrator saves a baseline from a run they accept, then runs again after a vendor update: anything that got
//! worse fails the run; anything that got better is listed. Findings are matched by what they are about (scenario,
//! record, field, kind, rule), never by ids, timestamps or control numbers, which differ on every run.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RunReport, TargetReport};
use crate::diff::{Category, Finding, FindingKind};
use crate::model::Role;
use crate::score::Scores;

pub const BASELINE_VERSION: u32 = 1;

/// Two scores closer than this are the same: scores are rounded to two decimals.
const SCORE_TOLERANCE: f64 = 0.005;

/// A run's findings and scores, as a later run is compared with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    /// The scenarios the baseline run ran.
    pub scenarios: Vec<String>,
    pub targets: Vec<BaselineTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineTarget {
    pub name: String,
    pub scores: Scores,
    /// Scenarios whose every expectation held.
    pub passed: Vec<String>,
    /// Why the target could not be set up, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
    /// Every finding that counts against a score, sorted, values scrubbed.
    pub findings: Vec<BaselineFinding>,
}

/// A finding reduced to what identifies it across runs, plus its scrubbed values for people to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineFinding {
    pub category: Category,
    pub kind: FindingKind,
    pub scenario: String,
    pub record: String,
    pub field: String,
    pub system: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hop: Option<String>,
    pub expected: Value,
    pub actual: Value,
    pub message: String,
}

type FindingKey<'a> = (Category, FindingKind, &'a str, &'a str, &'a str, Role, Option<&'a str>, Option<&'a str>);

impl BaselineFinding {
    fn key(&self) -> FindingKey<'_> {
        (
            self.category,
            self.kind,
            &self.scenario,
            &self.record,
            &self.field,
            self.system,
            self.rule.as_deref(),
            self.hop.as_deref(),
        )
    }

    fn from_finding(f: &Finding) -> BaselineFinding {
        BaselineFinding {
            category: f.category,
            kind: f.kind,
            scenario: f.scenario.clone(),
            record: f.record.clone(),
            field: f.field.clone(),
            system: f.system,
            rule: f.rule.as_ref().map(|r| r.id.clone()),
            hop: f.hop.clone(),
            expected: scrub(&f.expected),
            actual: scrub(&f.actual),
            message: scrub_text(&f.message),
        }
    }

    /// One line a person reads in a regression list.
    pub fn describe(&self) -> String {
        let rule = self.rule.as_deref().map(|r| format!(" [{r}]")).unwrap_or_default();
        format!(
            "{}: {}/{} {}.{} at {}{rule} — {}",
            self.scenario,
            self.category.as_str(),
            self.kind.as_str(),
            self.record,
            self.field,
            self.system,
            self.message
        )
    }
}

impl Baseline {
    pub fn from_report(report: &RunReport) -> Baseline {
        Baseline {
            version: BASELINE_VERSION,
            scenarios: report.scenarios.clone(),
            targets: report.targets.iter().map(BaselineTarget::from_target).collect(),
        }
    }

    /// What got worse and what got better in `report` since this baseline.
    pub fn compare(&self, report: &RunReport) -> Comparison {
        let now = Baseline::from_report(report);
        let mut comparison = Comparison::default();
        for target in &now.targets {
            match self.targets.iter().find(|t| t.name == target.name) {
                Some(before) => compare_target(before, target, &mut comparison),
                None => comparison.notes.push(format!("{}: not in the baseline, so not compared", target.name)),
            }
        }
        for before in &self.targets {
            if !now.targets.iter().any(|t| t.name == before.name) {
                comparison.notes.push(format!("{}: in the baseline but not run this time", before.name));
            }
        }
        comparison
    }
}

impl BaselineTarget {
    fn from_target(t: &TargetReport) -> BaselineTarget {
        let mut findings: Vec<BaselineFinding> =
            t.findings.iter().filter(|f| f.counts).map(BaselineFinding::from_finding).collect();
        findings.sort_by(|a, b| a.key().cmp(&b.key()).then_with(|| a.message.cmp(&b.message)));
        let mut passed: Vec<String> = t.flows.iter().filter(|f| f.passed).map(|f| f.scenario.clone()).collect();
        passed.sort();
        BaselineTarget {
            name: t.name.clone(),
            scores: t.scores,
            passed,
            setup_error: t.setup_error.as_deref().map(scrub_text),
            findings,
        }
    }
}

/// The difference between a run and its baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    /// What got worse: each fails the run.
    pub regressions: Vec<Change>,
    /// What got better.
    pub improvements: Vec<Change>,
    /// Targets that could not be compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    pub target: String,
    pub what: String,
}

impl Comparison {
    pub fn got_worse(&self) -> bool {
        !self.regressions.is_empty()
    }

    /// The comparison as a person reads it under the scorecard.
    pub fn render(&self, baseline: &str) -> String {
        let mut out = format!("Compared with the baseline {baseline}: ");
        if self.regressions.is_empty() {
            out.push_str("nothing got worse.\n");
        } else {
            out.push_str(&format!("{} regression(s).\n", self.regressions.len()));
        }
        for (heading, changes) in [("Worse", &self.regressions), ("Better", &self.improvements)] {
            if changes.is_empty() {
                continue;
            }
            out.push_str(&format!("{heading}:\n"));
            for c in changes.iter() {
                out.push_str(&format!("  - {}: {}\n", c.target, c.what));
            }
        }
        for note in &self.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        out
    }
}

fn compare_target(before: &BaselineTarget, now: &BaselineTarget, out: &mut Comparison) {
    let change = |what: String| Change { target: now.name.clone(), what };
    match (&before.setup_error, &now.setup_error) {
        (None, Some(why)) => out.regressions.push(change(format!("could not be set up: {why}"))),
        (Some(_), None) => out.improvements.push(change("can be set up again".into())),
        _ => {}
    }
    for (label, lower_is_better, was, is) in score_pairs(&before.scores, &now.scores) {
        let (Some(was), Some(is)) = (was, is) else { continue };
        let delta = is - was;
        if delta.abs() < SCORE_TOLERANCE {
            continue;
        }
        let worse = if lower_is_better { delta > 0.0 } else { delta < 0.0 };
        let text = format!("{label} {was:.2} → {is:.2}");
        if worse { out.regressions.push(change(text)) } else { out.improvements.push(change(text)) }
    }
    for scenario in &before.passed {
        if !now.passed.contains(scenario) {
            out.regressions.push(change(format!("{scenario}: passed in the baseline, fails now")));
        }
    }
    for scenario in &now.passed {
        if !before.passed.contains(scenario) {
            out.improvements.push(change(format!("{scenario}: failed in the baseline, passes now")));
        }
    }
    // Findings are compared as multisets: two of the same finding where there was one is a regression.
    let was = by_key(&before.findings);
    let is = by_key(&now.findings);
    for (key, found) in &is {
        let before_count = was.get(key).map_or(0, Vec::len);
        for f in found.iter().skip(before_count) {
            out.regressions.push(change(format!("new finding {}", f.describe())));
        }
    }
    for (key, gone) in &was {
        let now_count = is.get(key).map_or(0, Vec::len);
        for f in gone.iter().skip(now_count) {
            out.improvements.push(change(format!("gone {}", f.describe())));
        }
    }
}

fn by_key(findings: &[BaselineFinding]) -> BTreeMap<FindingKey<'_>, Vec<&BaselineFinding>> {
    let mut by_key: BTreeMap<FindingKey<'_>, Vec<&BaselineFinding>> = BTreeMap::new();
    for f in findings {
        by_key.entry(f.key()).or_default().push(f);
    }
    by_key
}

type ScorePair = (&'static str, bool, Option<f64>, Option<f64>);

fn score_pairs(was: &Scores, is: &Scores) -> [ScorePair; 6] {
    [
        ("first-pass paid %", false, was.first_pass_paid_pct, is.first_pass_paid_pct),
        ("denials predicted %", false, was.denials_predicted_pct, is.denials_predicted_pct),
        ("sync gap %", true, was.sync_gap_pct, is.sync_gap_pct),
        ("handoff accuracy %", false, was.handoff_accuracy_pct, is.handoff_accuracy_pct),
        ("duplicate entry %", true, was.duplicate_entry_pct, is.duplicate_entry_pct),
        ("clean claims %", false, was.clean_claim_pct, is.clean_claim_pct),
    ]
}

/// Values with what changes from run to run (ids, timestamps, control numbers) replaced by a placeholder.
fn scrub(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(scrub_text(s)),
        Value::Array(items) => Value::Array(items.iter().map(scrub).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), scrub(v))).collect()),
        other => other.clone(),
    }
}

/// Text with volatile words replaced: a word is scrubbed when it is a timestamp, a UUID, a run id, or a run of
/// 13 or more digits (epoch times, generated record ids). Codes, NPIs, member ids and dates are what findings are
/// about, so they stay.
fn scrub_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            out.push_str(volatile(word).unwrap_or(word));
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '\'' | '`' | '/' | '=') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn volatile(word: &str) -> Option<&'static str> {
    let word = word.trim_end_matches(['.', ':']);
    if word.parse::<jiff::Timestamp>().is_ok() {
        return Some("<timestamp>");
    }
    if uuid::Uuid::parse_str(word).is_ok() {
        return Some("<uuid>");
    }
    let digits = word.chars().filter(char::is_ascii_digit).count();
    // A run id (`20261127T054425Z-1a2b`) and anything mostly digits and long is an id or a control number.
    if word.len() >= 16 && word.contains('T') && word.ends_with(|c: char| c.is_ascii_hexdigit()) && digits >= 14 {
        return Some("<run-id>");
    }
    if digits >= 13 && digits * 10 >= word.len() * 8 && !word.contains('-') {
        return Some("<number>");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finding(field: &str, kind: FindingKind, message: &str) -> BaselineFinding {
        BaselineFinding {
            category: Category::Sync,
            kind,
            scenario: "new-patient-visit".into(),
            record: "patient".into(),
            field: field.into(),
            system: Role::Emr,
            rule: None,
            hop: None,
            expected: json!("Castillo-Navarro"),
            actual: json!("Castillo-Na"),
            message: message.into(),
        }
    }

    fn target(scores: Scores, passed: &[&str], findings: Vec<BaselineFinding>) -> BaselineTarget {
        BaselineTarget {
            name: "interfaced-pair".into(),
            scores,
            passed: passed.iter().map(|s| s.to_string()).collect(),
            setup_error: None,
            findings,
        }
    }

    fn scores(sync_gap: f64, accuracy: f64) -> Scores {
        Scores {
            sync_gap_pct: Some(sync_gap),
            handoff_accuracy_pct: Some(accuracy),
            duplicate_entry_pct: Some(0.0),
            clean_claim_pct: None,
            first_pass_paid_pct: None,
            denials_predicted_pct: None,
            paid_of_charged_pct: None,
        }
    }

    #[test]
    fn a_new_finding_and_a_worse_score_are_regressions() {
        let before = target(scores(5.0, 100.0), &["a", "b"], vec![finding("name.family", FindingKind::Truncated, "x")]);
        let now = target(
            scores(7.5, 100.0),
            &["b"],
            vec![
                finding("name.family", FindingKind::Truncated, "x"),
                finding("telecom.phone", FindingKind::Mismatch, "phone differs"),
            ],
        );
        let mut c = Comparison::default();
        compare_target(&before, &now, &mut c);
        let worse: Vec<_> = c.regressions.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(
            worse,
            [
                "sync gap % 5.00 → 7.50",
                "a: passed in the baseline, fails now",
                "new-patient-visit: sync/mismatch patient.telecom.phone at emr — phone differs",
            ]
            .map(|s| if s.starts_with("new-") { format!("new finding {s}") } else { s.to_string() })
        );
        assert!(c.improvements.is_empty());
        assert!(c.got_worse());
    }

    #[test]
    fn gone_findings_and_better_scores_are_improvements_only() {
        let before = target(
            scores(7.5, 90.0),
            &[],
            vec![
                finding("name.family", FindingKind::Truncated, "x"),
                finding("name.family", FindingKind::Truncated, "x"),
            ],
        );
        let now = target(scores(7.5, 95.0), &[], vec![finding("name.family", FindingKind::Truncated, "x")]);
        let mut c = Comparison::default();
        compare_target(&before, &now, &mut c);
        assert!(!c.got_worse(), "{c:?}");
        let better: Vec<_> = c.improvements.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(
            better,
            [
                "handoff accuracy % 90.00 → 95.00",
                "gone new-patient-visit: sync/truncated patient.name.family at emr — x"
            ]
        );
    }

    #[test]
    fn scores_within_rounding_are_the_same() {
        let before = target(scores(5.0, 100.0), &[], vec![]);
        let now = target(scores(5.004, 99.996), &[], vec![]);
        let mut c = Comparison::default();
        compare_target(&before, &now, &mut c);
        assert_eq!(c, Comparison::default());
    }

    #[test]
    fn volatile_words_are_scrubbed_and_domain_words_kept() {
        assert_eq!(
            scrub_text("claim 1764222265123 sent 2026-11-27T05:44:25Z by run 20261127T054425Z-1a2b"),
            "claim <number> sent <timestamp> by run <run-id>"
        );
        assert_eq!(scrub_text("Patient/3f2c0a4e-8a1b-4c1d-9e2f-0a1b2c3d4e5f moved"), "Patient/<uuid> moved");
        // Codes, dates of service, NPIs and phone numbers are what a finding is about.
        assert_eq!(scrub_text("99214 on 2026-06-15 NPI 1234567893"), "99214 on 2026-06-15 NPI 1234567893");
        assert_eq!(scrub_text("phone 555-867-5309"), "phone 555-867-5309");
    }
}
