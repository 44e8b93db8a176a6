//! Latency percentiles per record kind.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LatencyStats {
    pub count: usize,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
}

/// Nearest-rank percentiles, so every reported value is one that was observed.
pub fn latency_stats(samples: &[u64]) -> Option<LatencyStats> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    Some(LatencyStats { count: sorted.len(), p50_ms: rank(0.5), p95_ms: rank(0.95), max_ms: *sorted.last()? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = latency_stats(&[40, 10, 30, 20]).unwrap();
        assert_eq!((s.count, s.p50_ms, s.p95_ms, s.max_ms), (4, 20, 40, 40));
        assert_eq!(latency_stats(&[]), None);
    }
}
