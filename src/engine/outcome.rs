//! What one scenario run against one target leaves behind: findings, the tallies scores are computed from, latencies and identities.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diff::Finding;
use crate::model::Role;

/// The counts behind each score; scores are ratios of these, never typed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tallies {
    /// Cross-system fields the scenario expected to agree.
    pub sync_expected: usize,
    /// Of those, the ones that did not agree within the window.
    pub sync_gaps: usize,
    /// Documented billing elements traced to the claim.
    pub handoff_elements: usize,
    /// Of those, the ones that reached the claim exactly.
    pub handoff_exact: usize,
    /// Fields a person keyed.
    pub keyed_fields: usize,
    /// Of those, fields keyed again because they did not flow.
    pub rekeyed_fields: usize,
    /// Claims checked against coding and billing rules.
    pub claims_scrubbed: usize,
    /// Of those, claims with no rule break of severity error.
    pub claims_clean: usize,
    /// Claims the payer answered (`expect_remittance`).
    #[serde(default)]
    pub claims_remitted: usize,
    /// Of those, claims paid in full on the first pass: not rejected, no line denied or reduced.
    #[serde(default)]
    pub claims_paid_first_pass: usize,
    /// Service lines the payer adjudicated.
    #[serde(default)]
    pub lines_adjudicated: usize,
    /// Of those, lines the payer paid nothing for.
    #[serde(default)]
    pub lines_denied: usize,
    /// Of those, lines the scrubber had reported a rule break on before the claim was sent.
    #[serde(default)]
    pub denials_predicted: usize,
    /// What the remitted claims charged, and what the payer paid for them, in cents.
    #[serde(default)]
    pub charged_cents: u64,
    #[serde(default)]
    pub paid_cents: u64,
}

impl std::ops::AddAssign for Tallies {
    fn add_assign(&mut self, o: Tallies) {
        self.sync_expected += o.sync_expected;
        self.sync_gaps += o.sync_gaps;
        self.handoff_elements += o.handoff_elements;
        self.handoff_exact += o.handoff_exact;
        self.keyed_fields += o.keyed_fields;
        self.rekeyed_fields += o.rekeyed_fields;
        self.claims_scrubbed += o.claims_scrubbed;
        self.claims_clean += o.claims_clean;
        self.claims_remitted += o.claims_remitted;
        self.claims_paid_first_pass += o.claims_paid_first_pass;
        self.lines_adjudicated += o.lines_adjudicated;
        self.lines_denied += o.lines_denied;
        self.denials_predicted += o.denials_predicted;
        self.charged_cents += o.charged_cents;
        self.paid_cents += o.paid_cents;
    }
}

/// How long a record took to appear where it was expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Latency {
    pub record: String,
    pub at: Role,
    pub ms: u64,
}

/// The id each system gave the scenario's patient: equal ids in both roles are evidence of one shared record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Identity {
    pub role: Role,
    pub patient_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    Error,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepResult {
    pub step: usize,
    pub action: String,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowOutcome {
    pub scenario: String,
    pub steps: Vec<StepResult>,
    pub findings: Vec<crate::diff::Finding>,
    pub tallies: Tallies,
    pub latencies: Vec<Latency>,
    pub identities: Vec<Identity>,
    /// Set when a system could not be reached at all.
    pub unreachable: bool,
    /// Set when the run was stopped (a deadline, a signal) before every step of this flow was done.
    pub unfinished: bool,
}

impl FlowOutcome {
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f: &Finding| f.counts)
    }

    /// Every expectation held: nothing counted against a score and every step passed.
    pub fn passed(&self) -> bool {
        !self.failed() && self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }
}
