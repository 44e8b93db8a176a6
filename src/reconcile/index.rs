//! The PM export held in compact form: each row's fields packed into byte arenas (the batches they were read in), indexed by the PM's own id at a
//! few bytes a row, so memory grows with the number of patients and not with the size of the file. The rows an id
//! does not settle are matched in one pass over the arena (`reconciler`), so no other index over every row is built.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::batch::{HEADER, PatientBatch, unpack};
use super::columns::COLUMNS;
use super::matching::FilterBits;

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

/// The rows by the hash of their own id: an open-addressed table (linear probing, at most half full) of the
/// hash's high half beside the row, so a lookup reads one cache line of the table, and rows that share an id (or a
/// hash) sit one after another. Written here rather than taken from a map crate so that a batch of lookups can
/// touch the lines it is about to read first, and the processor fetches them all at once.
#[derive(Default)]
pub struct IdTable {
    /// `(hash >> 32) << 32 | (row + 1)`; 0 is an empty place.
    places: Vec<u64>,
    /// Each row's hash, to place the rows again when the table grows.
    hashes: Vec<u64>,
}

impl IdTable {
    /// Adds row `row` (rows are added in order, each once) under `hash`.
    pub fn add(&mut self, row: u32, hash: u64) {
        debug_assert_eq!(self.hashes.len(), row as usize);
        assert!(row < u32::MAX, "more than 2^32 - 1 rows in one index");
        self.hashes.push(hash);
        if self.hashes.len() * 2 > self.places.len() {
            self.grow();
        } else {
            place(&mut self.places, row, hash);
        }
    }

    /// Makes room for `rows` rows in all, places and hashes, so that the rows already placed (and those to come)
    /// are not placed again each time the table doubles: for a million rows, growing placed them twice over.
    pub fn reserve(&mut self, rows: usize) {
        self.hashes.reserve(rows.saturating_sub(self.hashes.len()));
        if rows * 2 > self.places.len() {
            self.resize(rows * 2);
        }
    }

    fn grow(&mut self) {
        self.resize(self.hashes.len() * 2);
    }

    /// Places every row again in a table of at least `places` places.
    fn resize(&mut self, places: usize) {
        let size = places.next_power_of_two().max(1024);
        self.places = vec![0; size];
        for (row, hash) in self.hashes.iter().enumerate() {
            place(&mut self.places, row as u32, *hash);
        }
    }

    fn start(&self, hash: u64) -> usize {
        hash as usize & (self.places.len() - 1)
    }

    /// The rows whose hash is `hash` (and, rarely, a row whose hash shares its high half and place).
    pub fn rows(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let mask = self.places.len().wrapping_sub(1);
        let start = if self.places.is_empty() { 0 } else { self.start(hash) };
        let tag = hash >> 32;
        (0..self.places.len())
            .map(move |i| self.places[(start + i) & mask])
            .take_while(|place| *place != 0)
            .filter(move |place| place >> 32 == tag)
            .map(|place| (place as u32) - 1)
    }

    /// Reads the place a lookup of `hash` starts at, so that it is in the cache when the lookup comes.
    pub fn touch(&self, hash: u64) -> u64 {
        if self.places.is_empty() { 0 } else { self.places[self.start(hash)] }
    }
}

fn place(places: &mut [u64], row: u32, hash: u64) {
    let mask = places.len() - 1;
    let mut at = hash as usize & mask;
    while places[at] != 0 {
        at = (at + 1) & mask;
    }
    places[at] = (hash >> 32) << 32 | u64::from(row + 1);
}

/// The PM's rows and the indexes the EMR's rows are matched through.
#[derive(Default)]
pub struct PmIndex {
    /// The arenas of the batches the rows were read in, kept as they came rather than copied into one.
    arenas: Vec<Vec<u8>>,
    /// The export each arena's rows came from (a batch holds rows of one export).
    files: Vec<usize>,
    /// Whether each export carries the PM's own ids, which the EMR's cross-references are compared with (an 837
    /// carries member ids in their place).
    own_ids: Vec<bool>,
    /// Where each row starts: its arena in the high 32 bits, its offset there in the low ones.
    starts: Vec<u64>,
    /// Each row's deterministic key and member id hash ([`keys_of`]; 0 for none), worked out as the rows arrive,
    /// while the other thread is still reading, for the passes that look for duplicates and demographic matches.
    keys: Vec<(u64, u64)>,
    /// Each row's [`FilterBits`], worked out with `keys`, for the pass that looks for fuzzy matches.
    filter_bits: Vec<FilterBits>,
    /// Each row's cross-reference hash (0 for none), for the same passes: they then read a row only when its
    /// cross-reference is one they look for.
    xrefs: Vec<u64>,
    /// The line each row was read from, for messages.
    lines: Vec<u64>,
    by_id: IdTable,
}

impl PmIndex {
    /// Adds a batch of rows, packed as the arena packs them (each row is the length of each field, then the
    /// fields, so a field is found without scanning the ones before it). The index keeps the batch's arena; the
    /// rest of the batch can be used again.
    pub fn append(&mut self, batch: &mut PatientBatch) {
        let arena = (self.arenas.len() as u64) << 32;
        self.starts.extend(batch.starts.iter().map(|s| arena | u64::from(*s)));
        self.lines.extend_from_slice(&batch.lines);
        let first = self.starts.len() as u32 - batch.len() as u32;
        if batch.keys.len() != batch.len() {
            batch.work_out_keys();
        }
        for (i, hash) in batch.id_hashes.iter().enumerate() {
            self.by_id.add(first + i as u32, *hash);
        }
        let first_key = self.keys.len();
        self.xrefs.extend_from_slice(&batch.xref_hashes);
        self.keys.extend_from_slice(&batch.keys);
        self.filter_bits.extend_from_slice(&batch.filter_bits);
        debug_assert_eq!(first_key, first as usize);
        let mut arena = std::mem::take(&mut batch.arena);
        // A batch of long rows grew its arena by doubling; what it did not fill is given back.
        if arena.capacity() - arena.len() > arena.len() / 8 {
            arena.shrink_to_fit();
        }
        self.arenas.push(arena);
        self.files.push(batch.file);
    }

    /// Makes room for about `rows` rows in all, so that the index's lists need not be copied as they grow.
    pub fn reserve(&mut self, rows: usize) {
        let more = rows.saturating_sub(self.len());
        self.starts.reserve(more);
        self.lines.reserve(more);
        self.keys.reserve(more);
        self.filter_bits.reserve(more);
        self.xrefs.reserve(more);
        self.by_id.reserve(rows);
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

    /// Says which of the PM's exports carry the PM's own ids, in the order they were given.
    pub fn set_own_ids(&mut self, own_ids: Vec<bool>) {
        self.own_ids = own_ids;
    }

    /// Whether row `slot`'s export carries the PM's own ids.
    pub fn own_ids(&self, slot: u32) -> bool {
        self.own_ids.get(self.file(slot)).copied().unwrap_or(true)
    }

    /// Which of the PM's exports row `slot` was read from, in the order they were given.
    pub fn file(&self, slot: u32) -> usize {
        self.files[(self.starts[slot as usize] >> 32) as usize]
    }

    /// Row `slot`'s [`FilterBits`].
    pub fn filter_bits(&self, slot: u32) -> FilterBits {
        self.filter_bits[slot as usize]
    }

    /// Row `slot`'s deterministic key and member id hash, as [`keys_of`] gives them.
    pub fn keys(&self, slot: u32) -> (Option<u64>, Option<u64>) {
        let (key, member) = self.keys[slot as usize];
        ((key != 0).then_some(key), (member != 0).then_some(member))
    }

    /// The [`key_hash`] of row `slot`'s cross-reference, if it has one.
    pub fn xref_hash(&self, slot: u32) -> Option<u64> {
        Some(self.xrefs[slot as usize]).filter(|h| *h != 0)
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

    /// [`PmIndex::with_id`] for many ids (each with its [`key_hash`]) into `found`. The memory each lookup will
    /// read — its place in the id table, the row's start, the row — is read first for all of them in passes of
    /// loads alone, which the processor overlaps, so the lookups then find it in the cache instead of waiting on
    /// each miss in turn.
    pub fn with_ids(&self, ids: &[(&[u8], u64)], found: &mut Vec<Option<u32>>) {
        let mut touched = 0u64;
        for (_, hash) in ids {
            touched ^= self.by_id.touch(*hash);
        }
        let candidates: Vec<Option<u32>> = ids.iter().map(|(_, hash)| self.by_id.rows(*hash).next()).collect();
        for row in candidates.iter().flatten() {
            touched ^= self.starts[*row as usize];
        }
        for row in candidates.iter().flatten() {
            let (arena, start) = self.at(*row);
            touched ^= u64::from(arena[start]);
        }
        std::hint::black_box(touched);
        found.extend(ids.iter().map(|(id, hash)| self.with_id(id, *hash)));
    }

    /// Approximate bytes held, for the summary.
    pub fn bytes(&self) -> usize {
        self.arenas.iter().map(Vec::capacity).sum::<usize>()
            + (self.starts.capacity() + self.lines.capacity() + 2 * self.keys.capacity()) * 8
            + self.filter_bits.capacity() * std::mem::size_of::<FilterBits>()
            + self.xrefs.capacity() * 8
            + (self.by_id.places.capacity() + self.by_id.hashes.capacity()) * 8
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
        index.append(&mut batch);
        let mut batch = PatientBatch::default();
        batch.push(&row("P3", "E1", "Lopez-Hernandez"), 4);
        index.append(&mut batch);
        assert_eq!(index.row(1)[2], b"O'Connor");
        assert_eq!(index.row(2)[0], b"P3");
        assert_eq!(with_id(&index, "P2"), Some(1));
        assert_eq!(with_id(&index, "P9"), None);
        assert_eq!(index.line(2), 4);
        let mut batch = PatientBatch::default();
        batch.push(&row("P2", "", "O'Connor"), 5);
        index.append(&mut batch);
        assert_eq!(with_id(&index, "P2"), None, "an id two rows hold settles nothing");
        assert_eq!(index.len(), 4);
    }

    #[test]
    fn the_id_table_finds_every_row_as_it_grows_and_many_lookups_agree_with_one_at_a_time() {
        let mut index = PmIndex::default();
        let ids: Vec<String> = (0..5_000).map(|i| format!("P{i}")).collect();
        for chunk in ids.chunks(700) {
            let mut batch = PatientBatch::default();
            for (i, id) in chunk.iter().enumerate() {
                batch.push(&row(id, "", "Lopez"), i as u64 + 2);
            }
            index.append(&mut batch);
        }
        // Two rows with one id settle nothing; an id no row has finds nothing.
        let mut batch = PatientBatch::default();
        batch.push(&row("P4321", "", "Lopez"), 9_999);
        index.append(&mut batch);
        let asked: Vec<(&[u8], u64)> = ["P0", "P4999", "P4321", "P5000", "P1234"]
            .iter()
            .map(|id| (id.as_bytes(), key_hash([id.as_bytes()])))
            .collect();
        let mut found = Vec::new();
        index.with_ids(&asked, &mut found);
        assert_eq!(found, [Some(0), Some(4999), None, None, Some(1234)]);
        let one_at_a_time: Vec<Option<u32>> = asked.iter().map(|(id, hash)| index.with_id(id, *hash)).collect();
        assert_eq!(found, one_at_a_time);
        assert!(index.by_id.places.len() >= 2 * index.len(), "at most half full");
    }

    #[test]
    fn a_table_sized_ahead_places_each_row_once_and_finds_it() {
        let hash = |row: u32| key_hash([&row.to_le_bytes()[..]]);
        let mut table = IdTable::default();
        table.add(0, hash(0));
        table.reserve(3_000);
        let size = table.places.len();
        assert_eq!(size, 8_192, "room for 3,000 rows at most half full");
        for row in 1..3_000 {
            table.add(row, hash(row));
        }
        assert_eq!(table.places.len(), size, "not grown");
        for row in [0, 1_234, 2_999] {
            assert_eq!(table.rows(hash(row)).collect::<Vec<_>>(), [row], "row {row}");
        }
    }

    #[test]
    fn the_parts_of_a_key_do_not_run_together() {
        assert_ne!(key_hash([&b"ab"[..], b"c"]), key_hash([&b"a"[..], b"bc"]));
        assert_eq!(key_hash([&b"P1"[..]]), key_hash([&b"P1"[..]]));
    }
}
