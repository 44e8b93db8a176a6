//! `--partition k/n`: one deterministic shard of a run's flows, so CI can split a suite across runners.

use std::fmt;
use std::str::FromStr;

/// Shard `k` of `n` (1-based): the flows whose position in the run's stable order, counted from 0, is `k − 1`
/// modulo `n`. The order is the scenario files sorted by path, each expanded to its generated patients, so every
/// runner given the same files and `--patients`/`--seed` cuts the same shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub shard: u64,
    pub of: u64,
}

impl Partition {
    /// The items of this shard, in their order.
    pub fn select<T>(&self, items: Vec<T>) -> Vec<T> {
        (0u64..).zip(items).filter(|(i, _)| i % self.of == self.shard - 1).map(|(_, item)| item).collect()
    }
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Partition, String> {
        let hint = "write it as k/n with 1 ≤ k ≤ n, for example --partition 2/4 for the second of four shards";
        let (k, n) = text.split_once('/').ok_or_else(|| format!("`{text}` is not a shard: {hint}"))?;
        let number = |part: &str| part.trim().parse::<u64>().map_err(|_| format!("`{text}` is not a shard: {hint}"));
        let (shard, of) = (number(k)?, number(n)?);
        if of == 0 || shard == 0 || shard > of {
            return Err(format!("`{text}` names no shard: {hint}"));
        }
        Ok(Partition { shard, of })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.shard, self.of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shards_are_disjoint_and_their_union_is_the_whole() {
        let flows: Vec<u32> = (0..23).collect();
        let shards: Vec<Vec<u32>> = (1..=4).map(|k| Partition { shard: k, of: 4 }.select(flows.clone())).collect();
        assert_eq!(shards[0], [0, 4, 8, 12, 16, 20]);
        assert_eq!(shards[3], [3, 7, 11, 15, 19]);
        let mut union: Vec<u32> = shards.concat();
        union.sort();
        assert_eq!(union, flows);
    }

    #[test]
    fn one_shard_of_one_is_everything() {
        assert_eq!(Partition { shard: 1, of: 1 }.select(vec!["a", "b"]), ["a", "b"]);
    }

    #[test]
    fn reads_k_of_n_and_refuses_what_names_no_shard() {
        assert_eq!("2/4".parse(), Ok(Partition { shard: 2, of: 4 }));
        for bad in ["0/4", "5/4", "1/0", "2", "a/b", "-1/3", ""] {
            let error = bad.parse::<Partition>().unwrap_err();
            assert!(error.contains("1 ≤ k ≤ n"), "{bad}: {error}");
        }
    }
}
