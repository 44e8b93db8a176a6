//! Patients read off an export in batches on a thread of their own, packed as the PM index packs them, so reading
//! and parsing one file overlaps with indexing or matching the rows read before.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use super::blocks::{Prepare, ReadAhead, read_in_blocks};
use super::columns::{COLUMNS, Column};
use super::compared::all_same;
use super::duplicates::keys_of;
use super::export::{Fields, InputProblem, PatientExport, columns_carried};
use super::index::{PmIndex, key_hash};
use super::matching::FilterBits;

/// How many patients go in a batch: large enough that handing one over costs nothing, small enough that the
/// batches in flight stay a few megabytes.
const BATCH: usize = 8_192;

/// A batch is also handed over once its arena holds this many bytes, so offsets in it fit 32 bits whatever the
/// rows are like.
const ARENA_BYTES: usize = 64 << 20;

/// How many batches may wait to be taken: the reader runs at most this far ahead.
const IN_FLIGHT: usize = 4;

/// Patients packed one after another: each is the length of each field (two bytes each), then the fields, each
/// followed by a separator.
#[derive(Debug, Default)]
pub struct PatientBatch {
    /// Which export of its side the batch came from, in the order the exports were given.
    pub file: usize,
    pub arena: Vec<u8>,
    /// Where each patient starts in the arena; it ends where the next starts.
    pub starts: Vec<u32>,
    pub lines: Vec<u64>,
    /// For a PM batch, the hash of each patient's own id, worked out with `keys`; an EMR patient's is not needed.
    pub id_hashes: Vec<u64>,
    /// The hash of each patient's cross-reference, for the same reason; 0 where there is none.
    pub xref_hashes: Vec<u64>,
    /// For an EMR batch, the PM row each patient's cross-reference names, where exactly one does.
    pub xref_rows: Vec<Option<u32>>,
    /// For an EMR batch whose cross-references the reading thread looked up: for each patient matched so, how many
    /// columns are compared with the PM row, when all of them hold the same bytes ([`all_same`]); `None` for one
    /// that differs or was not looked at, which the thread that keeps the findings compares itself.
    pub same: Vec<Option<u8>>,
    /// For a PM batch, each patient's [`keys_of`] (0 for none), when the reading thread had time to work them out;
    /// otherwise empty, and the thread that indexes the batch works them out.
    pub keys: Vec<(u64, u64)>,
    /// For a PM batch, each patient's [`FilterBits`], worked out with `keys`.
    pub filter_bits: Vec<FilterBits>,
}

/// Each packed patient begins with its fields' lengths.
pub const HEADER: usize = 2 * COLUMNS;

impl PatientBatch {
    /// An empty batch for patients of export `file`.
    pub fn for_file(file: usize) -> PatientBatch {
        PatientBatch { file, arena: Vec::with_capacity(BATCH * 160), ..PatientBatch::default() }
    }

    /// Whether the batch should be handed over before another patient is packed.
    pub fn is_full(&self) -> bool {
        self.len() == BATCH || self.arena.len() >= ARENA_BYTES
    }

    /// A batch handed back once its patients were taken, emptied for the next ones of `file`. Reusing its memory
    /// rather than asking for more matters more than it seems: memory a process touches for the first time costs
    /// a page fault and the zeroing of the page, which for a million patients was a third of the run's time.
    fn reused(mut self, file: usize) -> PatientBatch {
        self.file = file;
        self.arena.clear();
        self.arena.reserve(BATCH * 160);
        self.starts.clear();
        self.lines.clear();
        self.id_hashes.clear();
        self.xref_hashes.clear();
        self.xref_rows.clear();
        self.same.clear();
        self.keys.clear();
        self.filter_bits.clear();
        self
    }

    /// A batch handed back on `spent` emptied for patients of `file`, or a new one when none is waiting.
    pub fn spent_or_new(spent: &Mutex<Receiver<PatientBatch>>, file: usize) -> PatientBatch {
        let reused = spent.lock().ok().and_then(|spent| spent.try_recv().ok());
        reused.map_or_else(|| PatientBatch::for_file(file), |batch| batch.reused(file))
    }

    /// Works out `keys`, `filter_bits` and `id_hashes` for every patient.
    pub fn work_out_keys(&mut self) {
        let mut keys = std::mem::take(&mut self.keys);
        let mut filter_bits = std::mem::take(&mut self.filter_bits);
        let mut id_hashes = std::mem::take(&mut self.id_hashes);
        keys.clear();
        filter_bits.clear();
        id_hashes.clear();
        for i in 0..self.len() {
            let fields = self.get(i);
            let (key, member) = keys_of(&fields);
            keys.push((key.unwrap_or(0), member.unwrap_or(0)));
            filter_bits.push(FilterBits::of(&fields));
            id_hashes.push(key_hash([fields[Column::PatientId.index()]]));
        }
        (self.keys, self.filter_bits, self.id_hashes) = (keys, filter_bits, id_hashes);
    }

    /// Packs a patient; a field longer than 65,535 bytes (no demographic is) keeps its first 65,535.
    pub fn push(&mut self, fields: &Fields<'_>, line: u64) {
        self.push_cut(fields, line, &[]);
    }

    /// [`PatientBatch::push`] for fields cut from `row`, the bytes of the CSV row they were read from.
    pub fn push_cut(&mut self, fields: &Fields<'_>, line: u64, row: &[u8]) {
        self.starts.push(self.arena.len() as u32);
        self.lines.push(line);
        let fields = fields.map(|f| &f[..f.len().min(usize::from(u16::MAX))]);
        let mut header = [0u8; HEADER];
        for (i, field) in fields.iter().enumerate() {
            header[2 * i..2 * i + 2].copy_from_slice(&(field.len() as u16).to_le_bytes());
        }
        self.arena.extend_from_slice(&header);
        match contiguous(&fields, row) {
            // A CSV row whose columns come in order, unquoted: its fields lie one separator apart in the reader's
            // buffer, and go in with one copy, separators and all.
            Some(span) => self.arena.extend_from_slice(span),
            None => {
                for field in &fields {
                    self.arena.extend_from_slice(field);
                    self.arena.push(SEPARATOR);
                }
            }
        }
        let xref = fields[Column::Xref.index()];
        self.xref_hashes.push(if xref.is_empty() { 0 } else { key_hash([xref]) });
    }

    /// Packs a CSV row whose fourteen fields are in [`Column`] order, given as where each starts and ends in
    /// `data`, one byte after the one before it ends, as the CSV reader cuts them: the row goes in with one copy,
    /// without its fields being looked at one by one. `false`, with nothing packed, for fields laid out otherwise
    /// or one too long for its length to be kept, which [`PatientBatch::push_cut`] packs.
    pub fn push_in_order(&mut self, cuts: &[(usize, usize)], data: &[u8], line: u64) -> bool {
        let Ok(cuts) = <&[(usize, usize); COLUMNS]>::try_from(cuts) else { return false };
        let mut header = [0u8; HEADER];
        let mut end = cuts[0].0;
        for (i, &(from, to)) in cuts.iter().enumerate() {
            let Ok(len) = u16::try_from(to.wrapping_sub(from)) else { return false };
            if from != end + usize::from(i > 0) {
                return false;
            }
            header[2 * i..2 * i + 2].copy_from_slice(&len.to_le_bytes());
            end = to;
        }
        let Some(span) = data.get(cuts[0].0..end) else { return false };
        let xref = &data[cuts[1].0..cuts[1].1];
        self.starts.push(self.arena.len() as u32);
        self.lines.push(line);
        self.arena.extend_from_slice(&header);
        self.arena.extend_from_slice(span);
        self.xref_hashes.push(if xref.is_empty() { 0 } else { key_hash([xref]) });
        true
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Patient `i`'s cross-reference, the second field, without the others unpacked.
    pub fn xref(&self, i: usize) -> &[u8] {
        let start = self.starts[i] as usize;
        let length = |at: usize| usize::from(u16::from_le_bytes([self.arena[at], self.arena[at + 1]]));
        let from = start + HEADER + length(start) + 1;
        &self.arena[from..from + length(start + 2)]
    }

    /// Patient `i`'s fields in [`Column`] order.
    pub fn get(&self, i: usize) -> Fields<'_> {
        let start = self.starts[i] as usize;
        unpack(&self.arena, start)
    }
}

/// What follows each packed field: a CSV row's fields go in as they lie in it, each but the last followed by its
/// comma, and fields from elsewhere are spaced the same way.
const SEPARATOR: u8 = b',';

/// The bytes of `row` from the first field to the last, when each field lies in `row` one byte after the one
/// before it ends, as the fields of a CSV row whose columns come in order do.
fn contiguous<'a>(fields: &Fields<'_>, row: &'a [u8]) -> Option<&'a [u8]> {
    let base = row.as_ptr() as usize;
    let start = (fields[0].as_ptr() as usize).checked_sub(base)?;
    let mut end = start;
    for (i, field) in fields.iter().enumerate() {
        let at = (field.as_ptr() as usize).wrapping_sub(base);
        if at != end + usize::from(i > 0) {
            return None;
        }
        end = at + field.len();
    }
    row.get(start..end)
}

/// The fields of the patient packed at `start`.
pub fn unpack(arena: &[u8], start: usize) -> Fields<'_> {
    let lengths = &arena[start..start + HEADER];
    let mut at = start + HEADER;
    std::array::from_fn(|i| {
        let len = usize::from(u16::from_le_bytes([lengths[2 * i], lengths[2 * i + 1]]));
        at += len + 1;
        &arena[at - len - 1..at - 1]
    })
}

/// What the reading thread hands over, in this order: the PM's patients, word that they are all read, then the
/// EMR's patients (with the PM rows their cross-references name, when the reading thread had time to look them up);
/// or the problem that stopped it.
pub enum Read {
    Pm(PatientBatch),
    PmRead,
    Emr(PatientBatch),
}

/// How many EMR patients' cross-references are looked up together.
const LOOKUPS: usize = 512;

/// Reads the PM's exports, then waits for the index built from them, then reads the EMR's, on a thread of the
/// scope, handing their patients over in batches; whichever thread is ahead works out the PM rows' keys and looks
/// up the EMR rows' cross-references, which shares the work between two cores. The thread stops at the first
/// problem, which it hands over last; it stops quietly when the other side hangs up.
pub fn read_in_background<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    pm: Vec<Box<dyn PatientExport>>,
    emr: Vec<Box<dyn PatientExport>>,
    index: Receiver<Arc<PmIndex>>,
    spent: Receiver<PatientBatch>,
) -> Receiver<Result<Read, InputProblem>> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let spent = Arc::new(Mutex::new(spent));
    // A helper reads every other block of a large CSV export ahead of the reading thread, where there is a core
    // for it: on two cores this thread and the one that takes the batches keep both busy already, and a third
    // thread measured no faster (0.62 s against 0.60 s for a million patients) and held 50 MB more.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ahead = if cores > 2 { ReadAhead::start(scope, Arc::clone(&spent)) } else { None };
    let read = move || {
        let ahead = ahead.as_ref();
        let read = read_side(pm, &tx, &spent, Read::Pm, None, ahead).and_then(|go_on| {
            if !go_on || tx.send(Ok(Read::PmRead)).is_err() {
                return Ok(());
            }
            match index.recv() {
                Ok(index) => read_side(emr, &tx, &spent, Read::Emr, Some(&index), ahead).map(|_| ()),
                Err(_) => Ok(()),
            }
        });
        if let Err(problem) = read {
            let _ = tx.send(Err(problem));
        }
    };
    if let Err(e) = std::thread::Builder::new().name("reconcile-read".into()).spawn_scoped(scope, read) {
        // Without a second thread nothing is read: say so rather than report two empty exports.
        let (tx, rx) = sync_channel(1);
        let message = format!("cannot start the thread that reads the exports: {e}");
        let _ = tx.send(Err(InputProblem { file: "handoff".into(), line: None, message }));
        return rx;
    }
    rx
}

/// Reads one side's exports into batches, reusing those handed back on `spent`; `false` when the other side hung
/// up and reading should stop.
fn read_side(
    exports: Vec<Box<dyn PatientExport>>,
    tx: &SyncSender<Result<Read, InputProblem>>,
    spent: &Mutex<Receiver<PatientBatch>>,
    side: fn(PatientBatch) -> Read,
    index: Option<&Arc<PmIndex>>,
    ahead: Option<&ReadAhead>,
) -> Result<bool, InputProblem> {
    let fresh = |file| PatientBatch::spent_or_new(spent, file);
    let carries = Arc::new(columns_carried(&exports));
    // Work either thread can do — a PM batch's matching keys, an EMR batch's cross-references — is left to the
    // other thread while it waits for batches, and done here while batches wait for it.
    let send = |batch: PatientBatch| match tx.try_send(Ok(side(batch))) {
        Ok(()) => true,
        Err(TrySendError::Full(Ok(Read::Pm(mut batch)))) => {
            batch.work_out_keys();
            tx.send(Ok(Read::Pm(batch))).is_ok()
        }
        Err(TrySendError::Full(Ok(Read::Emr(mut batch)))) => {
            if let Some(index) = index {
                batch.look_up_cross_references(index, carries.get(batch.file));
            }
            tx.send(Ok(Read::Emr(batch))).is_ok()
        }
        Err(TrySendError::Full(read)) => tx.send(read).is_ok(),
        Err(TrySendError::Disconnected(_)) => false,
    };
    let prepare = match index {
        Some(index) => Prepare::CrossReferences(Arc::clone(index), Arc::clone(&carries)),
        None => Prepare::Keys,
    };
    for (file, mut export) in exports.into_iter().enumerate() {
        if let (Some(blocks), Some(ahead)) = (export.blocks(), ahead) {
            let (mut fresh, mut send) = (&fresh, &send);
            match read_in_blocks(blocks, file, &mut fresh, &mut send, ahead, prepare.clone()) {
                Some(Ok(read)) if read.finished => {
                    tracing::debug!(
                        file = blocks.name,
                        taken = read.taken,
                        read_again = read.read_again,
                        "read in blocks"
                    );
                    continue;
                }
                Some(Ok(_)) => return Ok(false),
                Some(Err(problem)) => return Err(problem),
                None => {}
            }
        }
        let mut batch = fresh(file);
        while export.pack_next(&mut batch)? {
            if batch.is_full() && !send(std::mem::replace(&mut batch, fresh(file))) {
                return Ok(false);
            }
        }
        if !batch.is_empty() && !send(batch) {
            return Ok(false);
        }
    }
    Ok(true)
}

impl PatientBatch {
    /// Whether `xref_rows` has been filled.
    pub fn cross_references_looked_up(&self) -> bool {
        self.xref_rows.len() == self.len()
    }

    /// Fills `xref_rows`, a few hundred lookups at a time ([`PmIndex::with_ids`]); and `same`, given the columns
    /// the batch's export carries.
    pub fn look_up_cross_references(&mut self, index: &PmIndex, carries: Option<&[bool; COLUMNS]>) {
        let mut rows = Vec::with_capacity(self.len());
        for from in (0..self.len()).step_by(LOOKUPS) {
            let ids: Vec<(&[u8], u64)> =
                (from..(from + LOOKUPS).min(self.len())).map(|i| (self.xref(i), self.xref_hashes[i])).collect();
            let start = rows.len();
            index.with_ids(&ids, &mut rows);
            // A row with no cross-reference names no PM row, whatever an empty id might find.
            for (row, (xref, _)) in rows[start..].iter_mut().zip(&ids) {
                if xref.is_empty() {
                    *row = None;
                }
            }
        }
        if let Some(carries) = carries {
            self.same = (0..self.len())
                .map(|i| {
                    rows[i].and_then(|slot| all_same(carries, index.own_ids(slot), &self.get(i), &index.row(slot)))
                })
                .collect();
        }
        self.xref_rows = rows;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of a CSV row of `COLUMNS` columns, as the reader cuts them.
    fn cut(row: &[u8]) -> Fields<'_> {
        let mut fields = row.split(|b| *b == b',');
        std::array::from_fn(|_| fields.next().unwrap_or_default())
    }

    #[test]
    fn a_csv_row_in_column_order_goes_in_whole_and_reads_back_field_for_field() {
        let row = b"P1,E7,O'Connor,Mary,,1950-02-03,female,1 Main St,Springfield,IL,62701,2175550100,medicare,1EG4";
        let fields = cut(row);
        assert_eq!(contiguous(&fields, row), Some(&row[..]));
        let mut batch = PatientBatch::for_file(0);
        batch.push_cut(&fields, 2, row);
        batch.push(&fields, 3);
        assert_eq!(batch.get(0), fields);
        assert_eq!(batch.get(1), fields, "fields packed one by one read back the same");
        assert_eq!(batch.arena.len(), 2 * (HEADER + row.len()) + 1, "one separator after the last loose field");
    }

    #[test]
    fn a_row_cut_in_column_order_packs_as_its_fields_do_and_one_laid_out_otherwise_is_left() {
        let row = b"P1,E7,O'Connor,Mary,,1950-02-03,female,1 Main St,Springfield,IL,62701,2175550100,medicare,1EG4";
        let mut cuts = Vec::new();
        let mut from = 0;
        for (i, b) in row.iter().enumerate() {
            if *b == b',' {
                cuts.push((from, i));
                from = i + 1;
            }
        }
        cuts.push((from, row.len()));
        let (mut by_cuts, mut by_fields) = (PatientBatch::for_file(0), PatientBatch::for_file(0));
        assert!(by_cuts.push_in_order(&cuts, row, 2));
        by_fields.push_cut(&cut(row), 2, row);
        assert_eq!(by_cuts.arena, by_fields.arena);
        assert_eq!(by_cuts.xref_hashes, by_fields.xref_hashes);
        assert_eq!(by_cuts.get(0)[2], b"O'Connor");
        let mut apart = cuts.clone();
        apart[3].0 += 1;
        assert!(!by_cuts.push_in_order(&apart, row, 3), "a field that does not follow the one before");
        assert!(!by_cuts.push_in_order(&cuts[1..], row, 3), "thirteen fields");
        assert_eq!(by_cuts.len(), 1, "nothing packed for either");
    }

    #[test]
    fn fields_out_of_order_or_from_elsewhere_are_not_taken_for_one_row() {
        let row = b"P1,E7,O'Connor,Mary,,1950-02-03,female,1 Main St,Springfield,IL,62701,2175550100,medicare,1EG4";
        let mut fields = cut(row);
        fields.swap(2, 3);
        assert_eq!(contiguous(&fields, row), None);
        let copy = row.to_vec();
        assert_eq!(contiguous(&cut(&copy), row), None, "fields of another copy of the row");
        assert_eq!(contiguous(&cut(row), &row[1..]), None, "a row that starts after the first field");
        assert_eq!(contiguous(&cut(row), &row[..row.len() - 1]), None, "a row that ends before the last field");
        let mut batch = PatientBatch::for_file(0);
        batch.push_cut(&fields, 2, row);
        assert_eq!(batch.get(0), fields);
    }

    #[test]
    fn the_reading_thread_says_which_pairs_hold_the_same_bytes_in_every_compared_column() {
        use crate::reconcile::fixtures::ANA;
        let mut pm = PmIndex::default();
        let mut batch = PatientBatch::for_file(0);
        let mut bob = ANA;
        (bob[0], bob[2]) = ("P2", "Smith");
        batch.push(&ANA.map(str::as_bytes), 2);
        batch.push(&bob.map(str::as_bytes), 3);
        pm.append(&mut batch);
        pm.set_own_ids(vec![true]);
        let emr_of = |id: &'static str, xref: &'static str, family: &'static str| {
            let mut row = ANA;
            (row[0], row[1], row[2]) = (id, xref, family);
            row.map(str::as_bytes)
        };
        let mut emr = PatientBatch::for_file(0);
        emr.push(&emr_of("E1", "P1", ANA[2]), 2);
        emr.push(&emr_of("E2", "P2", "Smyth"), 3);
        emr.push(&emr_of("E3", "", ANA[2]), 4);
        emr.look_up_cross_references(&pm, None);
        assert_eq!((emr.xref_rows.clone(), emr.same.len()), (vec![Some(0), Some(1), None], 0), "nothing compared");
        let mut carries = [true; COLUMNS];
        emr.look_up_cross_references(&pm, Some(&carries));
        assert_eq!(
            emr.same,
            [Some(COLUMNS as u8 - 1), None, None],
            "13 columns the same; a family name differs; no match"
        );
        carries[Column::Family.index()] = false;
        emr.look_up_cross_references(&pm, Some(&carries));
        assert_eq!(
            emr.same,
            [Some(COLUMNS as u8 - 2), Some(COLUMNS as u8 - 2), None],
            "the family name is not compared"
        );
    }

    #[test]
    fn a_packed_patient_reads_back_field_for_field() {
        let mut batch = PatientBatch::for_file(0);
        let mut fields: Fields<'_> = [&b""[..]; COLUMNS];
        fields[0] = b"P1";
        fields[1] = b"E7";
        fields[2] = b"O'Connor";
        batch.push(&fields, 9);
        fields[0] = b"P2";
        fields[1] = b"";
        batch.push(&fields, 10);
        let first = batch.get(0);
        assert_eq!((first[0], first[1], first[2], first[13]), (&b"P1"[..], &b"E7"[..], &b"O'Connor"[..], &b""[..]));
        assert_eq!(batch.get(1)[0], b"P2");
        assert_eq!(batch.get(1)[2], b"O'Connor");
        assert_eq!((batch.xref(0), batch.xref(1)), (&b"E7"[..], &b""[..]));
        assert_eq!((batch.lines[1], batch.xref_hashes[1]), (10, 0));
        assert_eq!(batch.xref_hashes[0], key_hash([&b"E7"[..]]));
        assert!(batch.id_hashes.is_empty(), "an id is hashed with the keys, for the PM's patients only");
        batch.work_out_keys();
        assert_eq!(batch.id_hashes[1], key_hash([&b"P2"[..]]));
    }
}
