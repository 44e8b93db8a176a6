//! A finding: one typed difference or failure, with the evidence a person needs to act on it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A record or field that did not arrive, or arrived different, in the other system.
    Sync,
    /// A documented billing element that did not reach the claim exactly.
    Handoff,
    /// Work done twice: fields keyed again, records duplicated, functions paid for twice.
    Redundancy,
    /// A claim that breaks a coding or billing rule.
    Rule,
    /// A system that failed to do what was asked.
    System,
    /// What the payer did not pay: a denied or reduced line, a rejected claim (docs/payer.md).
    Payment,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sync => "sync",
            Category::Handoff => "handoff",
            Category::Redundancy => "redundancy",
            Category::Rule => "rule",
            Category::System => "system",
            Category::Payment => "payment",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    MissingRecord,
    MissingField,
    Mismatch,
    Truncated,
    Late,
    DuplicateRecord,
    /// Differs only in form (case, spacing, punctuation, abbreviations): reported, but agrees.
    FormatOnly,
    Changed,
    Dropped,
    Added,
    DuplicateEntry,
    Unreachable,
    Timeout,
    HttpError,
    MalformedResponse,
    NotSupported,
    /// A system, clearinghouse or payer refused what it was sent and said why: an HL7 v2 AE/AR, a 999 or 277CA
    /// rejection (the claim never reached adjudication).
    Rejected,
    Configuration,
    /// The claim breaks a coding or billing rule.
    RuleBreak,
    /// The payer paid nothing for a line it adjudicated.
    Denied,
    /// The payer paid a line, but less than its contract allows (a reduction other than CO-45 or the patient's share).
    Reduced,
    /// The scrubber predicted a denial the payer did not make; reported, but it costs nothing.
    NotDenied,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::MissingRecord => "missing_record",
            FindingKind::MissingField => "missing_field",
            FindingKind::Mismatch => "mismatch",
            FindingKind::Truncated => "truncated",
            FindingKind::Late => "late",
            FindingKind::DuplicateRecord => "duplicate_record",
            FindingKind::FormatOnly => "format_only",
            FindingKind::Changed => "changed",
            FindingKind::Dropped => "dropped",
            FindingKind::Added => "added",
            FindingKind::DuplicateEntry => "duplicate_entry",
            FindingKind::Unreachable => "unreachable",
            FindingKind::Timeout => "timeout",
            FindingKind::HttpError => "http_error",
            FindingKind::MalformedResponse => "malformed_response",
            FindingKind::NotSupported => "not_supported",
            FindingKind::Rejected => "rejected",
            FindingKind::Configuration => "configuration",
            FindingKind::RuleBreak => "rule_break",
            FindingKind::Denied => "denied",
            FindingKind::Reduced => "reduced",
            FindingKind::NotDenied => "not_denied",
        }
    }

    pub fn from_adapter_kind(kind: &str) -> FindingKind {
        match kind {
            "unreachable" => FindingKind::Unreachable,
            "timeout" => FindingKind::Timeout,
            "http_error" => FindingKind::HttpError,
            "malformed_response" => FindingKind::MalformedResponse,
            "not_supported" => FindingKind::NotSupported,
            "rejected" => FindingKind::Rejected,
            _ => FindingKind::Configuration,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RuleEvidence {
    pub id: String,
    pub carc: String,
    pub charge_at_risk: f64,
}

/// What the payer did not pay and why, next to what the scrubber predicted for the same line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Denial {
    /// The payer's reason: the CARC with its group (`CO-97`), or the front-door status of a rejected claim.
    pub carc: String,
    /// What the payer did not pay for it.
    pub amount: f64,
    /// The rule break the scrubber reported on the same line before the claim was sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted: Option<RuleEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub category: Category,
    pub kind: FindingKind,
    pub scenario: String,
    /// 1-based position of the step in the scenario.
    pub step: usize,
    /// The step's action (`expect_synced`, `expect_claim`, ...).
    pub action: String,
    /// The kind of record (`patient`, `appointment`, `charge`, `claim`, ...).
    pub record: String,
    /// The field within the record, as a path (`name.family`, `line[1].modifier[2]`).
    pub field: String,
    /// What should have been there.
    pub expected: Value,
    /// What the system held (null if nothing).
    pub actual: Value,
    /// The system the actual value was read from.
    pub system: Role,
    /// For billing elements: where on the way from chart to claim the value first changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hop: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// For rule breaks: the rule, the denial it predicts (CARC, `CO-97`) and the charge at risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleEvidence>,
    /// For payment findings: the payer's reason, the money, and the prediction it is held against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<Denial>,
    /// False for differences that are reported but do not count against a score.
    pub counts: bool,
    pub message: String,
}

impl Finding {
    /// A finding about `field` of a `record` in `system`, counted unless it is a difference of form only; the
    /// values and the message are the caller's to fill in.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        category: Category,
        kind: FindingKind,
        scenario: String,
        step: usize,
        action: &str,
        record: &str,
        field: &str,
        system: Role,
    ) -> Finding {
        Finding {
            category,
            kind,
            scenario,
            step,
            action: action.to_string(),
            record: record.to_string(),
            field: field.to_string(),
            expected: Value::Null,
            actual: Value::Null,
            system,
            hop: None,
            latency_ms: None,
            rule: None,
            denial: None,
            counts: kind != FindingKind::FormatOnly,
            message: String::new(),
        }
    }
}
