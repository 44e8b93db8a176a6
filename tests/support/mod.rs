//! Test support: run scenarios against targets through the library, and describe findings in one line each.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use handoff::engine::{PlannedTarget, RunPlan, execute};
use handoff::report::{RunReport, TargetReport};
use handoff::scenario::{Scenario, Target, load_scenario, load_target, parse_scenario, parse_target};

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A run under construction: `Run::new().scenario_file(..).target_file(..).report()`.
#[derive(Default)]
pub struct Run {
    scenarios: Vec<Scenario>,
    targets: Vec<PlannedTarget>,
}

impl Run {
    pub fn new() -> Run {
        Run::default()
    }

    pub fn scenario_file(mut self, path: &str) -> Run {
        self.scenarios.push(load_scenario(&repo(path)).unwrap_or_else(|e| panic!("{}", e.headline())));
        self
    }

    pub fn scenario_yaml(mut self, yaml: &str) -> Run {
        self.scenarios.push(parse_scenario("inline.yaml", yaml).unwrap_or_else(|e| panic!("{}", e.headline())));
        self
    }

    pub fn target_file(mut self, path: &str) -> Run {
        let target = load_target(&repo(path)).unwrap_or_else(|e| panic!("{}", e.headline()));
        self.targets.push(PlannedTarget { source: path.to_string(), target });
        self
    }

    pub fn target_yaml(mut self, yaml: &str) -> Run {
        let target: Target = parse_target("inline.yaml", yaml).unwrap_or_else(|e| panic!("{}", e.headline()));
        self.targets.push(PlannedTarget { source: "inline.yaml".into(), target });
        self
    }

    pub fn report(self) -> RunReport {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        // The rules as a fresh machine has them: FY2026 ICD-10-CM built in, no NCCI or MUE tables imported.
        let rules = handoff::rules::ScrubContext::new(handoff::rules::IcdRelease::embedded().unwrap());
        let plan = RunPlan {
            run_id: "test-run".into(),
            jobs: 64,
            rules: Some(std::sync::Arc::new(rules)),
            scenarios: self.scenarios,
            targets: self.targets,
            wire: None,
        };
        let started = jiff::Timestamp::now();
        let outcomes = runtime.block_on(execute(&plan));
        RunReport::new(
            "test-run",
            started,
            jiff::Timestamp::now(),
            plan.scenarios.iter().map(|s| s.name.clone()).collect(),
            outcomes,
        )
    }
}

pub fn target<'a>(report: &'a RunReport, name: &str) -> &'a TargetReport {
    report.targets.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no target {name}"))
}

/// Each finding as `scenario#step category/kind system record.field: expected -> actual [@hop]`, sorted.
pub fn findings(target: &TargetReport) -> Vec<String> {
    let mut lines: Vec<String> = target
        .findings
        .iter()
        .map(|f| {
            let category = serde_json::to_value(f.category).unwrap();
            let mut line = format!(
                "{}#{} {}/{} {} {}.{}: {} -> {}",
                f.scenario,
                f.step,
                category.as_str().unwrap(),
                f.kind.as_str(),
                f.system,
                f.record,
                f.field,
                f.expected,
                f.actual
            );
            if let Some(hop) = &f.hop {
                line.push_str(&format!(" @{hop}"));
            }
            line
        })
        .collect();
    lines.sort();
    lines
}
