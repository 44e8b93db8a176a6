//! JUnit XML for CI systems: one test suite per target, one test case per scenario step that expects something.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{RunReport, TargetReport};
use crate::engine::StepStatus;

pub fn render(report: &RunReport) -> String {
    build(report).to_string().unwrap_or_else(|e| format!("<!-- cannot write JUnit XML: {e} -->"))
}

/// [`render`], written as it is serialised rather than gathered into one string first.
pub fn write(report: &RunReport, out: impl std::io::Write) -> std::io::Result<()> {
    build(report).serialize(out).map_err(std::io::Error::other)
}

fn build(report: &RunReport) -> Report {
    let mut junit = Report::new(format!("handoff {}", report.run_id));
    junit.set_time(Duration::from_millis(report.duration_ms));
    for target in &report.targets {
        let mut suite = if report.command() == "reconcile" { reconciliation_suite(target) } else { suite(target) };
        if let Some(incomplete) = &report.incomplete {
            suite.add_property(("incomplete", incomplete.reason.as_str()));
        }
        junit.add_test_suite(suite);
    }
    // A CI system that counts failures must not read a stopped run as a pass, whatever finished before it stopped.
    if let Some(incomplete) = &report.incomplete {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(super::table::incomplete_notice(incomplete));
        status.set_type("incomplete");
        let mut suite = TestSuite::new(format!("handoff {}", report.command()));
        suite.add_test_case(TestCase::new("run finished", status));
        junit.add_test_suite(suite);
    }
    junit
}

/// How many findings a reconciliation's test case lists; report.json has them all.
const LISTED: usize = 20;

/// A reconciliation of exports has no scenario steps: its test cases are the reconciliation itself, then one per
/// field the exports disagree on, so a CI system shows which fields to look at, and how often each failed.
fn reconciliation_suite(target: &TargetReport) -> TestSuite {
    let mut suite = TestSuite::new(target.name.clone());
    for flow in &target.flows {
        for step in &flow.steps {
            let status = if step.status == StepStatus::Passed {
                TestCaseStatus::success()
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(step.message.clone().unwrap_or_default());
                s
            };
            let mut case = TestCase::new(step.action.clone(), status);
            case.set_time(Duration::from_millis(step.elapsed_ms));
            suite.add_test_case(case);
        }
    }
    let mut fields: std::collections::BTreeMap<String, Vec<&crate::diff::Finding>> = Default::default();
    for finding in target.findings.iter().filter(|f| f.counts) {
        let field = if finding.field.is_empty() {
            finding.record.clone()
        } else {
            format!("{}.{}", finding.record, finding.field)
        };
        fields.entry(format!("{} {field}", finding.category.as_str())).or_default().push(finding);
    }
    for (field, findings) in fields {
        let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
        for f in &findings {
            *kinds.entry(f.kind.as_str()).or_default() += 1;
        }
        let kinds: Vec<String> = kinds.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(format!("{} finding(s): {}", findings.len(), kinds.join(", ")));
        s.set_type(findings[0].kind.as_str());
        let mut listed: Vec<String> = findings.iter().take(LISTED).map(|f| f.message.clone()).collect();
        if findings.len() > LISTED {
            listed.push(format!("… and {} more in report.json", findings.len() - LISTED));
        }
        s.set_description(listed.join("\n"));
        let mut case = TestCase::new(field, s);
        case.set_classname(target.name.clone());
        suite.add_test_case(case);
    }
    suite
}

fn suite(target: &TargetReport) -> TestSuite {
    let mut suite = TestSuite::new(target.name.clone());
    if let Some(why) = &target.setup_error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(format!("the target could not be set up: {why}"));
        suite.add_test_case(TestCase::new("set up", status));
        return suite;
    }
    for flow in &target.flows {
        // Actions are not tests, but an action that failed is: it is why the steps after it were skipped.
        for step in flow.steps.iter().filter(|s| s.action.starts_with("expect_") || s.status == StepStatus::Error) {
            let findings: Vec<_> =
                target.findings.iter().filter(|f| f.scenario == flow.scenario && f.step == step.step).collect();
            let status = match step.status {
                StepStatus::Passed => TestCaseStatus::success(),
                StepStatus::Skipped => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(step.message.clone().unwrap_or_else(|| "skipped".into()));
                    s
                }
                StepStatus::Failed | StepStatus::Error => {
                    let kind =
                        if step.status == StepStatus::Error { NonSuccessKind::Error } else { NonSuccessKind::Failure };
                    let mut s = TestCaseStatus::non_success(kind);
                    let counted: Vec<_> = findings.iter().filter(|f| f.counts).collect();
                    // A step stopped by a deadline or a signal has no finding: its own message says why.
                    let message = counted.first().map(|f| f.message.clone()).or_else(|| step.message.clone());
                    s.set_message(message.unwrap_or_default());
                    s.set_type(counted.first().map(|f| f.kind.as_str()).unwrap_or("failure"));
                    let text: Vec<String> = counted
                        .iter()
                        .map(|f| {
                            format!(
                                "{}.{}: expected {} got {} ({})",
                                f.record, f.field, f.expected, f.actual, f.message
                            )
                        })
                        .collect();
                    s.set_description(text.join("\n"));
                    s
                }
            };
            let mut case = TestCase::new(format!("step {} {}", step.step, step.action), status);
            case.set_classname(format!("{}.{}", target.name, flow.scenario));
            case.set_time(Duration::from_millis(step.elapsed_ms));
            suite.add_test_case(case);
        }
    }
    suite
}
