//! Accounting for a simulator's planted faults: each one it fired should have been got past by a retry or
//! reported as a finding, so a user can check that the harness lost none.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diff::{Category, Finding, FindingKind};
use crate::mock::FaultTally;
use crate::scenario::FaultRole;

/// What a simulator's faults did in a run, and what the harness made of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FaultReport {
    /// Faults the simulator fired, by kind (`http_503`, `hang`, ...), as its `GET /$faults` tally says.
    pub fired: BTreeMap<String, u64>,
    /// Requests the harness sent again after a 429 or 503: each got past one fired `http_429` or `http_503`.
    pub retried: u64,
    /// Transport findings the flows report (`http_error`, `timeout`, `unreachable`, `malformed_response`).
    pub reported: u64,
    /// Fired faults neither retried nor reported; 0 unless the run was stopped while a faulted request was
    /// under way. `hl7_nak` is not counted here: it refuses a message between the simulator's own systems, and
    /// what it carried shows up as a sync finding rather than one finding per NAK.
    pub unaccounted: u64,
    /// Each fault where the profile lists it, with the requests it matched and the times it fired.
    pub faults: Vec<FaultFired>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FaultFired {
    pub fault: String,
    pub role: FaultRole,
    /// Where the profile lists it.
    pub line: u64,
    pub column: u64,
    /// Requests that matched its `role` and `on` and reached it.
    pub matched: u64,
    pub fired: u64,
}

/// What a client sees of each kind of fault, and the finding a fault of that kind becomes when not got past.
const ANSWERED_AS: [(&[&str], FindingKind); 4] = [
    (&["http_500", "http_503", "http_429"], FindingKind::HttpError),
    (&["hang"], FindingKind::Timeout),
    (&["reset"], FindingKind::Unreachable),
    (&["malformed_json", "wrong_content_type"], FindingKind::MalformedResponse),
];

impl FaultReport {
    /// `retried` counts requests sent again after 429 or 503; `findings` are the target's.
    pub fn account(tally: &FaultTally, retried: u64, findings: &[Finding]) -> FaultReport {
        let reported_as = |kind: FindingKind| {
            findings.iter().filter(|f| f.category == Category::System && f.kind == kind).count() as u64
        };
        let mut reported = 0;
        let mut unaccounted = 0;
        for (faults, kind) in ANSWERED_AS {
            let fired: u64 = faults.iter().map(|f| tally.fired(f)).sum();
            let got_past = if kind == FindingKind::HttpError { retried } else { 0 };
            let found = reported_as(kind);
            reported += found;
            unaccounted += fired.saturating_sub(got_past + found);
        }
        FaultReport {
            fired: tally.fired.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.to_string(), *n)).collect(),
            retried,
            reported,
            unaccounted,
            faults: tally
                .faults
                .iter()
                .map(|c| FaultFired {
                    fault: c.fault.to_string(),
                    role: c.role,
                    line: c.line,
                    column: c.column,
                    matched: c.matched,
                    fired: c.fired,
                })
                .collect(),
        }
    }

    pub fn fired_total(&self) -> u64 {
        self.fired.values().sum()
    }

    /// One line for a person: `12 fired (http_503 9, hang 3): 9 retried, 3 reported`.
    pub fn summary(&self) -> String {
        if self.fired.is_empty() {
            return "none fired".into();
        }
        let kinds: Vec<String> = self.fired.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let mut text = format!(
            "{} fired ({}): {} retried, {} reported",
            self.fired_total(),
            kinds.join(", "),
            self.retried,
            self.reported
        );
        if self.unaccounted > 0 {
            text.push_str(&format!(", {} unaccounted", self.unaccounted));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::FaultCount;
    use crate::model::Role;

    fn tally(fired: &[(&'static str, u64)]) -> FaultTally {
        FaultTally {
            fired: fired.iter().copied().collect(),
            faults: fired
                .iter()
                .map(|(fault, n)| FaultCount {
                    fault,
                    role: FaultRole::Pm,
                    line: 7,
                    column: 7,
                    matched: 10 * n,
                    fired: *n,
                })
                .collect(),
        }
    }

    fn system(kind: FindingKind) -> Finding {
        Finding::new(Category::System, kind, "s".into(), 1, "register", "patient", "", Role::Pm)
    }

    #[test]
    fn retries_and_findings_account_for_every_fault_fired() {
        // Four 503s on one request: three retries, then the fourth answer is the finding.
        let tally = tally(&[("http_503", 4), ("http_500", 1), ("hang", 1), ("malformed_json", 2)]);
        let findings = [
            system(FindingKind::HttpError),
            system(FindingKind::HttpError),
            system(FindingKind::Timeout),
            system(FindingKind::MalformedResponse),
            system(FindingKind::MalformedResponse),
        ];
        let report = FaultReport::account(&tally, 3, &findings);
        assert_eq!((report.retried, report.reported, report.unaccounted), (3, 5, 0));
        assert_eq!(report.fired_total(), 8);
        assert_eq!(
            report.summary(),
            "8 fired (hang 1, http_500 1, http_503 4, malformed_json 2): 3 retried, 5 reported"
        );
    }

    #[test]
    fn a_fault_with_neither_a_retry_nor_a_finding_is_unaccounted() {
        let tally = tally(&[("reset", 2), ("http_429", 1)]);
        let report = FaultReport::account(&tally, 1, &[system(FindingKind::Unreachable)]);
        assert_eq!(report.unaccounted, 1);
        assert!(report.summary().ends_with("1 retried, 1 reported, 1 unaccounted"), "{}", report.summary());
        // A finding of another kind does not answer for it.
        let report = FaultReport::account(&tally, 1, &[system(FindingKind::Timeout)]);
        assert_eq!(report.unaccounted, 2);
    }

    #[test]
    fn kinds_that_never_fired_are_left_out_of_the_sum() {
        let report = FaultReport::account(&tally(&[("http_503", 0)]), 0, &[]);
        assert!(report.fired.is_empty());
        assert_eq!(report.summary(), "none fired");
        assert_eq!(report.faults.len(), 1);
    }
}
