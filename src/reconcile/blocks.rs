//! A large CSV export read in blocks on two threads at once: this thread reads every other block in order, a
//! helper reads the blocks between ahead of it, and the helper's rows are handed on only once the block before
//! them is known to end where the helper began — so the rows, their lines and any error are those of one reader
//! going through the file, whatever quoted line breaks it holds.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use super::batch::PatientBatch;
use super::columns::{COLUMNS, Layout};
use super::csv::CsvReader;
use super::export::{InputProblem, csv_problem, fields_of};
use super::index::PmIndex;

/// Opens the export again for reading from a byte offset: how the blocks are read without the reconciler doing
/// I/O of its own.
pub type Reopen = Arc<dyn Fn(u64) -> io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// A file smaller than this is read by one thread: starting a second costs more than it saves. (Tests read
/// smaller files in blocks, so that a few hundred kilobytes make many blocks.)
const SMALLEST: u64 = if cfg!(test) { 256 << 10 } else { 4 << 20 };

/// The smallest and largest block.
const BLOCK: (u64, u64) = if cfg!(test) { (8 << 10, 8 << 20) } else { (2 << 20, 8 << 20) };

/// How much of a block each read of the file brings in: blocks are a few megabytes, so a reader that ran on far
/// past its block's end would read much of the next block for nothing.
const CHUNK: usize = 256 << 10;

/// A CSV export that can be read in blocks: its name, layout and where its rows start.
#[derive(Clone)]
pub struct CsvBlocks {
    pub name: String,
    pub layout: Layout,
    /// The offset of the first row after the header, and its line.
    pub rows_start: u64,
    pub rows_line: u64,
    pub len: u64,
    pub reopen: Reopen,
}

/// Where a block's reading stopped: the first row it left to the next block (or the end of the file), and its
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Boundary {
    offset: u64,
    line: u64,
}

/// A block the helper read ahead: where its first row starts (the boundary it guessed), where it stopped, the
/// batches of its rows, and the problem that stopped it, if one did; lines are counted from 1 at the guess.
struct Ahead {
    began: Boundary,
    ended: Boundary,
    batches: Vec<PatientBatch>,
    problem: Option<InputProblem>,
}

impl CsvBlocks {
    /// How many bytes a block holds, or `None` when the file is too small to be worth reading in blocks.
    fn block_size(&self) -> Option<u64> {
        let rows = self.len.saturating_sub(self.rows_start);
        (rows >= SMALLEST).then(|| (rows / 32).clamp(BLOCK.0, BLOCK.1))
    }

    /// Reads the rows of the block that starts at `from` (a row's start) and holds every row that starts before
    /// `end`, packing them into batches from `fresh` and giving each full one to `emit` (which says whether to go
    /// on); the last, part-filled batch is given too. Returns where the next block starts, or `None` when `emit`
    /// said to stop.
    fn read_block(
        &self,
        from: Boundary,
        end: u64,
        file: usize,
        fresh: &mut dyn FnMut(usize) -> PatientBatch,
        emit: &mut dyn FnMut(PatientBatch) -> bool,
    ) -> Result<Option<Boundary>, InputProblem> {
        let source = (self.reopen)(from.offset).map_err(|e| self.problem(None, format!("cannot read: {e}")))?;
        let mut reader = CsvReader::starting(source, from.offset, from.line, CHUNK);
        self.rows_until(&mut reader, end, file, fresh, emit)
    }

    /// Reads rows from `reader` until one starts at or past `end`, as [`CsvBlocks::read_block`] does.
    fn rows_until(
        &self,
        reader: &mut CsvReader<Box<dyn Read + Send>>,
        end: u64,
        file: usize,
        fresh: &mut dyn FnMut(usize) -> PatientBatch,
        emit: &mut dyn FnMut(PatientBatch) -> bool,
    ) -> Result<Option<Boundary>, InputProblem> {
        let mut batch = fresh(file);
        let ended = loop {
            let Some(row) = reader.next_row().map_err(|e| csv_problem(&self.name, e))? else {
                break Boundary { offset: self.len.max(reader.offset()), line: reader.line() };
            };
            if row.start >= end {
                break Boundary { offset: row.start, line: row.line };
            }
            batch.push_cut(&fields_of(&self.name, &row, &self.layout)?, row.line, row.bytes());
            if batch.is_full() && !emit(std::mem::replace(&mut batch, fresh(file))) {
                return Ok(None);
            }
        };
        if !batch.is_empty() && !emit(batch) {
            return Ok(None);
        }
        Ok(Some(ended))
    }

    /// Reads the block the helper is given, starting at the first line that begins at or after `nominal` and
    /// counting lines from 1 there; whatever happens is handed back, to be judged once the block before is read.
    fn read_ahead(
        &self,
        k: u64,
        size: u64,
        file: usize,
        fresh: &mut dyn FnMut(usize) -> PatientBatch,
        prepare: &Prepare,
    ) -> Ahead {
        let (nominal, end) = (self.rows_start + k * size, self.end(k, size));
        let mut ahead = Ahead {
            began: Boundary { offset: u64::MAX, line: 1 },
            ended: Boundary { offset: u64::MAX, line: 1 },
            batches: Vec::new(),
            problem: None,
        };
        let mut reader = match (self.reopen)(nominal - 1) {
            Ok(source) => CsvReader::starting(source, nominal - 1, 1, CHUNK),
            Err(e) => {
                ahead.problem = Some(self.problem(None, format!("cannot read: {e}")));
                return ahead;
            }
        };
        // The byte before the block is read too, so a block that begins exactly at a line's start keeps it.
        if let Err(e) = reader.skip_to_next_line() {
            ahead.problem = Some(csv_problem(&self.name, e));
            return ahead;
        }
        ahead.began = Boundary { offset: reader.offset(), line: 1 };
        let mut batches = Vec::new();
        let mut emit = |mut batch: PatientBatch| {
            prepare.apply(&mut batch);
            batches.push(batch);
            true
        };
        match self.rows_until(&mut reader, end, file, fresh, &mut emit) {
            Ok(Some(ended)) => ahead.ended = ended,
            // Never: every batch is kept.
            Ok(None) => {}
            Err(problem) => ahead.problem = Some(problem),
        }
        ahead.batches = batches;
        ahead
    }

    /// How many blocks of `size` bytes the rows make.
    fn count(&self, size: u64) -> u64 {
        (self.len - self.rows_start).div_ceil(size)
    }

    /// Where block `k`'s rows end: rows that start at or past it are the next block's.
    fn end(&self, k: u64, size: u64) -> u64 {
        if k + 1 >= self.count(size) { u64::MAX } else { self.rows_start + (k + 1) * size }
    }

    fn problem(&self, line: Option<u64>, message: String) -> InputProblem {
        InputProblem { file: self.name.clone(), line, message }
    }
}

/// What the helper does to each batch it reads before handing it over: work the thread that takes the batches
/// would otherwise do.
#[derive(Clone)]
pub enum Prepare {
    /// A PM batch's matching keys.
    Keys,
    /// An EMR batch's cross-references, looked up in the PM's index, and whether each matched pair is the same in
    /// the columns its export carries (given for each export).
    CrossReferences(Arc<PmIndex>, Arc<Vec<[bool; COLUMNS]>>),
}

impl Prepare {
    fn apply(&self, batch: &mut PatientBatch) {
        match self {
            Prepare::Keys => batch.work_out_keys(),
            Prepare::CrossReferences(index, carries) => batch.look_up_cross_references(index, carries.get(batch.file)),
        }
    }
}

/// One export's blocks for the helper: every other one, from the second.
struct Job {
    blocks: CsvBlocks,
    file: usize,
    size: u64,
    prepare: Prepare,
    results: SyncSender<Ahead>,
}

/// A thread that reads blocks ahead, for every export of a reconciliation in turn. One thread serves them all
/// because memory a thread took is reused late, if at all, once that thread has ended.
pub struct ReadAhead {
    jobs: Sender<Job>,
}

impl ReadAhead {
    /// Starts the helper on `scope`; `spent` gives it batches to fill again. `None` when no thread can be started
    /// (every block is then read by the caller).
    pub fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        spent: Arc<Mutex<Receiver<PatientBatch>>>,
    ) -> Option<ReadAhead> {
        let (jobs, take) = channel::<Job>();
        let work = move || {
            for job in take {
                let mut fresh = |file| PatientBatch::spent_or_new(&spent, file);
                let count = job.blocks.count(job.size);
                for k in (1..count).step_by(2) {
                    let ahead = job.blocks.read_ahead(k, job.size, job.file, &mut fresh, &job.prepare);
                    if job.results.send(ahead).is_err() {
                        break;
                    }
                }
            }
        };
        std::thread::Builder::new().name("reconcile-read-ahead".into()).spawn_scoped(scope, work).ok()?;
        Some(ReadAhead { jobs })
    }
}

/// How reading a file in blocks went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlocksRead {
    /// Whether every block was read (`false` when `emit` said to stop).
    pub finished: bool,
    /// The helper's blocks whose rows were taken as it read them.
    pub taken: u64,
    /// The helper's blocks read again here, because it had begun inside a quoted field (or had stopped).
    pub read_again: u64,
}

/// Reads the export in blocks, this thread taking every other one and `ahead` the ones between, giving the
/// batches to `emit` in the order of the file. Returns `None` when the file is too small to be read in blocks
/// (nothing has been read then).
pub fn read_in_blocks(
    blocks: &CsvBlocks,
    file: usize,
    fresh: &mut dyn FnMut(usize) -> PatientBatch,
    emit: &mut dyn FnMut(PatientBatch) -> bool,
    ahead: &ReadAhead,
    prepare: Prepare,
) -> Option<Result<BlocksRead, InputProblem>> {
    let size = blocks.block_size()?;
    let count = blocks.count(size);
    // One block read ahead waits at most, so the helper holds no more than two blocks' rows.
    let (results, take) = sync_channel::<Ahead>(1);
    let job = Job { blocks: blocks.clone(), file, size, prepare, results };
    let take = ahead.jobs.send(job).ok().map(|()| take);
    let mut read = BlocksRead { finished: false, taken: 0, read_again: 0 };
    let mut at = Boundary { offset: blocks.rows_start, line: blocks.rows_line };
    for k in 0..count {
        let ahead = if k % 2 == 1 { take.as_ref().and_then(|t| t.recv().ok()) } else { None };
        let next = match ahead {
            // The helper began where this block begins: its rows are this block's rows.
            Some(ahead) if ahead.began.offset == at.offset => {
                read.taken += 1;
                let shift = at.line - ahead.began.line;
                if let Some(mut problem) = ahead.problem {
                    problem.line = problem.line.map(|l| l + shift);
                    return Some(Err(problem));
                }
                let mut go_on = true;
                for mut batch in ahead.batches {
                    batch.lines.iter_mut().for_each(|l| *l += shift);
                    go_on = go_on && emit(batch);
                }
                go_on.then_some(Boundary { offset: ahead.ended.offset, line: ahead.ended.line + shift })
            }
            // This thread's own block; or the helper's, when a quoted field ran across the line it began at (or
            // it stopped), read again from where the block before really ended.
            _ => {
                read.read_again += k % 2;
                match blocks.read_block(at, blocks.end(k, size), file, fresh, emit) {
                    Ok(next) => next,
                    Err(problem) => return Some(Err(problem)),
                }
            }
        };
        match next {
            Some(next) => at = next,
            None => return Some(Ok(read)),
        }
    }
    read.finished = true;
    Some(Ok(read))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::columns::Column;
    use std::collections::BTreeMap;

    /// The export `text` as blocks of `size` bytes, read from memory.
    fn blocks_of(text: &str) -> CsvBlocks {
        let bytes: Arc<Vec<u8>> = Arc::new(text.as_bytes().to_vec());
        let header_end = text.find('\n').unwrap() as u64 + 1;
        let header: Vec<&str> = text[..header_end as usize - 1].split(',').collect();
        let layout = Layout::from_header(&header, &BTreeMap::new()).unwrap();
        let len = bytes.len() as u64;
        let reopen: Reopen = Arc::new(move |offset| {
            let rest = bytes[offset as usize..].to_vec();
            Ok(Box::new(std::io::Cursor::new(rest)) as Box<dyn Read + Send>)
        });
        CsvBlocks { name: "pm.csv".into(), layout, rows_start: header_end, rows_line: 2, len, reopen }
    }

    /// A row as the tests check it: its line, patient id and family name.
    type Seen = (u64, String, String);

    /// Every row read in blocks, and how the reading went; or the problem that stopped it.
    fn read(blocks: &CsvBlocks) -> Result<(Vec<Seen>, BlocksRead), String> {
        let mut rows = Vec::new();
        let mut emit = |batch: PatientBatch| {
            for i in 0..batch.len() {
                let fields = batch.get(i);
                let text = |c: Column| String::from_utf8_lossy(fields[c.index()]).into_owned();
                rows.push((batch.lines[i], text(Column::PatientId), text(Column::Family)));
            }
            true
        };
        let mut fresh = PatientBatch::for_file;
        let (_, spent) = channel();
        let read = std::thread::scope(|scope| {
            let ahead = ReadAhead::start(scope, Arc::new(Mutex::new(spent))).expect("a thread for the helper");
            read_in_blocks(blocks, 0, &mut fresh, &mut emit, &ahead, Prepare::Keys)
        });
        match read {
            Some(Ok(read)) => Ok((rows, read)),
            Some(Err(problem)) => Err(problem.to_string()),
            None => Err("too small".into()),
        }
    }

    /// A CSV of `rows` patients after a header, with `quoted` rows whose family name holds a line break.
    fn export(rows: usize, quoted: impl Fn(usize) -> bool) -> String {
        let mut text = String::from("patient_id,family,given\n");
        for i in 0..rows {
            if quoted(i) {
                text.push_str(&format!("P{i},\"Fam\n{i}\",G{}\n", "x".repeat(i % 50)));
            } else {
                text.push_str(&format!("P{i},Fam{i},G{}\n", "x".repeat(i % 50)));
            }
        }
        text
    }

    /// What one reader going through the whole file gives, for comparison.
    fn read_whole(text: &str) -> Vec<Seen> {
        let mut reader = CsvReader::new(text.as_bytes());
        reader.next_row().unwrap();
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            let text = |i: usize| String::from_utf8_lossy(row.get(i)).into_owned();
            rows.push((row.line, text(0), text(1)));
        }
        rows
    }

    #[test]
    fn rows_read_in_blocks_are_the_rows_of_the_file_in_order_with_their_lines() {
        let text = export(200_000, |_| false);
        let blocks = blocks_of(&text);
        let count = blocks.count(blocks.block_size().unwrap());
        assert!(count >= 16, "the file is read in many blocks: {count}");
        let (rows, read) = read(&blocks).unwrap();
        assert_eq!(read, BlocksRead { finished: true, taken: count / 2, read_again: 0 }, "every block the helper read");
        assert_eq!(rows.len(), 200_000);
        assert_eq!(rows, read_whole(&text));
        assert_eq!(rows[123_456], (123_458, "P123456".into(), "Fam123456".into()));
    }

    #[test]
    fn quoted_line_breaks_across_block_starts_are_read_as_one_reader_reads_them() {
        // Every third row holds a line break inside quotes, so many blocks begin inside a quoted field.
        let text = export(150_000, |i| i % 3 == 0);
        let blocks = blocks_of(&text);
        let (rows, read) = read(&blocks).unwrap();
        let count = blocks.count(blocks.block_size().unwrap());
        assert!(read.read_again > 0 && read.taken > 0, "some of the helper's blocks began in a quoted field: {read:?}");
        assert_eq!(read.taken + read.read_again, count / 2);
        assert_eq!(rows.len(), 150_000);
        assert_eq!(rows, read_whole(&text));
        assert_eq!(rows[3], (6, "P3".into(), "Fam\n3".into()));
        assert_eq!(rows[149_999].0, 2 + 150_000 + 50_000 - 1);
    }

    #[test]
    fn a_bad_row_far_into_the_file_is_named_by_its_line_in_the_file() {
        let mut text = export(120_000, |i| i % 7 == 0);
        text.push_str("P-bad,only two\n");
        text.push_str("P-after,Fam,G\n");
        let blocks = blocks_of(&text);
        let error = read(&blocks).unwrap_err();
        let line = 2 + 120_000 + 120_000_usize.div_ceil(7);
        assert_eq!(
            error,
            format!(
                "pm.csv:{line}: 2 field(s) where the header has 3; quote a value that holds a comma (\"Smith, Jr\")"
            )
        );
    }

    #[test]
    fn a_small_file_is_left_to_one_reader() {
        let blocks = blocks_of(&export(100, |_| false));
        assert_eq!(read(&blocks).unwrap_err(), "too small");
    }
}
