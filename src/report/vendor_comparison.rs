//! The buyer's scorecard: vendor setups ranked, and the buying guide's questions answered for each from the run.
//!
//! A practice manager choosing a vendor asks plain questions — does the EMR schedule and bill, is it really one
//! record, what breaks across the interface, which reports come with it, what would we pay for twice. Every answer
//! here is read from a finished run (capabilities, topology, findings, redundancy), never typed in, and carries the
//! evidence behind it.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{RunReport, TargetReport};
use crate::diff::Category;
use crate::model::{Capabilities, Module, Role};
use crate::score::TopologyVerdict;

pub const COMPARISON_VERSION: u32 = 1;

/// At most this many kinds of breakage are named per target; the rest are counted.
const BREAKS_NAMED: usize = 4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "handoff comparison",
    description = "Vendor setups ranked, with the buying guide's questions answered."
)]
pub struct VendorComparison {
    pub version: u32,
    pub run_id: String,
    pub scenarios: Vec<String>,
    /// Best first.
    pub ranking: Vec<RankedSetup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankedSetup {
    /// 1 is best; setups equal on every measure share a rank.
    pub rank: usize,
    pub target: String,
    /// The verdict in one sentence.
    pub verdict: String,
    /// The first measure that puts this setup where it is, against its neighbour in the ranking.
    pub why_this_rank: String,
    pub answers: GuideAnswers,
    pub scenarios_passed: usize,
    pub scenarios_run: usize,
    pub sync_gap_pct: Option<f64>,
    pub handoff_accuracy_pct: Option<f64>,
    pub clean_claim_pct: Option<f64>,
    pub first_pass_paid_pct: Option<f64>,
    pub duplicate_entry_pct: Option<f64>,
    /// US dollars per provider per month for every module of every product, where prices are known.
    pub monthly_total: Option<f64>,
}

/// The buying guide's questions, each answered with the evidence the run gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GuideAnswers {
    /// Does the EMR include scheduling and basic billing, or is a separate PM needed?
    pub emr_schedules_and_bills: Answer,
    /// Do clinical and financial data truly share one record, or are they bolted together?
    pub one_record: Answer,
    /// Where there is an interface, what broke across it?
    pub interface_breaks: Answer,
    /// Which reports come with it: clinical quality, financial, or both?
    pub reports: Answer,
    /// Which functions would be paid for twice, and what that costs.
    pub paid_twice: Answer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    /// The short answer: `yes`, `no`, `partly`, `unknown`, or a few words.
    pub answer: String,
    pub evidence: String,
}

impl Answer {
    fn new(answer: impl Into<String>, evidence: impl Into<String>) -> Answer {
        Answer { answer: answer.into(), evidence: evidence.into() }
    }
}

impl VendorComparison {
    pub fn from_report(report: &RunReport) -> VendorComparison {
        let mut targets: Vec<&TargetReport> = report.targets.iter().collect();
        targets.sort_by(|a, b| standing(a, b).then_with(|| a.name.cmp(&b.name)));
        let mut ranking: Vec<RankedSetup> = Vec::with_capacity(targets.len());
        for (i, t) in targets.iter().enumerate() {
            let rank = match i.checked_sub(1).map(|p| targets[p]) {
                Some(previous) if standing(previous, t) == Ordering::Equal => ranking[i - 1].rank,
                _ => i + 1,
            };
            let why = why_ranked(t, targets.get(i + 1).copied(), i.checked_sub(1).map(|p| targets[p]));
            ranking.push(RankedSetup {
                rank,
                target: t.name.clone(),
                verdict: verdict(t),
                why_this_rank: why,
                answers: answers(t),
                scenarios_passed: passed(t),
                scenarios_run: t.flows.len(),
                sync_gap_pct: t.scores.sync_gap_pct,
                handoff_accuracy_pct: t.scores.handoff_accuracy_pct,
                clean_claim_pct: t.scores.clean_claim_pct,
                first_pass_paid_pct: t.scores.first_pass_paid_pct,
                duplicate_entry_pct: t.scores.duplicate_entry_pct,
                monthly_total: t.redundancy.monthly_total,
            });
        }
        VendorComparison {
            version: COMPARISON_VERSION,
            run_id: report.run_id.clone(),
            scenarios: report.scenarios.clone(),
            ranking,
        }
    }
}

fn passed(t: &TargetReport) -> usize {
    t.flows.iter().filter(|f| f.passed).count()
}

/// One measure the ranking compares, best first, with how to say it.
struct Measure {
    name: &'static str,
    order: fn(&TargetReport, &TargetReport) -> Ordering,
    shown: fn(&TargetReport) -> String,
}

/// How setups are ranked, in order: a setup that could be run at all, then the share of scenarios whose every
/// expectation held, then each score (sync gap, handoff accuracy, clean claims, first-pass paid, duplicate entry),
/// then how many functions neither product offers, then price. Documented in README ("Comparing vendor setups").
const MEASURES: [Measure; 9] = [
    Measure {
        name: "whether it could be run",
        order: |a, b| a.setup_error.is_some().cmp(&b.setup_error.is_some()),
        shown: |t| if t.setup_error.is_some() { "could not be set up".into() } else { "ran".into() },
    },
    Measure {
        name: "scenarios passed",
        // a/b against c/d without floating point: a·d against c·b.
        order: |a, b| (passed(b) * a.flows.len().max(1)).cmp(&(passed(a) * b.flows.len().max(1))),
        shown: |t| format!("{}/{}", passed(t), t.flows.len()),
    },
    Measure {
        name: "sync gap",
        order: |a, b| lower_better(a.scores.sync_gap_pct, b.scores.sync_gap_pct),
        shown: |t| pct(t.scores.sync_gap_pct),
    },
    Measure {
        name: "handoff accuracy",
        order: |a, b| lower_better(b.scores.handoff_accuracy_pct, a.scores.handoff_accuracy_pct),
        shown: |t| pct(t.scores.handoff_accuracy_pct),
    },
    Measure {
        name: "clean claims",
        order: |a, b| lower_better(b.scores.clean_claim_pct, a.scores.clean_claim_pct),
        shown: |t| pct(t.scores.clean_claim_pct),
    },
    Measure {
        name: "first-pass paid claims",
        order: |a, b| lower_better(b.scores.first_pass_paid_pct, a.scores.first_pass_paid_pct),
        shown: |t| pct(t.scores.first_pass_paid_pct),
    },
    Measure {
        name: "duplicate entry",
        order: |a, b| lower_better(a.scores.duplicate_entry_pct, b.scores.duplicate_entry_pct),
        shown: |t| pct(t.scores.duplicate_entry_pct),
    },
    Measure {
        // The guide's other trap: a gap found only after go-live.
        name: "functions neither product offers",
        order: |a, b| missing(a).cmp(&missing(b)),
        shown: |t| match missing(t) {
            usize::MAX => "unknown".into(),
            0 => "none".into(),
            _ => t.redundancy.missing.iter().map(|m| m.label()).collect::<Vec<_>>().join(", "),
        },
    },
    Measure {
        name: "monthly price",
        order: |a, b| match (a.redundancy.monthly_total, b.redundancy.monthly_total) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        shown: |t| t.redundancy.monthly_total.map(|m| format!("${m:.0}/provider/month")).unwrap_or("unknown".into()),
    },
];

/// How many of the practice's functions neither product offers; unknown ranks after any known count.
fn missing(t: &TargetReport) -> usize {
    if t.redundancy.known { t.redundancy.missing.len() } else { usize::MAX }
}

/// A score nobody measured neither helps nor hurts; two decimals is all a score carries.
fn lower_better(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) if (x - y).abs() >= 0.005 => x.total_cmp(&y),
        _ => Ordering::Equal,
    }
}

fn standing(a: &TargetReport, b: &TargetReport) -> Ordering {
    MEASURES.iter().map(|m| (m.order)(a, b)).find(|o| *o != Ordering::Equal).unwrap_or(Ordering::Equal)
}

fn why_ranked(t: &TargetReport, next: Option<&TargetReport>, previous: Option<&TargetReport>) -> String {
    let against = |other: &TargetReport, word: &str| -> String {
        match MEASURES.iter().find(|m| (m.order)(t, other) != Ordering::Equal) {
            Some(m) => format!("{word} {} on {}: {} against {}", other.name, m.name, (m.shown)(t), (m.shown)(other)),
            None => format!("level with {} on every measure", other.name),
        }
    };
    match (next, previous) {
        (Some(next), _) => against(next, "ahead of"),
        (None, Some(previous)) => against(previous, "behind"),
        (None, None) => "the only setup compared".into(),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1} %")).unwrap_or_else(|| "not measured".into())
}

fn verdict(t: &TargetReport) -> String {
    if let Some(why) = &t.setup_error {
        return format!("Could not be run: {why}");
    }
    let shape = match t.topology.verdict {
        TopologyVerdict::SharedRecord => "One shared record",
        TopologyVerdict::Interfaced => "Two records joined by an interface",
        TopologyVerdict::BatchSynced => "Two records synced by a batch job",
        TopologyVerdict::Unknown => "Record sharing not shown",
    };
    let counted = t.findings.iter().filter(|f| f.counts).count();
    let price = t.redundancy.monthly_total.map(|m| format!("; ${m:.0}/provider/month")).unwrap_or_default();
    let twice = if t.redundancy.paid_twice.is_empty() {
        String::new()
    } else {
        format!(", ${:.0} of it paid twice", t.redundancy.monthly_paid_twice)
    };
    let gap = if t.redundancy.known && !t.redundancy.missing.is_empty() {
        let names: Vec<&str> = t.redundancy.missing.iter().map(|m| m.label()).collect();
        format!(" Neither product offers {}.", names.join(", "))
    } else {
        String::new()
    };
    format!("{shape}; {}/{} scenarios passed with {counted} finding(s){price}{twice}.{gap}", passed(t), t.flows.len())
}

fn answers(t: &TargetReport) -> GuideAnswers {
    GuideAnswers {
        emr_schedules_and_bills: schedules_and_bills(t),
        one_record: one_record(t),
        interface_breaks: interface_breaks(t),
        reports: reports(t),
        paid_twice: paid_twice(t),
    }
}

fn product(t: &TargetReport, role: Role) -> Option<&str> {
    t.capabilities.get(&role).and_then(|c| c.product.as_deref())
}

fn offers(t: &TargetReport, role: Role, module: Module) -> bool {
    t.capabilities.get(&role).is_some_and(|c: &Capabilities| c.modules.contains_key(&module))
}

fn schedules_and_bills(t: &TargetReport) -> Answer {
    let emr = product(t, Role::Emr).unwrap_or("the EMR");
    let pm = product(t, Role::Pm).unwrap_or("the PM");
    if product(t, Role::Emr).is_some() && product(t, Role::Emr) == product(t, Role::Pm) {
        return Answer::new("yes", format!("one suite, {emr}, plays both roles"));
    }
    let known = t.capabilities.get(&Role::Emr).is_some_and(|c| !c.modules.is_empty());
    if !known {
        return Answer::new("unknown", format!("{emr} publishes no modules and the target declares none"));
    }
    match (offers(t, Role::Emr, Module::Scheduling), offers(t, Role::Emr, Module::ClaimsBilling)) {
        (true, true) => Answer::new("yes", format!("{emr} sells scheduling and claims and billing")),
        (true, false) => Answer::new("partly", format!("{emr} schedules, but claims and billing need {pm}")),
        (false, true) => Answer::new("partly", format!("{emr} bills, but scheduling needs {pm}")),
        (false, false) => Answer::new("no", format!("{emr} sells neither scheduling nor billing: {pm} is needed")),
    }
}

fn one_record(t: &TargetReport) -> Answer {
    let answer = match t.topology.verdict {
        TopologyVerdict::SharedRecord => "yes",
        TopologyVerdict::Interfaced => "no: interfaced",
        TopologyVerdict::BatchSynced => "no: bolted together by a batch job",
        TopologyVerdict::Unknown => "not shown",
    };
    Answer::new(answer, t.topology.evidence.clone())
}

fn interface_breaks(t: &TargetReport) -> Answer {
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for f in t.findings.iter().filter(|f| f.counts && matches!(f.category, Category::Sync | Category::Handoff)) {
        // `line[3].modifier[2]` and `line[1].modifier[2]` are the same kind of break for a buyer.
        let path = format!("{}.{}", f.record, f.field);
        let field: Vec<&str> =
            path.split('.').map(|part| part.split('[').next().unwrap_or(part)).filter(|p| !p.is_empty()).collect();
        *kinds.entry(format!("{} {}", f.kind.as_str().replace('_', " "), field.join("."))).or_default() += 1;
    }
    let flows = t.flows.len();
    if kinds.is_empty() {
        let answer = if t.topology.verdict == TopologyVerdict::SharedRecord { "no interface" } else { "nothing" };
        return Answer::new(answer, format!("no sync or billing-handoff finding in {flows} flow(s)"));
    }
    let mut ranked: Vec<(String, usize)> = kinds.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total: usize = ranked.iter().map(|(_, n)| n).sum();
    let mut named: Vec<String> = ranked.iter().take(BREAKS_NAMED).map(|(k, n)| format!("{k} ×{n}")).collect();
    if ranked.len() > BREAKS_NAMED {
        named.push(format!("{} more kind(s)", ranked.len() - BREAKS_NAMED));
    }
    Answer::new(format!("{total} finding(s)"), format!("{} in {flows} flow(s)", named.join("; ")))
}

fn reports(t: &TargetReport) -> Answer {
    let who = |module: Module| -> Vec<&'static str> {
        Role::ALL.into_iter().filter(|r| offers(t, *r, module)).map(role_name).collect()
    };
    let clinical = who(Module::ClinicalQualityReporting);
    let financial = who(Module::FinancialReporting);
    let answer = match (clinical.is_empty(), financial.is_empty()) {
        (false, false) => "both",
        (false, true) => "clinical quality only",
        (true, false) => "financial only",
        (true, true) => "neither",
    };
    let part = |name: &str, roles: &[&str]| {
        if roles.is_empty() {
            format!("no {name} reporting")
        } else {
            format!("{name} from the {}", roles.join(" and the "))
        }
    };
    Answer::new(answer, format!("{}; {}", part("clinical-quality", &clinical), part("financial", &financial)))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Emr => "EMR",
        Role::Pm => "PM",
    }
}

fn paid_twice(t: &TargetReport) -> Answer {
    let r = &t.redundancy;
    if !r.known {
        return Answer::new("unknown", "neither system publishes its modules and the target declares none");
    }
    if r.paid_twice.is_empty() {
        return Answer::new("nothing", "no function is sold by both products");
    }
    let names: Vec<&str> = r.paid_twice.iter().map(|p| p.module.label()).collect();
    let total = r.monthly_total.map(|m| format!(" of ${m:.0}")).unwrap_or_default();
    Answer::new(
        format!("${:.0}/provider/month", r.monthly_paid_twice),
        format!("{} sold by both products{total} a month in all", names.join(", ")),
    )
}

/// The scorecard for a terminal: setups side by side, best first, one row per question.
pub fn render_table(c: &VendorComparison, colour: super::table::Colour) -> String {
    use comfy_table::{Cell, Color};
    let mut table = super::table::new_table(colour);
    let mut header = vec![Cell::new("")];
    header.extend(c.ranking.iter().map(|r| Cell::new(format!("#{} {}", r.rank, r.target))));
    table.set_header(header);
    let mut row = |label: &str, cells: Vec<Cell>| {
        let mut full = vec![Cell::new(label)];
        full.extend(cells);
        table.add_row(full);
    };
    row("Verdict", c.ranking.iter().map(|r| Cell::new(&r.verdict)).collect());
    for (question, pick) in QUESTIONS {
        row(
            question,
            c.ranking
                .iter()
                .map(|r| {
                    let a = pick(&r.answers);
                    Cell::new(format!("{}: {}", a.answer, a.evidence))
                })
                .collect(),
        );
    }
    row(
        "Scenarios passed",
        c.ranking
            .iter()
            .map(|r| {
                let cell = Cell::new(format!("{} / {}", r.scenarios_passed, r.scenarios_run));
                if r.scenarios_passed == r.scenarios_run { cell.fg(Color::Green) } else { cell.fg(Color::Red) }
            })
            .collect(),
    );
    row("Why this rank", c.ranking.iter().map(|r| Cell::new(&r.why_this_rank)).collect());
    format!(
        "handoff compare {} — {} setup(s) ranked over {} scenario(s)\n\n{table}\n",
        c.run_id,
        c.ranking.len(),
        c.scenarios.len()
    )
}

/// The scorecard as Markdown: a pull-request comment or a document to send round the practice.
pub fn render_markdown(c: &VendorComparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Vendor setups compared: {} scenario(s)\n", c.scenarios.len());
    let _ = writeln!(out, "| rank | setup | verdict | why this rank |");
    let _ = writeln!(out, "|---:|---|---|---|");
    for r in &c.ranking {
        let _ = writeln!(
            out,
            "| {} | **{}** | {} | {} |",
            r.rank,
            cell(&r.target),
            cell(&r.verdict),
            cell(&r.why_this_rank)
        );
    }
    let _ = writeln!(out, "\n### The buying guide's questions\n");
    let header: Vec<String> = c.ranking.iter().map(|r| cell(&r.target)).collect();
    let _ = writeln!(out, "| question | {} |", header.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(header.len()));
    for (question, pick) in QUESTIONS {
        let cells: Vec<String> = c
            .ranking
            .iter()
            .map(|r| pick(&r.answers))
            .map(|a| cell(&format!("**{}** — {}", a.answer, a.evidence)))
            .collect();
        let _ = writeln!(out, "| {question} | {} |", cells.join(" | "));
    }
    out
}

type Question = (&'static str, fn(&GuideAnswers) -> &Answer);

/// The guide's questions, as a buyer asks them.
pub const QUESTIONS: [Question; 5] = [
    ("Does the EMR include scheduling and basic billing?", |a| &a.emr_schedules_and_bills),
    ("Do clinical and financial data share one record?", |a| &a.one_record),
    ("What broke across the interface?", |a| &a.interface_breaks),
    ("Which reports does it offer?", |a| &a.reports),
    ("What would be paid for twice?", |a| &a.paid_twice),
];

/// Vendor text inside one Markdown table cell: pipes would end the cell, and markup would render where a
/// pull-request comment or a chat shows it.
fn cell(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::two_targets;

    #[test]
    fn setups_rank_by_what_held_and_say_why() {
        let c = VendorComparison::from_report(&two_targets());
        let order: Vec<(usize, &str)> = c.ranking.iter().map(|r| (r.rank, r.target.as_str())).collect();
        assert_eq!(order, [(1, "integrated-suite"), (2, "pair <b>&</b> co")]);
        assert_eq!(c.ranking[0].why_this_rank, "ahead of pair <b>&</b> co on scenarios passed: 1/1 against 0/1");
        assert_eq!(c.ranking[1].why_this_rank, "behind integrated-suite on scenarios passed: 0/1 against 1/1");
        assert_eq!(
            c.ranking[1].verdict,
            "Two records joined by an interface; 0/1 scenarios passed with 4 finding(s); $624/provider/month, $40 of \
             it paid twice. Neither product offers problem list."
        );
    }

    #[test]
    fn what_broke_counts_sync_and_handoff_findings_by_kind_and_field() {
        let c = VendorComparison::from_report(&two_targets());
        let pair = &c.ranking[1].answers;
        // The re-keyed charge is redundancy and the phone differs in form only: neither broke across the interface.
        assert_eq!(pair.interface_breaks.answer, "3 finding(s)");
        assert_eq!(
            pair.interface_breaks.evidence,
            "changed claim.diagnosis ×1; dropped claim.line.modifier ×1; truncated patient.name.family ×1 in 1 flow(s)"
        );
        assert_eq!(pair.one_record, Answer::new("no: interfaced", "the same patient id in both roles in 0 of 1 flows"));
        assert_eq!(
            pair.paid_twice,
            Answer::new("$40/provider/month", "scheduling sold by both products of $624 a month in all")
        );
        let suite = &c.ranking[0].answers;
        assert_eq!(suite.interface_breaks.answer, "no interface");
        assert_eq!(suite.paid_twice.answer, "nothing");
        // Neither fixture target publishes or declares modules.
        assert_eq!(suite.emr_schedules_and_bills.answer, "unknown");
        assert_eq!(suite.reports.answer, "neither");
    }

    #[test]
    fn the_emr_answer_reads_the_modules_each_role_sells() {
        let mut report = two_targets();
        let modules = |list: &[Module]| Capabilities {
            product: None,
            modules: list.iter().map(|m| (*m, Some(10.0))).collect(),
            resources: Vec::new(),
        };
        let pair = &mut report.targets[1];
        pair.capabilities.insert(
            Role::Emr,
            Capabilities {
                product: Some("ChartWise".into()),
                ..modules(&[Module::Scheduling, Module::ClinicalQualityReporting])
            },
        );
        pair.capabilities.insert(
            Role::Pm,
            Capabilities {
                product: Some("LedgerPoint".into()),
                ..modules(&[Module::ClaimsBilling, Module::FinancialReporting])
            },
        );
        let c = VendorComparison::from_report(&report);
        let answers = &c.ranking[1].answers;
        assert_eq!(
            answers.emr_schedules_and_bills,
            Answer::new("partly", "ChartWise schedules, but claims and billing need LedgerPoint")
        );
        assert_eq!(answers.reports, Answer::new("both", "clinical-quality from the EMR; financial from the PM"));
    }

    #[test]
    fn setups_equal_on_every_measure_share_a_rank() {
        let mut report = two_targets();
        let mut twin = report.targets[0].clone();
        twin.name = "integrated-suite-copy".into();
        report.targets.push(twin);
        let c = VendorComparison::from_report(&report);
        let ranks: Vec<(usize, &str)> = c.ranking.iter().map(|r| (r.rank, r.target.as_str())).collect();
        assert_eq!(ranks, [(1, "integrated-suite"), (1, "integrated-suite-copy"), (3, "pair <b>&</b> co")]);
        assert_eq!(c.ranking[0].why_this_rank, "level with integrated-suite-copy on every measure");
    }

    #[test]
    fn markdown_keeps_vendor_text_inside_its_cell() {
        let mut report = two_targets();
        report.targets[1].topology.evidence = "ids | differ".into();
        let md = render_markdown(&VendorComparison::from_report(&report));
        assert!(md.contains("ids \\| differ"), "{md}");
        assert!(md.contains("| 2 | **pair &lt;b&gt;&amp;&lt;/b&gt; co** |"), "{md}");
        assert!(!md.contains("<b>"), "{md}");
    }
}
