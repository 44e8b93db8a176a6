//! Telling from the outside whether two roles share one record, are joined by an interface, or sync in batches.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::Identity;
use crate::model::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TopologyVerdict {
    /// One record: the same patient id in both roles, visible at once.
    SharedRecord,
    /// Two records joined by an interface: different ids, arriving in seconds.
    Interfaced,
    /// Two records synced in batches: different ids, typically arriving a second and a half or more later.
    BatchSynced,
    /// Not enough was observed to say: no patient in both roles, or different ids and no sync seen between them.
    Unknown,
}

impl TopologyVerdict {
    /// How a person would say it.
    pub fn label(self) -> &'static str {
        match self {
            TopologyVerdict::SharedRecord => "shared record",
            TopologyVerdict::Interfaced => "interfaced",
            TopologyVerdict::BatchSynced => "batch-synced",
            TopologyVerdict::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Topology {
    pub verdict: TopologyVerdict,
    pub evidence: String,
}

/// Median patient latency at or past which sync looks like a batch job rather than a message interface,
/// which delivers in well under a second when it works (real batch jobs run every few minutes to nightly).
const BATCH_MS: u64 = 1_500;

pub fn infer_topology(flows: &[Vec<Identity>], patient_latencies_ms: &[u64]) -> Topology {
    let pairs: Vec<(String, String)> = flows
        .iter()
        .filter_map(|ids| {
            let id = |role| ids.iter().find(|i| i.role == role).map(|i| i.patient_id.clone());
            Some((id(Role::Emr)?, id(Role::Pm)?))
        })
        .collect();
    if pairs.is_empty() {
        return Topology { verdict: TopologyVerdict::Unknown, evidence: "no patient was found in both roles".into() };
    }
    let same = pairs.iter().filter(|(e, p)| e == p).count();
    let mut sorted = patient_latencies_ms.to_vec();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len().saturating_sub(1) / 2).copied().unwrap_or(0);
    let slowest = sorted.last().copied().unwrap_or(0);
    let ids = format!("the same patient id in both roles in {same} of {} flows", pairs.len());
    let verdict = if same == pairs.len() {
        TopologyVerdict::SharedRecord
    } else if sorted.is_empty() {
        // Two records, and nothing seen to carry one to the other: staff may have keyed both.
        return Topology {
            verdict: TopologyVerdict::Unknown,
            evidence: format!("{ids}; no patient was seen to reach the other role, so nothing shows what joins them"),
        };
    } else if median >= BATCH_MS {
        TopologyVerdict::BatchSynced
    } else {
        TopologyVerdict::Interfaced
    };
    Topology { verdict, evidence: format!("{ids}; patient sync median {median} ms, slowest {slowest} ms") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(emr: &str, pm: &str) -> Vec<Identity> {
        vec![Identity { role: Role::Emr, patient_id: emr.into() }, Identity { role: Role::Pm, patient_id: pm.into() }]
    }

    #[test]
    fn one_id_in_both_roles_is_a_shared_record() {
        let t = infer_topology(&[flow("s1", "s1"), flow("s2", "s2")], &[0, 1]);
        assert_eq!(t.verdict, TopologyVerdict::SharedRecord);
        assert_eq!(
            t.evidence,
            "the same patient id in both roles in 2 of 2 flows; patient sync median 0 ms, slowest 1 ms"
        );
    }

    #[test]
    fn different_ids_are_interfaced_or_batch_by_latency() {
        assert_eq!(infer_topology(&[flow("e1", "p1")], &[500]).verdict, TopologyVerdict::Interfaced);
        assert_eq!(infer_topology(&[flow("e1", "p1")], &[2_900]).verdict, TopologyVerdict::BatchSynced);
        assert_eq!(infer_topology(&[], &[]).verdict, TopologyVerdict::Unknown);
    }

    #[test]
    fn different_ids_with_no_sync_seen_are_not_called_an_interface() {
        let t = infer_topology(&[flow("e1", "p1"), flow("e2", "p2")], &[]);
        assert_eq!(t.verdict, TopologyVerdict::Unknown);
        assert_eq!(
            t.evidence,
            "the same patient id in both roles in 0 of 2 flows; no patient was seen to reach the other role, so \
             nothing shows what joins them"
        );
    }
}
