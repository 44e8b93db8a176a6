//! FHIR R4 TestReport resources, one per scenario run against a target, for teams whose tooling speaks FHIR.
//!
//! Each scenario step is one `test`: an action step is an `operation`, and every finding at a step is an `assert`
//! carrying the finding's text (an expectation that found nothing is one passing `assert`). `score` is the
//! percentage of asserts that passed, as R4 defines it.

use serde_json::{Map, Value, json};

use super::{FlowReport, RunReport, TargetReport};
use crate::diff::Finding;
use crate::engine::{StepResult, StepStatus};

/// The tool as a TestReport names it (`tester`) and as its test-engine participant.
const TESTER: &str = "handoff";

/// One TestReport per flow of each target, with the file name it is written under in `fhir/`.
pub fn render(report: &RunReport) -> Vec<(String, Value)> {
    each(report).collect()
}

/// [`render`], one TestReport at a time, so that a run of 10,000 flows writes each and lets it go rather than
/// holding them all.
pub fn each(report: &RunReport) -> impl Iterator<Item = (String, Value)> + '_ {
    report.targets.iter().flat_map(move |target| {
        // Nothing ran against a target that could not be set up, but each scenario still gets its report: failed
        // at set-up.
        let unset: Vec<(String, Option<&FlowReport>)> = match target.setup_error {
            Some(_) => report.scenarios.iter().map(|s| (s.clone(), None)).collect(),
            None => Vec::new(),
        };
        let ran = target.flows.iter().filter(|_| target.setup_error.is_none()).map(|f| (f.scenario.clone(), Some(f)));
        unset
            .into_iter()
            .chain(ran)
            .map(move |(scenario, flow)| (file_name(target, &scenario), test_report(report, target, &scenario, flow)))
    })
}

/// `TestReport-<target>-<scenario>.json`, with anything but letters, digits, `.`, `_` and `-` made `_`.
pub fn file_name(target: &TargetReport, scenario: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect()
    };
    format!("TestReport-{}-{}.json", safe(&target.name), safe(scenario))
}

fn test_report(report: &RunReport, target: &TargetReport, scenario: &str, flow: Option<&FlowReport>) -> Value {
    let findings: Vec<&Finding> = target.findings.iter().filter(|f| f.scenario == scenario).collect();
    let mut tests: Vec<Value> = Vec::new();
    if let Some(flow) = flow {
        for step in &flow.steps {
            let at_step: Vec<&Finding> = findings.iter().copied().filter(|f| f.step == step.step).collect();
            tests.push(json!({
                "name": format!("step {} {}", step.step, step.action),
                "action": step_actions(step, &at_step),
            }));
        }
    }
    let asserts: Vec<&Value> = tests
        .iter()
        .flat_map(|t| t["action"].as_array().into_iter().flatten())
        .filter_map(|a| a.get("assert"))
        .collect();
    let held = asserts.iter().filter(|a| matches!(a["result"].as_str(), Some("pass" | "warning"))).count();
    let passed = flow.is_some_and(|f| f.passed);

    let mut resource = Map::new();
    resource.insert("resourceType".into(), json!("TestReport"));
    resource.insert(
        "identifier".into(),
        json!({ "system": "urn:handoff:run", "value": format!("{}/{}/{scenario}", report.run_id, target.name) }),
    );
    resource.insert("name".into(), json!(format!("{scenario} against {}", target.name)));
    resource.insert("status".into(), json!("completed"));
    // There is no TestScript resource: the scenario file is the script, named by a logical reference.
    resource.insert(
        "testScript".into(),
        json!({ "identifier": { "system": "urn:handoff:scenario", "value": scenario }, "display": scenario }),
    );
    resource.insert("result".into(), json!(if passed { "pass" } else { "fail" }));
    if !asserts.is_empty() {
        let score = (held as f64 * 10_000.0 / asserts.len() as f64).round() / 100.0;
        resource.insert("score".into(), json!(score));
    }
    resource.insert("tester".into(), json!(TESTER));
    resource.insert("issued".into(), json!(report.finished_at));
    resource.insert("participant".into(), Value::Array(participants(target)));
    resource.insert("setup".into(), json!({ "action": [{ "operation": setup_operation(target) }] }));
    if !tests.is_empty() {
        resource.insert("test".into(), Value::Array(tests));
    }
    Value::Object(resource)
}

fn participants(target: &TargetReport) -> Vec<Value> {
    let mut list = vec![json!({
        "type": "test-engine",
        "uri": format!("urn:handoff:version:{}", env!("CARGO_PKG_VERSION")),
        "display": format!("{TESTER} {}", env!("CARGO_PKG_VERSION")),
    })];
    for (role, endpoint) in [("EMR", &target.endpoints.emr), ("PM", &target.endpoints.pm)] {
        if let Some(uri) = endpoint {
            list.push(json!({ "type": "server", "uri": uri, "display": format!("{role} of {}", target.name) }));
        }
    }
    list
}

fn setup_operation(target: &TargetReport) -> Value {
    match &target.setup_error {
        Some(why) => json!({ "result": "error", "message": format!("the target could not be set up: {why}") }),
        None => json!({ "result": "pass", "message": format!("target {} set up from {}", target.name, target.source) }),
    }
}

fn step_result(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Passed => "pass",
        StepStatus::Failed => "fail",
        StepStatus::Error => "error",
        StepStatus::Skipped => "skip",
    }
}

/// An action step is an operation; every finding at the step is an assert; an expectation with no finding is
/// one assert that held (or did not, if the step failed without a finding to say why).
fn step_actions(step: &StepResult, findings: &[&Finding]) -> Vec<Value> {
    let mut actions = Vec::new();
    let with_message = |result: &str, message: Option<&str>| {
        let mut entry = json!({ "result": result });
        if let Some(m) = message.filter(|m| !m.is_empty()) {
            entry["message"] = json!(m);
        }
        entry
    };
    let expectation = step.action.starts_with("expect_");
    if !expectation {
        actions.push(json!({ "operation": with_message(step_result(step.status), step.message.as_deref()) }));
    }
    for f in findings {
        // A difference of form only is reported but agrees: a warning, not a failure.
        let result = if f.counts { "fail" } else { "warning" };
        actions.push(json!({ "assert": with_message(result, Some(&f.message)) }));
    }
    if expectation && findings.is_empty() {
        actions.push(json!({ "assert": with_message(step_result(step.status), step.message.as_deref()) }));
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::two_targets;

    /// The R4 TestReport constraints these resources rely on: required elements, and codes from required bindings.
    fn assert_r4_shape(r: &Value) {
        assert_eq!(r["resourceType"], "TestReport");
        assert_eq!(r["status"], "completed");
        assert!(matches!(r["result"].as_str(), Some("pass" | "fail" | "pending")), "{}", r["result"]);
        assert!(r["testScript"].is_object(), "testScript is 1..1");
        assert!(r["issued"].as_str().is_some_and(|s| s.contains('T')));
        for p in r["participant"].as_array().unwrap() {
            assert!(matches!(p["type"].as_str(), Some("test-engine" | "client" | "server")), "{p}");
            assert!(p["uri"].as_str().is_some_and(|u| u.contains(':')), "participant.uri is 1..1: {p}");
        }
        let setup = r["setup"]["action"].as_array().unwrap();
        let tests = r["test"].as_array().map(Vec::as_slice).unwrap_or_default();
        let actions = setup.iter().chain(tests.iter().flat_map(|t| t["action"].as_array().unwrap()));
        for action in actions {
            let entries: Vec<&Value> = ["operation", "assert"].iter().filter_map(|k| action.get(*k)).collect();
            assert_eq!(entries.len(), 1, "an action is an operation or an assert: {action}");
            let result = entries[0]["result"].as_str();
            assert!(matches!(result, Some("pass" | "skip" | "fail" | "warning" | "error")), "{action}");
        }
    }

    #[test]
    fn one_report_per_scenario_and_target_named_for_both() {
        let reports = render(&two_targets());
        let names: Vec<&str> = reports.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["TestReport-integrated-suite-new-patient.json", "TestReport-pair__b____b__co-new-patient.json"]
        );
        for (_, r) in &reports {
            assert_r4_shape(r);
        }
    }

    #[test]
    fn findings_become_asserts_carrying_their_text() {
        let reports = render(&two_targets());
        let pair = &reports[1].1;
        assert_eq!(pair["result"], "fail");
        assert_eq!(pair["tester"], "handoff");
        assert_eq!(pair["issued"], "2026-06-01T09:00:21.5Z");
        let step2 = &pair["test"][1];
        assert_eq!(step2["name"], "step 2 expect_synced");
        assert_eq!(step2["action"][0]["assert"]["result"], "fail");
        assert_eq!(
            step2["action"][0]["assert"]["message"],
            "patient.name.family in the emr is `O'Connor-W` where the pm has `O'Connor-Whitfield` (truncated)"
        );
        assert_eq!(step2["action"][1]["assert"]["result"], "warning");
        let step3 = &pair["test"][2];
        assert_eq!(step3["action"][0]["operation"]["result"], "pass");
        assert_eq!(step3["action"][1]["assert"]["result"], "fail");
        // Five asserts: two at step 2 (one a warning), one at step 3, two at step 4; the warning held.
        assert_eq!(pair["score"], 20.0);
        let servers: Vec<&Value> =
            pair["participant"].as_array().unwrap().iter().filter(|p| p["type"] == "server").collect();
        assert_eq!(servers.len(), 1, "the PM endpoint is unknown, so only the EMR is a participant");
    }

    #[test]
    fn a_clean_flow_passes_with_full_score() {
        let reports = render(&two_targets());
        let suite = &reports[0].1;
        assert_eq!(suite["result"], "pass");
        assert_eq!(suite["score"], 100.0);
        assert_eq!(suite["test"][1]["action"][0]["assert"]["result"], "pass");
    }

    #[test]
    fn a_target_that_could_not_be_set_up_fails_each_scenario_at_setup() {
        let mut report = two_targets();
        report.targets[0].setup_error = Some("PM_TOKEN is not set".into());
        report.targets[0].flows.clear();
        let reports = render(&report);
        let suite = &reports[0].1;
        assert_r4_shape(suite);
        assert_eq!(suite["result"], "fail");
        assert_eq!(suite["setup"]["action"][0]["operation"]["result"], "error");
        assert_eq!(
            suite["setup"]["action"][0]["operation"]["message"],
            "the target could not be set up: PM_TOKEN is not set"
        );
        assert!(suite.get("test").is_none());
    }
}
