//! One reconciliation: the PM export indexed, the EMR export streamed past it row by row, each EMR row matched
//! (cross-referenced id, then deterministic demographics, then fuzzy) and compared field by field, then what is left
//! on either side reported. Findings use a live run's vocabulary, so the same scores and reporters read them.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::batch::{HEADER, PatientBatch, Read, read_in_background};
use super::columns::{COLUMNS, Column};
use super::compared::compared;
use super::duplicates::{SecondRecord, keys_of, second_records};
use super::export::{Fields, InputProblem, PatientExport, columns_carried};
use super::index::{PmIndex, PrehashedMap, key_hash};
use super::matching::{BlockFilter, Confidence, FUZZY_THRESHOLD, blocking_keys, confidence, deterministic_key};
use super::parallel::in_row_order;
use crate::diff::{Category, Finding, FindingKind, classify};
use crate::engine::Tallies;
use crate::model::Role;

/// How each EMR row found its PM row, and what was left over.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub emr_rows: u64,
    pub pm_rows: u64,
    pub matched_by_cross_reference: u64,
    pub matched_by_demographics: u64,
    pub matched_fuzzy: u64,
    /// EMR rows that are a second record of a patient already matched, or of one only the EMR holds.
    pub emr_duplicates: u64,
    /// PM rows that are a second record of a patient the PM already holds.
    pub pm_duplicates: u64,
    /// EMR rows no PM row matched.
    pub emr_only: u64,
    /// PM rows no EMR row matched.
    pub pm_only: u64,
}

impl Summary {
    pub fn render(&self) -> String {
        format!(
            "{} EMR row(s) against {} PM row(s): {} matched by cross-referenced id, {} by demographics, {} fuzzy \
             (confidence ≥ {FUZZY_THRESHOLD:.2}); {} duplicate(s) in the EMR, {} in the PM, {} only in the EMR, {} only \
             in the PM",
            self.emr_rows,
            self.pm_rows,
            self.matched_by_cross_reference,
            self.matched_by_demographics,
            self.matched_fuzzy,
            self.emr_duplicates,
            self.pm_duplicates,
            self.emr_only,
            self.pm_only
        )
    }
}

pub struct Reconciliation {
    pub findings: Vec<Finding>,
    pub tallies: Tallies,
    pub summary: Summary,
}

/// How an EMR row was matched, for the message of each finding about it.
#[derive(Debug, Clone)]
enum Method {
    CrossReference,
    Demographics,
    Fuzzy(Confidence),
}

impl Method {
    fn said(&self) -> String {
        match self {
            Method::CrossReference => String::new(),
            Method::Demographics => "; matched by name, birth date and sex, not by id".into(),
            Method::Fuzzy(c) => format!("; matched with confidence {:.2} ({})", c.score, c.explanation),
        }
    }
}

/// An EMR row kept for the fuzzy pass, because nothing matched it exactly.
struct Pending {
    file: usize,
    line: u64,
    fields: [Vec<u8>; COLUMNS],
}

impl Pending {
    fn view(&self) -> [&[u8]; COLUMNS] {
        std::array::from_fn(|i| &self.fields[i][..])
    }
}

struct Reconciler {
    /// Shared with the thread that reads the EMR's exports, which looks up their cross-references in it.
    pm: Arc<PmIndex>,
    /// Which columns each EMR file carries: a column the file lacks is not compared for its rows.
    emr_columns: Vec<[bool; COLUMNS]>,
    emr_names: Vec<String>,
    pm_names: Vec<String>,
    /// For each PM row, the EMR line that matched it first (0 for none yet; [`PM_DUPLICATE`] for a second record of
    /// a patient the PM already holds, which nothing is matched to).
    matched: Vec<u64>,
    /// Each PM row that is a second record of another, in order.
    pm_duplicates: Vec<SecondRecord>,
    /// The EMR id matched to each PM row that has a second record, for the finding about it.
    emr_id_of_first: HashMap<u32, String>,
    /// A bit for each PM row that has a second record: the keys of `emr_id_of_first`, tested first because nearly
    /// no row has one.
    has_second: Vec<u64>,
    findings: Vec<Finding>,
    tallies: Tallies,
    summary: Summary,
}

/// Reconciles the EMR exports against the PM exports; `progress` is told how many rows have been read, now and then.
pub fn reconcile(
    emr_exports: Vec<Box<dyn PatientExport>>,
    pm_exports: Vec<Box<dyn PatientExport>>,
    progress: &mut dyn FnMut(u64),
) -> Result<Reconciliation, InputProblem> {
    let mut r = Reconciler {
        pm: Arc::default(),
        emr_columns: columns_carried(&emr_exports),
        emr_names: emr_exports.iter().map(|e| e.name().to_string()).collect(),
        pm_names: pm_exports.iter().map(|e| e.name().to_string()).collect(),
        matched: Vec::new(),
        pm_duplicates: Vec::new(),
        emr_id_of_first: HashMap::new(),
        has_second: Vec::new(),
        findings: Vec::new(),
        tallies: Tallies::default(),
        summary: Summary::default(),
    };
    // The bytes of PM rows to read, where the exports' sizes are known, so the index can be sized once the first
    // batch shows how many bytes a row takes.
    let pm_bytes: u64 = pm_exports.iter().filter_map(|e| e.blocks()).map(|b| b.len - b.rows_start).sum();
    let mut read = 0u64;
    let clock = std::time::Instant::now();
    let mut pending = Vec::new();
    // One thread reads and parses the exports while this one indexes the PM's patients, then matches the EMR's.
    let mut pm = PmIndex::default();
    pm.set_own_ids(pm_exports.iter().map(|e| e.carries(Column::PatientId)).collect());
    std::thread::scope(|scope| {
        let (give_index, index) = std::sync::mpsc::sync_channel(1);
        let mut give_index = Some(give_index);
        // Batches go back to the reading thread once taken, to be filled again.
        let (give_back, spent) = std::sync::mpsc::channel();
        for batch in read_in_background(scope, pm_exports, emr_exports, index, spent) {
            let batch = batch?;
            let batch_len = match &batch {
                Read::Pm(b) | Read::Emr(b) => b.len() as u64,
                Read::PmRead => 0,
            };
            match batch {
                Read::Pm(mut batch) => {
                    if pm.is_empty() && pm_bytes > 0 && !batch.is_empty() {
                        pm.reserve(expected_rows(pm_bytes, &batch));
                    }
                    pm.append(&mut batch);
                    let _ = give_back.send(batch);
                }
                Read::PmRead => {
                    tracing::debug!(elapsed = ?clock.elapsed(), rows = pm.len(), "pm indexed");
                    r.pm = Arc::new(std::mem::take(&mut pm));
                    // The reading thread goes on to the EMR's exports while this one looks for the PM's second
                    // records, which it must know before it takes the first EMR batch.
                    if let Some(give) = give_index.take() {
                        let _ = give.send(Arc::clone(&r.pm));
                    }
                    r.matched = vec![0; r.pm.len()];
                    r.find_pm_duplicates();
                    tracing::debug!(elapsed = ?clock.elapsed(), duplicates = r.pm_duplicates.len(), "pm duplicates found");
                }
                Read::Emr(mut batch) => {
                    if !batch.cross_references_looked_up() {
                        batch.look_up_cross_references(&r.pm, None);
                    }
                    for i in 0..batch.len() {
                        let (line, row) = (batch.lines[i], batch.xref_rows[i]);
                        let same = batch.same.get(i).copied().flatten();
                        if let (Some(slot), Some(columns)) = (row, same)
                            && r.claim_alike(slot, line, columns)
                        {
                            continue;
                        }
                        let fields = batch.get(i);
                        if let Some(p) = r.emr_row(batch.file, &fields, line, row, same) {
                            pending.push(p);
                        }
                    }
                    r.summary.emr_rows += batch.len() as u64;
                    let _ = give_back.send(batch);
                }
            }
            let before = read;
            read += batch_len;
            if read >> 16 != before >> 16 {
                progress(read);
            }
        }
        Ok::<(), InputProblem>(())
    })?;
    r.summary.pm_rows = r.pm.len() as u64;
    r.matched.resize(r.pm.len(), 0);
    progress(read);
    tracing::debug!(elapsed = ?clock.elapsed(), rows = read, pending = pending.len(), "exports read and cross-references matched");
    r.unsettled(pending);
    tracing::debug!(elapsed = ?clock.elapsed(), "the rest matched by demographics and fuzzily");
    r.pm_only();
    r.report_pm_duplicates();
    tracing::debug!(elapsed = ?clock.elapsed(), findings = r.findings.len(), "reconciled");
    Ok(Reconciliation { findings: r.findings, tallies: r.tallies, summary: r.summary })
}

/// About how many rows `bytes` of CSV hold, judged by a batch of them with a little to spare: a packed row is
/// its fields, a separator after each and two bytes a field before them, a CSV row its fields, a separator
/// between each and a line break.
fn expected_rows(bytes: u64, batch: &PatientBatch) -> usize {
    let packed = batch.arena.len() as u64 / batch.len() as u64;
    let row = packed.saturating_sub(HEADER as u64).max(1);
    (bytes / row + bytes / row / 16) as usize
}

/// Whether a fuzzy candidate should replace the one `held` so far: it scores higher, or is the first to reach the
/// threshold.
fn better(candidate: &Confidence, held: Option<&Confidence>) -> bool {
    match held {
        Some(held) => candidate.score > held.score,
        None => candidate.score >= FUZZY_THRESHOLD,
    }
}

/// In `matched`: the PM row is a second record of another, and stands for nothing on its own.
const PM_DUPLICATE: u64 = u64::MAX;

fn text(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        _ => "nothing".into(),
    }
}

impl Reconciler {
    /// Compares one EMR row with the PM row whose id it cross-references (`slot`, looked up by the caller), or
    /// keeps it for the pass over the PM rows that matches the rest. `same` is how many columns the two hold the
    /// same bytes in, when the reading thread found them all the same.
    fn emr_row(
        &mut self,
        file: usize,
        fields: &Fields<'_>,
        line: u64,
        slot: Option<u32>,
        same: Option<u8>,
    ) -> Option<Pending> {
        if let Some(slot) = slot {
            let first = self.first_record(slot);
            match same {
                // Compared with the row it names, which stands for itself.
                Some(columns) if first == slot => {
                    if self.claim(file, fields, line, slot, &Method::CrossReference) {
                        self.tallies.sync_expected += usize::from(columns);
                    }
                }
                _ => self.matched_pair(file, fields, line, first, Method::CrossReference),
            }
            return None;
        }
        Some(Pending { file, line, fields: fields.map(<[u8]>::to_vec) })
    }

    /// Claims PM row `slot` for the EMR row at `line` that the reading thread found holding the same bytes in all
    /// `columns` compared, when nothing about the pair needs the EMR row's fields: the PM row stands for itself, no
    /// EMR row took it before, and it has no second record that would quote the EMR row's id. `false` otherwise,
    /// for [`Reconciler::emr_row`]. Nearly every EMR row is such a pair, and unpacking its fields only to count it
    /// was a tenth of this thread's work while the EMR is read.
    fn claim_alike(&mut self, slot: u32, line: u64, columns: u8) -> bool {
        if self.matched[slot as usize] != 0 || self.has_second(slot) {
            return false;
        }
        self.matched[slot as usize] = line;
        self.summary.matched_by_cross_reference += 1;
        self.tallies.sync_expected += usize::from(columns);
        true
    }

    /// The EMR rows no cross-referenced PM id settled, in one pass over the PM rows: a PM row that cross-references
    /// the EMR row's id, else the one PM row with its deterministic key, else the best fuzzy candidate among the PM
    /// rows that share a blocking key with it.
    fn unsettled(&mut self, pending: Vec<Pending>) {
        if pending.is_empty() {
            return;
        }
        let mut by_id: PrehashedMap<Vec<u32>> = PrehashedMap::default();
        let mut by_key: PrehashedMap<Vec<u32>> = PrehashedMap::default();
        for (i, p) in pending.iter().enumerate() {
            let view = p.view();
            by_id.entry(key_hash([view[Column::PatientId.index()]])).or_default().push(i as u32);
            if let Some(key) = deterministic_key(&view) {
                by_key.entry(key).or_default().push(i as u32);
            }
        }
        // For each pending row, the PM rows that cross-reference its id and those with its deterministic key, in
        // row order: each part of the PM index is scanned on a core of its own.
        let (pm, matched) = (&self.pm, &self.matched);
        let parts = in_row_order(pm.len() as u32, |slots| {
            let (mut referring, mut same_key) = (Vec::new(), Vec::new());
            for slot in slots.filter(|slot| matched[*slot as usize] != PM_DUPLICATE) {
                if let Some(hash) = pm.xref_hash(slot) {
                    for &i in by_id.get(&hash).map(Vec::as_slice).unwrap_or_default() {
                        if pending[i as usize].fields[Column::PatientId.index()] == pm.row(slot)[Column::Xref.index()] {
                            referring.push((i, slot));
                        }
                    }
                }
                if let Some(key) = pm.keys(slot).0 {
                    for &i in by_key.get(&key).map(Vec::as_slice).unwrap_or_default() {
                        same_key.push((i, slot));
                    }
                }
            }
            (referring, same_key)
        });
        let mut referring: Vec<Vec<u32>> = vec![Vec::new(); pending.len()];
        let mut same_key: Vec<Vec<u32>> = vec![Vec::new(); pending.len()];
        for (part_referring, part_same_key) in parts {
            for (i, slot) in part_referring {
                referring[i as usize].push(slot);
            }
            for (i, slot) in part_same_key {
                same_key[i as usize].push(slot);
            }
        }
        let mut settled: Vec<Option<(u32, Method)>> = (0..pending.len())
            .map(|i| match (&referring[i][..], &same_key[i][..]) {
                ([slot], _) => Some((*slot, Method::CrossReference)),
                (_, [slot]) => Some((*slot, Method::Demographics)),
                _ => None,
            })
            .collect();
        self.fuzzy(&pending, &mut settled);
        // Among the rows no PM row matches, a second record of one patient is a duplicate, not another patient.
        let lonely: Vec<usize> = (0..pending.len()).filter(|i| settled[*i].is_none()).collect();
        let mut first_of: Vec<Option<(usize, String)>> = vec![None; pending.len()];
        let row = |i: u32| pending[lonely[i as usize]].view();
        for s in second_records(lonely.len() as u32, row, |i| keys_of(&row(i))) {
            first_of[lonely[s.second as usize]] = Some((lonely[s.first as usize], s.why));
        }
        for ((p, settled), first) in pending.iter().zip(settled).zip(first_of) {
            match (settled, first) {
                (Some((slot, method)), _) => self.matched_pair(p.file, &p.view(), p.line, slot, method),
                (None, Some((first, why))) => self.emr_duplicate_of_emr_only(&pending[first], p, &why),
                (None, None) => self.emr_only(p),
            }
        }
    }

    /// The EMR rows still unsettled, each matched to the PM row most like it among those that share a blocking key
    /// with it, when that one is alike enough; a second pass over the PM rows, for the few rows that need it.
    fn fuzzy(&self, pending: &[Pending], settled: &mut [Option<(u32, Method)>]) {
        let mut blocks: PrehashedMap<Vec<u32>> = PrehashedMap::default();
        let mut filter = BlockFilter::default();
        let mut keys = Vec::new();
        for (i, p) in pending.iter().enumerate().filter(|(i, _)| settled[*i].is_none()) {
            filter.add(&p.view());
            blocking_keys(&p.view(), &mut keys);
            for key in &keys {
                blocks.entry(*key).or_default().push(i as u32);
            }
        }
        if blocks.is_empty() {
            return;
        }
        let (pm, matched) = (&self.pm, &self.matched);
        let parts = in_row_order(pm.len() as u32, |slots| {
            let mut best: Vec<Option<(u32, Confidence)>> = vec![None; pending.len()];
            let mut keys = Vec::new();
            for slot in slots.filter(|slot| matched[*slot as usize] != PM_DUPLICATE) {
                if !filter.could_share(pm.filter_bits(slot)) {
                    continue;
                }
                let row = pm.row(slot);
                blocking_keys(&row, &mut keys);
                for key in &keys {
                    for &i in blocks.get(key).map(Vec::as_slice).unwrap_or_default() {
                        let i = i as usize;
                        if matches!(&best[i], Some((held, _)) if *held == slot) {
                            continue;
                        }
                        let c = confidence(&pending[i].view(), &row);
                        if better(&c, best[i].as_ref().map(|(_, held)| held)) {
                            best[i] = Some((slot, c));
                        }
                    }
                }
            }
            best
        });
        // The parts in row order: a later part's candidate wins only by scoring higher, as in one pass.
        let mut best: Vec<Option<(u32, Confidence)>> = vec![None; pending.len()];
        for part in parts {
            for (best, candidate) in best.iter_mut().zip(part) {
                if let Some((slot, c)) = candidate
                    && better(&c, best.as_ref().map(|(_, held)| held))
                {
                    *best = Some((slot, c));
                }
            }
        }
        for (settled, best) in settled.iter_mut().zip(best) {
            if settled.is_none() {
                *settled = best.map(|(slot, c)| (slot, Method::Fuzzy(c)));
            }
        }
    }

    /// A patient the EMR holds and the PM does not.
    fn emr_only(&mut self, p: &Pending) {
        self.summary.emr_only += 1;
        let message = format!(
            "the emr holds patient `{{id}}` ({} line {}) and no pm row matches them by id, demographics or fuzzily",
            self.emr_names[p.file], p.line
        );
        missing(&mut self.tallies, &mut self.findings, &p.view(), Role::Pm, message);
    }

    /// The PM rows that are a second record of a patient an earlier PM row holds; nothing is matched to them.
    fn find_pm_duplicates(&mut self) {
        let pm = &self.pm;
        self.pm_duplicates = second_records(pm.len() as u32, |slot| pm.row(slot), |slot| pm.keys(slot));
        self.has_second = vec![0; pm.len().div_ceil(64)];
        for s in &self.pm_duplicates {
            self.matched[s.second as usize] = PM_DUPLICATE;
            self.emr_id_of_first.insert(s.first, String::new());
            self.has_second[s.first as usize / 64] |= 1 << (s.first % 64);
        }
    }

    /// Whether PM row `slot` has a second record.
    fn has_second(&self, slot: u32) -> bool {
        self.has_second.get(slot as usize / 64).is_some_and(|bits| bits & (1 << (slot % 64)) != 0)
    }

    /// The record a PM row stands for: its first record when it is a second one.
    fn first_record(&self, slot: u32) -> u32 {
        if self.matched[slot as usize] != PM_DUPLICATE {
            return slot;
        }
        // Second records are rare and sorted by their row.
        match self.pm_duplicates.binary_search_by_key(&slot, |s| s.second) {
            Ok(i) => self.pm_duplicates[i].first,
            Err(_) => slot,
        }
    }

    /// Each second PM record: a `duplicate_record` against the PM, expecting the patient's EMR id (or the first
    /// record's id, where the EMR lacks the patient) and holding the second record's id. Worked out in parts on
    /// every core, and kept in the records' order.
    fn report_pm_duplicates(&mut self) {
        let this = &*self;
        let parts = in_row_order(this.pm_duplicates.len() as u32, |records| {
            records.map(|i| this.pm_duplicate(&this.pm_duplicates[i as usize])).collect::<Vec<_>>()
        });
        self.summary.pm_duplicates += self.pm_duplicates.len() as u64;
        self.pm_duplicates = Vec::new();
        self.findings.extend(parts.into_iter().flatten());
    }

    /// The finding about one second PM record.
    fn pm_duplicate(&self, &SecondRecord { first, second: dup, ref why }: &SecondRecord) -> Finding {
        let (first_id, dup_id) =
            (text(self.pm.row(first)[Column::PatientId.index()]), text(self.pm.row(dup)[Column::PatientId.index()]));
        let expected = self.emr_id_of_first.get(&first).filter(|id| !id.is_empty()).unwrap_or(&first_id).clone();
        let earlier = if self.pm.file(first) == self.pm.file(dup) {
            format!("line {}", self.pm.line(first))
        } else {
            self.pm_where(first)
        };
        let message = format!(
            "the pm holds patient `{first_id}` twice: `{dup_id}` ({}) is the same patient as {earlier} ({why})",
            self.pm_where(dup)
        );
        let f = finding(FindingKind::DuplicateRecord, first_id, "patient", "id", Role::Pm, message);
        Finding { expected: json!(expected), actual: json!(dup_id), ..f }
    }

    /// A second EMR record of a patient no PM row matches: a duplicate against the EMR, keyed by the first record.
    fn emr_duplicate_of_emr_only(&mut self, first: &Pending, dup: &Pending, why: &str) {
        self.summary.emr_duplicates += 1;
        let (first_id, dup_id) =
            (text(&first.fields[Column::PatientId.index()]), text(&dup.fields[Column::PatientId.index()]));
        let message = format!(
            "the emr holds patient `{first_id}` twice: `{dup_id}` ({} line {}) is the same patient as {} line {} \
             ({why}); no pm row matches them",
            self.emr_names[dup.file], dup.line, self.emr_names[first.file], first.line
        );
        let f = finding(FindingKind::DuplicateRecord, format!("emr:{first_id}"), "patient", "id", Role::Emr, message);
        self.findings.push(Finding { expected: json!(first_id), actual: json!(dup_id), ..f });
    }

    /// The PM rows no EMR row matched: patients the EMR does not hold. The rows are scanned in parts on every
    /// core, and their findings kept in row order.
    fn pm_only(&mut self) {
        let this = &*self;
        let parts = in_row_order(this.pm.len() as u32, |slots| {
            let (mut tallies, mut findings) = (Tallies::default(), Vec::new());
            for slot in slots.filter(|slot| this.matched[*slot as usize] == 0) {
                let message =
                    format!("the pm holds patient `{{id}}` ({}) and no emr row matches them", this.pm_where(slot));
                missing(&mut tallies, &mut findings, &this.pm.row(slot), Role::Emr, message);
            }
            (tallies, findings)
        });
        for (tallies, findings) in parts {
            self.summary.pm_only += findings.len() as u64;
            self.tallies += tallies;
            self.findings.extend(findings);
        }
    }

    /// Where PM row `slot` is: its export and line.
    fn pm_where(&self, slot: u32) -> String {
        format!("{} line {}", self.pm_names[self.pm.file(slot)], self.pm.line(slot))
    }

    /// An EMR row and the PM row it matched: a second EMR record of a patient already matched is a duplicate;
    /// otherwise each field both exports carry is compared, the PM's value expected.
    fn matched_pair(&mut self, file: usize, emr: &[&[u8]; COLUMNS], line: u64, slot: u32, method: Method) {
        if !self.claim(file, emr, line, slot, &method) {
            return;
        }
        let pm = self.pm.row(slot);
        let pm_id = pm[Column::PatientId.index()];
        for (column, expected, actual) in compared(&self.emr_columns[file], self.pm.own_ids(slot), emr, &pm) {
            self.tallies.sync_expected += 1;
            // Nearly every field is the same to the byte; only the others are looked at as text.
            if actual == expected {
                continue;
            }
            let (expected, actual) = (text(expected), text(actual));
            let held = Some(actual.as_str()).filter(|a| !a.trim().is_empty());
            let Some(kind) = classify(&expected, held, column.normaliser()) else { continue };
            if kind != FindingKind::FormatOnly {
                self.tallies.sync_gaps += 1;
            }
            let (expected, actual) = (json!(expected), held.map_or(Value::Null, |a| json!(a)));
            let message = format!(
                "{}.{} in the emr ({} line {line}) is {} where the pm has {} ({}){}",
                column.record(),
                column.field(),
                self.emr_names[file],
                shown(&actual),
                shown(&expected),
                kind.as_str().replace('_', " "),
                method.said()
            );
            let f = finding(kind, text(pm_id), column.record(), column.field(), Role::Emr, message);
            self.findings.push(Finding { expected, actual, ..f });
        }
    }

    /// Takes PM row `slot` for the EMR row at `line`: `false`, with a finding, when an earlier EMR row took it
    /// (the EMR holds the patient twice), else counts the match.
    fn claim(&mut self, file: usize, emr: &[&[u8]; COLUMNS], line: u64, slot: u32, method: &Method) -> bool {
        let first = self.matched[slot as usize];
        if first != 0 {
            let pm_id = self.pm.row(slot)[Column::PatientId.index()];
            self.summary.emr_duplicates += 1;
            let (pm_id, emr_id) = (text(pm_id), text(emr[Column::PatientId.index()]));
            let message = format!(
                "the emr holds pm patient `{pm_id}` twice: `{emr_id}` ({} line {line}) is the same patient as line \
                 {first}{}",
                self.emr_names[file],
                method.said()
            );
            let f = finding(FindingKind::DuplicateRecord, pm_id.clone(), "patient", "id", Role::Emr, message);
            self.findings.push(Finding { expected: json!(pm_id), actual: json!(emr_id), ..f });
            return false;
        }
        self.matched[slot as usize] = line;
        if self.has_second(slot)
            && let Some(id) = self.emr_id_of_first.get_mut(&slot)
        {
            *id = text(emr[Column::PatientId.index()]);
        }
        match method {
            Method::CrossReference => self.summary.matched_by_cross_reference += 1,
            Method::Demographics => self.summary.matched_by_demographics += 1,
            Method::Fuzzy(_) => self.summary.matched_fuzzy += 1,
        }
        true
    }
}

/// A patient one export holds and the other, `missing_from`, does not: every field they hold is a gap. The
/// message names the patient where it says `{id}`.
fn missing(
    tallies: &mut Tallies,
    findings: &mut Vec<Finding>,
    fields: &Fields<'_>,
    missing_from: Role,
    message: String,
) {
    let id = text(fields[Column::PatientId.index()]);
    let present = Column::ALL[2..].iter().filter(|c| !fields[c.index()].is_empty()).count();
    tallies.sync_expected += present;
    tallies.sync_gaps += present;
    let key = if missing_from == Role::Pm { format!("emr:{id}") } else { id.clone() };
    let message = message.replace("{id}", &id);
    let f = finding(FindingKind::MissingRecord, key, "patient", "", missing_from, message);
    findings.push(Finding { expected: json!(id), actual: Value::Null, ..f });
}

fn finding(kind: FindingKind, key: String, record: &str, field: &str, system: Role, message: String) -> Finding {
    Finding { message, ..Finding::new(Category::Sync, kind, key, 1, "reconcile", record, field, system) }
}
