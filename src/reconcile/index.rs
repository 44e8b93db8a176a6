//! The PM export held in compact form: each row's fields packed into one byte arena, and three indexes over it (by
//! the PM's id, by the EMR id it cross-references, by demographic key) that cost a few bytes a row, so memory grows
//! with the number of patients and not with the size of the file.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::columns::{COLUMNS, Column};

/// Keys are hashed once, by [`key_hash`], so the table need not hash them again.
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys are hashed here")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type PrehashedMap<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

/// A 64-bit hash of some byte strings, mixed so every bit depends on every byte (keys are checked against the row
/// after a lookup, so two keys with one hash are told apart).
pub fn key_hash<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3;
    for part in parts {
        for chunk in part.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(31);
        }
        // The length ends each part, so ("ab", "c") and ("a", "bc") differ.
        h = (h ^ part.len() as u64 ^ 0xff).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    // MurmurHash3's finaliser.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Rows with the same key hash, newest first: a table of heads, and for each row the next row of its chain.
#[derive(Default)]
pub struct Chains {
    heads: PrehashedMap<u32>,
    next: Vec<u32>,
}

const END: u32 = u32::MAX;

impl Chains {
    /// Chains row `slot` (rows are added in order, each once, to every index) under `hash`, or leaves it out.
    pub fn add(&mut self, slot: u32, hash: Option<u64>) {
        debug_assert_eq!(self.next.len(), slot as usize);
        let next = match hash {
            Some(hash) => self.heads.insert(hash, slot).unwrap_or(END),
            None => END,
        };
        self.next.push(next);
    }

    /// The rows chained under `hash`, oldest first.
    pub fn rows(&self, hash: u64) -> Vec<u32> {
        let mut rows = Vec::new();
        let mut slot = self.heads.get(&hash).copied().unwrap_or(END);
        while slot != END {
            rows.push(slot);
            slot = self.next[slot as usize];
        }
        rows.reverse();
        rows
    }
}

/// The PM's rows and the indexes the EMR's rows are matched through.
#[derive(Default)]
pub struct PmIndex {
    arena: Vec<u8>,
    /// Where each row starts in the arena; it ends where the next starts.
    starts: Vec<u64>,
    /// The line each row was read from, for messages.
    lines: Vec<u64>,
    pub by_id: Chains,
    pub by_xref: Chains,
    pub by_demographics: Chains,
}

/// Separates fields in the arena: a byte no text field holds.
const SEPARATOR: u8 = 0x1f;

impl PmIndex {
    /// Adds a row, its fields in [`Column`] order (empty where the export lacks the column).
    pub fn push(&mut self, fields: &[&[u8]; COLUMNS], line: u64) -> u32 {
        let slot = self.starts.len() as u32;
        self.starts.push(self.arena.len() as u64);
        self.lines.push(line);
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.arena.push(SEPARATOR);
            }
            // A separator inside a value (never seen in text) would shift the fields after it; it is dropped.
            self.arena.extend(field.iter().filter(|b| **b != SEPARATOR));
        }
        let id = fields[Column::PatientId.index()];
        let xref = fields[Column::Xref.index()];
        self.by_id.add(slot, Some(key_hash([id])));
        self.by_xref.add(slot, (!xref.is_empty()).then(|| key_hash([xref])));
        self.by_demographics.add(slot, super::matching::deterministic_key(fields));
        slot
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    pub fn line(&self, slot: u32) -> u64 {
        self.lines[slot as usize]
    }

    /// Row `slot`'s fields in [`Column`] order.
    pub fn row(&self, slot: u32) -> [&[u8]; COLUMNS] {
        let start = self.starts[slot as usize] as usize;
        let end = self.starts.get(slot as usize + 1).map(|e| *e as usize).unwrap_or(self.arena.len());
        let mut fields = [&[][..]; COLUMNS];
        for (field, value) in fields.iter_mut().zip(self.arena[start..end].split(|b| *b == SEPARATOR)) {
            *field = value;
        }
        fields
    }

    /// The rows whose own id is `id`.
    pub fn with_id(&self, id: &[u8]) -> Vec<u32> {
        let hash = key_hash([id]);
        self.by_id.rows(hash).into_iter().filter(|s| self.row(*s)[Column::PatientId.index()] == id).collect()
    }

    /// The rows that cross-reference the EMR id `emr_id`.
    pub fn referring_to(&self, emr_id: &[u8]) -> Vec<u32> {
        let hash = key_hash([emr_id]);
        self.by_xref.rows(hash).into_iter().filter(|s| self.row(*s)[Column::Xref.index()] == emr_id).collect()
    }

    /// Approximate bytes held, for the summary.
    pub fn bytes(&self) -> usize {
        self.arena.capacity() + self.starts.capacity() * 8 + self.lines.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(id: &'a str, xref: &'a str, family: &'a str) -> [&'a [u8]; COLUMNS] {
        let mut fields = [&b""[..]; COLUMNS];
        fields[0] = id.as_bytes();
        fields[1] = xref.as_bytes();
        fields[2] = family.as_bytes();
        fields
    }

    #[test]
    fn rows_read_back_as_pushed_and_are_found_by_id_and_cross_reference() {
        let mut index = PmIndex::default();
        index.push(&row("P1", "E1", "Lopez-Hernandez"), 2);
        index.push(&row("P2", "", "O'Connor"), 3);
        index.push(&row("P3", "E1", "Lopez-Hernandez"), 4);
        assert_eq!(index.row(1)[2], b"O'Connor");
        assert_eq!(index.row(2)[0], b"P3");
        assert_eq!(index.with_id(b"P2"), [1]);
        assert_eq!(index.referring_to(b"E1"), [0, 2], "oldest first");
        assert!(index.with_id(b"P9").is_empty());
        assert_eq!(index.line(2), 4);
    }

    #[test]
    fn the_parts_of_a_key_do_not_run_together() {
        assert_ne!(key_hash([&b"ab"[..], b"c"]), key_hash([&b"a"[..], b"bc"]));
        assert_eq!(key_hash([&b"P1"[..]]), key_hash([&b"P1"[..]]));
    }
}
