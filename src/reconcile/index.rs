//! The PM export held in compact form: each row's fields packed into byte arenas (the batches they were read in), indexed by the PM's own id at a
//! few bytes a row, so memory grows with the number of patients and not with the size of the file. The rows an id
//! does not settle are matched in one pass over the arena (`reconciler`), so no other index over every row is built.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::batch::{HEADER, PatientBatch, unpack};
use super::columns::COLUMNS;

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
    /// Each hash's newest row, with [`MORE`] set when older rows follow it, so a lookup of a hash only one row has
    /// (nearly every one) need not read the chain.
    heads: PrehashedMap<u32>,
    next: Vec<u32>,
}

const END: u32 = u32::MAX;

/// The bit of a head that says its chain goes on; rows are numbered below it.
const MORE: u32 = 1 << 31;

impl Chains {
    /// Chains row `slot` (rows are added in order, each once, to every index) under `hash`, or leaves it out.
    pub fn add(&mut self, slot: u32, hash: Option<u64>) {
        debug_assert_eq!(self.next.len(), slot as usize);
        assert!(slot < MORE, "more than 2^31 rows in one index");
        let next = match hash {
            Some(hash) => match self.heads.insert(hash, slot) {
                Some(older) => {
                    self.heads.insert(hash, slot | MORE);
                    older & !MORE
                }
                None => END,
            },
            None => END,
        };
        self.next.push(next);
    }

    /// Makes room for `more` rows, so the table grows once a batch rather than once a doubling.
    pub fn reserve(&mut self, more: usize) {
        self.heads.reserve(more);
        self.next.reserve(more);
    }

    /// The rows chained under `hash`, newest first.
    pub fn rows(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let head = self.heads.get(&hash).copied().unwrap_or(END);
        let (first, more) = if head == END { (None, false) } else { (Some(head & !MORE), head & MORE != 0) };
        let after = move |slot: &u32| Some(self.next[*slot as usize]).filter(|next| more && *next != END);
        std::iter::successors(first, after)
    }
}

/// The PM's rows and the indexes the EMR's rows are matched through.
#[derive(Default)]
pub struct PmIndex {
    /// The arenas of the batches the rows were read in, kept as they came rather than copied into one.
    arenas: Vec<Vec<u8>>,
    /// Where each row starts: its arena in the high 32 bits, its offset there in the low ones.
    starts: Vec<u64>,
    /// The line each row was read from, for messages.
    lines: Vec<u64>,
    by_id: Chains,
}

impl PmIndex {
    /// Adds a batch of rows, packed as the arena packs them (each row is the length of each field, then the
    /// fields, so a field is found without scanning the ones before it).
    pub fn append(&mut self, batch: PatientBatch) {
        let arena = (self.arenas.len() as u64) << 32;
        self.starts.extend(batch.starts.iter().map(|s| arena | u64::from(*s)));
        self.lines.extend_from_slice(&batch.lines);
        let first = self.by_id.next.len() as u32;
        self.by_id.reserve(batch.len());
        for (i, hash) in batch.id_hashes.iter().enumerate() {
            self.by_id.add(first + i as u32, Some(*hash));
        }
        let mut arena = batch.arena;
        // A batch of long rows grew its arena by doubling; what it did not fill is given back.
        if arena.capacity() - arena.len() > arena.len() / 8 {
            arena.shrink_to_fit();
        }
        self.arenas.push(arena);
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

    /// Row `slot`'s arena and where in it the row starts.
    fn at(&self, slot: u32) -> (&[u8], usize) {
        let start = self.starts[slot as usize];
        (&self.arenas[(start >> 32) as usize], (start & u64::from(u32::MAX)) as usize)
    }

    /// Row `slot`'s fields in [`Column`] order.
    pub fn row(&self, slot: u32) -> [&[u8]; COLUMNS] {
        let (arena, start) = self.at(slot);
        unpack(arena, start)
    }

    /// Row `slot`'s own id, the first field.
    fn id(&self, slot: u32) -> &[u8] {
        let (arena, start) = self.at(slot);
        let len = usize::from(u16::from_le_bytes([arena[start], arena[start + 1]]));
        &arena[start + HEADER..start + HEADER + len]
    }

    /// The one row whose own id is `id`, whose [`key_hash`] is `hash`: none when no row or more than one has it.
    pub fn with_id(&self, id: &[u8], hash: u64) -> Option<u32> {
        let mut found = None;
        for slot in self.by_id.rows(hash) {
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
        self.arenas.iter().map(Vec::capacity).sum::<usize>() + self.starts.capacity() * 8 + self.lines.capacity() * 8
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

    fn with_id(index: &PmIndex, id: &str) -> Option<u32> {
        index.with_id(id.as_bytes(), key_hash([id.as_bytes()]))
    }

    #[test]
    fn rows_read_back_as_appended_and_are_found_by_id() {
        let mut index = PmIndex::default();
        let mut batch = PatientBatch::default();
        batch.push(&row("P1", "E1", "Lopez-Hernandez"), 2);
        batch.push(&row("P2", "", "O'Connor"), 3);
        index.append(batch);
        let mut batch = PatientBatch::default();
        batch.push(&row("P3", "E1", "Lopez-Hernandez"), 4);
        index.append(batch);
        assert_eq!(index.row(1)[2], b"O'Connor");
        assert_eq!(index.row(2)[0], b"P3");
        assert_eq!(with_id(&index, "P2"), Some(1));
        assert_eq!(with_id(&index, "P9"), None);
        assert_eq!(index.line(2), 4);
        let mut batch = PatientBatch::default();
        batch.push(&row("P2", "", "O'Connor"), 5);
        index.append(batch);
        assert_eq!(with_id(&index, "P2"), None, "an id two rows hold settles nothing");
        assert_eq!(index.len(), 4);
    }

    #[test]
    fn the_parts_of_a_key_do_not_run_together() {
        assert_ne!(key_hash([&b"ab"[..], b"c"]), key_hash([&b"a"[..], b"bc"]));
        assert_eq!(key_hash([&b"P1"[..]]), key_hash([&b"P1"[..]]));
    }
}
