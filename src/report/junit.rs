//! JUnit XML for CI systems: one test suite per target, one test case per scenario step that expects something.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{RunReport, TargetReport};
use crate::engine::StepStatus;

pub fn render(report: &RunReport) -> String {
    let mut junit = Report::new(format!("handoff {}", report.run_id));
    junit.set_time(Duration::from_millis(report.duration_ms));
    for target in &report.targets {
        let mut suite = suite(target);
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
        let mut suite = TestSuite::new("handoff run");
        suite.add_test_case(TestCase::new("run finished", status));
        junit.add_test_suite(suite);
    }
    junit.to_string().unwrap_or_else(|e| format!("<!-- cannot write JUnit XML: {e} -->"))
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
