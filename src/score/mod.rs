//! Scores from tallies and observations (DESIGN §6; formulas in docs/scoring.md): sync gap, handoff accuracy, duplicate entry, latency, and the topology verdict. No I/O.

mod latency;
mod redundancy;
mod topology;

pub use latency::{LatencyStats, latency_stats};
pub use redundancy::{Offer, PaidTwice, Redundancy, redundancy};
pub use topology::{Topology, TopologyVerdict, infer_topology};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::Tallies;

/// Each score is a percentage, or null when the run measured nothing it could be computed from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Scores {
    /// Expected cross-system fields that did not agree within the window, of all expected. Lower is better.
    pub sync_gap_pct: Option<f64>,
    /// Documented billing elements that reached the claim exactly, of all documented. Higher is better.
    pub handoff_accuracy_pct: Option<f64>,
    /// Fields keyed again because they did not flow, of all fields keyed. Lower is better.
    pub duplicate_entry_pct: Option<f64>,
    /// Claims with no rule break of severity error, of all claims scrubbed. Higher is better.
    pub clean_claim_pct: Option<f64>,
    /// Claims the payer paid in full on the first pass (not rejected, no line denied or reduced), of all claims it
    /// answered. Higher is better.
    #[serde(default)]
    pub first_pass_paid_pct: Option<f64>,
    /// Denied lines the scrubber had predicted, of all denied lines. Higher is better.
    #[serde(default)]
    pub denials_predicted_pct: Option<f64>,
    /// What the payer paid, of what the remitted claims charged: the fee schedule, the patient's share and denials.
    #[serde(default)]
    pub paid_of_charged_pct: Option<f64>,
}

fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 10_000.0 / whole as f64).round() / 100.0)
}

pub fn scores(t: &Tallies) -> Scores {
    Scores {
        sync_gap_pct: pct(t.sync_gaps, t.sync_expected),
        handoff_accuracy_pct: pct(t.handoff_exact, t.handoff_elements),
        duplicate_entry_pct: pct(t.rekeyed_fields, t.keyed_fields),
        clean_claim_pct: pct(t.claims_clean, t.claims_scrubbed),
        first_pass_paid_pct: pct(t.claims_paid_first_pass, t.claims_remitted),
        denials_predicted_pct: pct(t.denials_predicted, t.lines_denied),
        paid_of_charged_pct: pct(
            usize::try_from(t.paid_cents).unwrap_or(usize::MAX),
            usize::try_from(t.charged_cents).unwrap_or(usize::MAX),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_ratios_of_tallies_to_two_decimals() {
        let t = Tallies {
            sync_expected: 30,
            sync_gaps: 2,
            handoff_elements: 44,
            handoff_exact: 42,
            keyed_fields: 80,
            rekeyed_fields: 0,
            claims_scrubbed: 4,
            claims_clean: 3,
            claims_remitted: 4,
            claims_paid_first_pass: 3,
            lines_adjudicated: 10,
            lines_denied: 2,
            denials_predicted: 1,
            charged_cents: 100_000,
            paid_cents: 61_234,
        };
        let s = scores(&t);
        assert_eq!(s.sync_gap_pct, Some(6.67));
        assert_eq!(s.handoff_accuracy_pct, Some(95.45));
        assert_eq!(s.duplicate_entry_pct, Some(0.0));
        assert_eq!(s.clean_claim_pct, Some(75.0));
        assert_eq!(s.first_pass_paid_pct, Some(75.0));
        assert_eq!(s.denials_predicted_pct, Some(50.0));
        assert_eq!(s.paid_of_charged_pct, Some(61.23));
    }

    #[test]
    fn nothing_measured_is_null_not_perfect() {
        assert_eq!(scores(&Tallies::default()).handoff_accuracy_pct, None);
    }
}
