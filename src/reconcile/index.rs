//! The PM export held in compact form: each row's fields packed into one byte arena, indexed by the PM's own id at a
//! few bytes a row, so memory grows with the number of patients and not with the size of the file. The rows an id
//! does not settle are matched in one pass over the arena (`reconciler`), so no other index over every row is built.

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

    /// The rows chained under `hash`, newest first.
    pub fn rows(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let head = self.heads.get(&hash).copied().unwrap_or(END);
        let after = |slot: &u32| Some(self.next[*slot as usize]).filter(|next| *next != END);
        std::iter::successors(Some(head).filter(|head| *head != END), after)
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
    by_id: Chains,
}

/// Each row in the arena is the length of each field (two bytes each), then the fields one after another, so a
/// field is found without scanning the ones before it.
const HEADER: usize = 2 * COLUMNS;

impl PmIndex {
    /// Adds a row, its fields in [`Column`] order (empty where the export lacks the column). A field longer than
    /// 65,535 bytes (no demographic is) keeps its first 65,535.
    pub fn push(&mut self, fields: &[&[u8]; COLUMNS], line: u64) -> u32 {
        let slot = self.starts.len() as u32;
        self.starts.push(self.arena.len() as u64);
        self.lines.push(line);
        let fields = fields.map(|f| &f[..f.len().min(usize::from(u16::MAX))]);
        for field in &fields {
            self.arena.extend_from_slice(&(field.len() as u16).to_le_bytes());
        }
        for field in &fields {
            self.arena.extend_from_slice(field);
        }
        self.by_id.add(slot, Some(key_hash([fields[Column::PatientId.index()]])));
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
        let lengths = &self.arena[start..start + HEADER];
        let mut at = start + HEADER;
        std::array::from_fn(|i| {
            let len = usize::from(u16::from_le_bytes([lengths[2 * i], lengths[2 * i + 1]]));
            at += len;
            &self.arena[at - len..at]
        })
    }

    /// Row `slot`'s own id, the first field.
    fn id(&self, slot: u32) -> &[u8] {
        let start = self.starts[slot as usize] as usize;
        let len = usize::from(u16::from_le_bytes([self.arena[start], self.arena[start + 1]]));
        &self.arena[start + HEADER..start + HEADER + len]
    }

    /// The one row whose own id is `id`: none when no row or more than one has it.
    pub fn with_id(&self, id: &[u8]) -> Option<u32> {
        let mut found = None;
        for slot in self.by_id.rows(key_hash([id])) {
            if self.id(slot) == id {
                if found.is_some() {
                    return None;
                }
                found = Some(slot);
            }
        }
        found
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
    fn rows_read_back_as_pushed_and_are_found_by_id() {
        let mut index = PmIndex::default();
        index.push(&row("P1", "E1", "Lopez-Hernandez"), 2);
        index.push(&row("P2", "", "O'Connor"), 3);
        index.push(&row("P3", "E1", "Lopez-Hernandez"), 4);
        assert_eq!(index.row(1)[2], b"O'Connor");
        assert_eq!(index.row(2)[0], b"P3");
        assert_eq!(index.with_id(b"P2"), Some(1));
        assert_eq!(index.with_id(b"P9"), None);
        index.push(&row("P2", "", "O'Connor"), 5);
        assert_eq!(index.with_id(b"P2"), None, "an id two rows hold settles nothing");
        assert_eq!(index.line(2), 4);
    }

    #[test]
    fn the_parts_of_a_key_do_not_run_together() {
        assert_ne!(key_hash([&b"ab"[..], b"c"]), key_hash([&b"a"[..], b"bc"]));
        assert_eq!(key_hash([&b"P1"[..]]), key_hash([&b"P1"[..]]));
    }
}
