//! The run as reports see it: the stable JSON contract (version 1) other tools read.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PhiPolicy;
use super::baseline::Comparison;
use super::faults::FaultReport;
use crate::diff::Finding;
use crate::engine::{Identity, StepResult, Tallies, TargetOutcome, TargetSystems};
use crate::model::{Capabilities, Role};
use crate::score::{LatencyStats, Redundancy, Scores, Topology, infer_topology, latency_stats, redundancy, scores};

pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "handoff report", description = "What one `handoff run` found, per target.")]
pub struct RunReport {
    /// The version of this format; fields are only ever added within a version.
    pub version: u32,
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// The scenarios run, by name.
    pub scenarios: Vec<String>,
    /// Whether patient values about real systems are redacted in this report.
    pub phi: PhiPolicy,
    /// Rule checks that did not run (NCCI and MUE without imported CMS tables): no claim is known to pass them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules_not_run: Vec<String>,
    pub targets: Vec<TargetReport>,
    /// How this run compares with the baseline it was run against (`--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    /// Present when the run was stopped before every flow finished (its deadline passed, or SIGINT or SIGTERM):
    /// what the finished flows found is all here, and the unfinished ones say where they stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
}

/// Why a run did not finish, and how much of it did not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Incomplete {
    /// `interrupted by SIGINT`, `interrupted by SIGTERM`, or `deadline 10m passed`.
    pub reason: String,
    /// Flows, over every target, with a step stopped or not run.
    pub unfinished_flows: usize,
}

/// The baseline a run was compared with, and what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BaselineComparison {
    /// The baseline file.
    pub file: String,
    #[serde(flatten)]
    pub comparison: Comparison,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Simulator,
    Systems,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Endpoints {
    pub emr: Option<String>,
    pub pm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetReport {
    pub name: String,
    /// The target file.
    pub source: String,
    pub kind: TargetKind,
    pub endpoints: Endpoints,
    pub scores: Scores,
    /// The counts each score is computed from.
    pub tallies: Tallies,
    /// Latency per record kind (`patient`, `appointment`, `charge`, ...).
    pub latency: BTreeMap<String, LatencyStats>,
    pub topology: Topology,
    /// Functions paid for twice and functions missing, from the systems' published and declared modules.
    pub redundancy: Redundancy,
    /// What each role's system publishes (product, modules, resources).
    pub capabilities: BTreeMap<Role, Capabilities>,
    pub flows: Vec<FlowReport>,
    pub findings: Vec<Finding>,
    /// Why a system's capabilities could not be read; redundancy then rests on what the target declares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_errors: Vec<String>,
    /// Set when the target could not be set up, so nothing ran against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
    /// For a simulator whose profile plants transport faults: what fired, and how each was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<FaultReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FlowReport {
    pub scenario: String,
    pub passed: bool,
    pub steps: Vec<StepResult>,
    /// The patient's id in each system.
    pub identities: Vec<Identity>,
    /// True when the run was stopped before this flow's steps were all done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unfinished: bool,
}

impl RunReport {
    /// The command that made the report, as its headings name it: `reconcile` for exports reconciled offline (whose
    /// run ids `handoff reconcile` starts with `reconcile-`), `run` otherwise.
    pub fn command(&self) -> &'static str {
        if self.run_id.starts_with("reconcile-") { "reconcile" } else { "run" }
    }

    pub fn new(
        run_id: &str,
        started_at: jiff::Timestamp,
        finished_at: jiff::Timestamp,
        scenarios: Vec<String>,
        outcomes: Vec<TargetOutcome>,
    ) -> RunReport {
        let duration_ms = u64::try_from((finished_at - started_at).as_millis()).unwrap_or(0);
        RunReport {
            version: REPORT_VERSION,
            run_id: run_id.to_string(),
            started_at: started_at.to_string(),
            finished_at: finished_at.to_string(),
            duration_ms,
            scenarios,
            phi: PhiPolicy::Shown,
            rules_not_run: Vec::new(),
            targets: outcomes.into_iter().map(TargetReport::from_outcome).collect(),
            baseline: None,
            incomplete: None,
        }
    }

    /// Marks the run as stopped before it finished, for `reason`.
    pub fn mark_incomplete(&mut self, reason: &str) {
        let unfinished_flows = self.targets.iter().flat_map(|t| &t.flows).filter(|f| f.unfinished).count();
        self.incomplete = Some(Incomplete { reason: reason.to_string(), unfinished_flows });
    }

    /// 4 if the run was stopped before it finished, 3 if a system could not be reached, 1 if an expectation
    /// failed, else 0 (README: exit codes). Run against a baseline, only what got worse fails: 1, or 3 when a
    /// system that was reached before cannot be now; a run that did not finish is 4 whatever it is compared with.
    pub fn exit_code(&self) -> u8 {
        if self.incomplete.is_some() {
            return crate::exit::INCOMPLETE;
        }
        if let Some(baseline) = &self.baseline {
            return match (baseline.comparison.got_worse(), self.targets.iter().any(TargetReport::unreachable)) {
                (false, _) => 0,
                (true, true) => 3,
                (true, false) => 1,
            };
        }
        if self.targets.iter().any(TargetReport::unreachable) {
            3
        } else if self.targets.iter().any(|t| t.findings.iter().any(|f| f.counts) || t.flows.iter().any(|f| !f.passed))
        {
            1
        } else {
            0
        }
    }
}

impl TargetReport {
    fn from_outcome(outcome: TargetOutcome) -> TargetReport {
        let mut tallies = Tallies::default();
        let mut by_record: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut findings = Vec::new();
        let mut flows = Vec::new();
        let mut identities = Vec::new();
        for flow in outcome.flows {
            tallies += flow.tallies;
            for l in &flow.latencies {
                by_record.entry(l.record.clone()).or_default().push(l.ms);
            }
            let passed = flow.passed();
            identities.push(flow.identities.clone());
            flows.push(FlowReport {
                scenario: flow.scenario,
                passed,
                steps: flow.steps,
                identities: flow.identities,
                unfinished: flow.unfinished,
            });
            // A reconciliation's one flow holds every finding, tens of thousands: moved, not copied.
            if findings.is_empty() {
                findings = flow.findings;
            } else {
                findings.extend(flow.findings);
            }
        }
        let patient_latencies = by_record.get("patient").cloned().unwrap_or_default();
        // A profile that plants no faults has nothing to account for.
        let faults = outcome
            .faults
            .as_ref()
            .filter(|tally| !tally.faults.is_empty())
            .map(|tally| FaultReport::account(tally, outcome.retried, &findings));
        TargetReport {
            name: outcome.name,
            source: outcome.source,
            kind: match outcome.kind {
                TargetSystems::Simulator => TargetKind::Simulator,
                TargetSystems::Real => TargetKind::Systems,
            },
            endpoints: Endpoints { emr: outcome.emr_endpoint, pm: outcome.pm_endpoint },
            scores: scores(&tallies),
            tallies,
            latency: by_record.iter().filter_map(|(k, v)| Some((k.clone(), latency_stats(v)?))).collect(),
            topology: infer_topology(&identities, &patient_latencies),
            redundancy: redundancy(outcome.capabilities.get(&Role::Emr), outcome.capabilities.get(&Role::Pm)),
            capabilities: outcome.capabilities,
            capability_errors: outcome.capability_errors,
            flows,
            findings,
            setup_error: outcome.setup_error,
            faults,
        }
    }

    fn unreachable(&self) -> bool {
        self.setup_error.is_some()
            || self
                .findings
                .iter()
                .any(|f| matches!(f.kind, crate::diff::FindingKind::Unreachable | crate::diff::FindingKind::Timeout))
    }
}
