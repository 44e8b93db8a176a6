//! The JSON report: `report.json`, and `handoff run --format json` on stdout.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

use serde::Serialize;

use super::{RunReport, TargetReport};
use crate::diff::Finding;

/// Below this many findings in all, the report is serialised on one thread: the others' start costs more than
/// they save.
const PARALLEL_FROM: usize = 4096;

/// Findings serialised at a time by one thread: a few hundred kilobytes of JSON.
const CHUNK: usize = 2048;

/// The indentation of a target's keys in the pretty-printed report: the report's object, its `targets` array and
/// the target's object.
const TARGET_DEPTH: usize = 3;

pub fn render(report: &RunReport) -> String {
    // The report is plain data: serialising it cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// [`render`], written as it is serialised: a run of 10,000 flows never holds its report as one string. A report
/// with tens of thousands of findings (a reconciliation) has them serialised in chunks on every core, each chunk
/// written as soon as those before it are; the bytes are those of one serialisation.
pub fn write(report: &RunReport, mut out: impl Write) -> std::io::Result<()> {
    let total: usize = report.targets.iter().map(|t| t.findings.len()).sum();
    let skeleton = if total >= PARALLEL_FROM { findings_at(report) } else { None };
    let Some((skeleton, places)) = skeleton else {
        return serde_json::to_writer_pretty(out, report).map_err(std::io::Error::other);
    };
    let mut from = 0;
    for (target, at) in report.targets.iter().zip(places) {
        out.write_all(&skeleton[from..at])?;
        write_array(&target.findings, &mut out)?;
        from = at + EMPTY_FINDINGS.len() - FINDINGS_KEY.len();
    }
    out.write_all(&skeleton[from..])
}

const FINDINGS_KEY: &str = "\"findings\": ";
const EMPTY_FINDINGS: &str = "\"findings\": []";

/// The report without its findings, pretty-printed, and where each target's empty `findings` array begins in it;
/// `None` if those places cannot be told for sure (another key at a target's depth named `findings`).
fn findings_at(report: &RunReport) -> Option<(Vec<u8>, Vec<usize>)> {
    let bare = RunReport { targets: report.targets.iter().map(without_findings).collect(), ..report.clone_bare() };
    let skeleton = serde_json::to_vec_pretty(&bare).ok()?;
    // A string's line breaks are escaped, so a line that starts with this is a key, at a target's depth.
    let needle = format!("\n{}{EMPTY_FINDINGS}", "  ".repeat(TARGET_DEPTH));
    let places: Vec<usize> = memchr::memmem::find_iter(&skeleton, needle.as_bytes())
        .map(|at| at + needle.len() - EMPTY_FINDINGS.len() + FINDINGS_KEY.len())
        .collect();
    (places.len() == report.targets.len()).then_some((skeleton, places))
}

impl RunReport {
    /// The report with no targets, for [`findings_at`] to put them back without their findings.
    fn clone_bare(&self) -> RunReport {
        let RunReport {
            version,
            run_id,
            started_at,
            finished_at,
            duration_ms,
            scenarios,
            phi,
            rules_not_run,
            targets: _,
            baseline,
            incomplete,
        } = self;
        RunReport {
            version: *version,
            run_id: run_id.clone(),
            started_at: started_at.clone(),
            finished_at: finished_at.clone(),
            duration_ms: *duration_ms,
            scenarios: scenarios.clone(),
            phi: *phi,
            rules_not_run: rules_not_run.clone(),
            targets: Vec::new(),
            baseline: baseline.clone(),
            incomplete: incomplete.clone(),
        }
    }
}

/// A target without its findings: every other field is listed, so one added later is not left out.
fn without_findings(target: &TargetReport) -> TargetReport {
    let TargetReport {
        name,
        source,
        kind,
        endpoints,
        scores,
        tallies,
        latency,
        topology,
        redundancy,
        capabilities,
        flows,
        findings: _,
        capability_errors,
        setup_error,
        faults,
    } = target;
    TargetReport {
        name: name.clone(),
        source: source.clone(),
        kind: *kind,
        endpoints: endpoints.clone(),
        scores: *scores,
        tallies: *tallies,
        latency: latency.clone(),
        topology: topology.clone(),
        redundancy: redundancy.clone(),
        capabilities: capabilities.clone(),
        flows: flows.clone(),
        findings: Vec::new(),
        capability_errors: capability_errors.clone(),
        setup_error: setup_error.clone(),
        faults: faults.clone(),
    }
}

/// A target's findings as the array the pretty printer writes at a target's depth, serialised in chunks on every
/// core and written in order.
fn write_array(findings: &[Finding], out: &mut impl Write) -> std::io::Result<()> {
    if findings.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let chunks: Vec<&[Finding]> = findings.chunks(CHUNK).collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(chunks.len());
    let window = Window { written: Mutex::new(0), moved: Condvar::new(), ahead: AHEAD * threads };
    std::thread::scope(|scope| {
        let (done, serialised) = mpsc::channel();
        // However the writing ends, no thread is left waiting for it.
        let _release = Release(&window);
        for _ in 0..threads {
            let (chunks, next, window) = (&chunks, &next, &window);
            let give = done.clone();
            let started = std::thread::Builder::new()
                .name("report-json".into())
                .spawn_scoped(scope, move || serialise(chunks, next, Some(window), &give));
            if started.is_err() {
                // No thread to be had: this one serialises what is left, without waiting for itself to write.
                serialise(chunks, next, None, &done);
            }
        }
        drop(done);
        // Chunks come in any order; each is written once those before it are.
        let mut waiting: Vec<Option<Vec<u8>>> = vec![None; chunks.len()];
        let mut written = 0;
        for (i, bytes) in serialised {
            waiting[i] = Some(bytes?);
            while let Some(bytes) = waiting.get_mut(written).and_then(Option::take) {
                out.write_all(&bytes)?;
                written += 1;
                window.moved_to(written);
            }
        }
        Ok::<(), std::io::Error>(())
    })?;
    out.write_all(b"\n")?;
    out.write_all("  ".repeat(TARGET_DEPTH).as_bytes())?;
    out.write_all(b"]")
}

/// Chunks a thread may serialise ahead of the last one written, per thread: a slow reader of the report (a pipe)
/// holds up the serialising instead of having the whole report pile up in memory.
const AHEAD: usize = 2;

/// How many chunks are written, for the threads that serialise them to keep within `ahead` of it.
struct Window {
    written: Mutex<usize>,
    moved: Condvar,
    ahead: usize,
}

impl Window {
    /// Waits until chunk `i` is within the window.
    fn wait_for(&self, i: usize) {
        let written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        drop(self.moved.wait_while(written, |written| i >= written.saturating_add(self.ahead)));
    }

    fn moved_to(&self, written: usize) {
        *self.written.lock().unwrap_or_else(PoisonError::into_inner) = written;
        self.moved.notify_all();
    }
}

/// Opens the window all the way when dropped, so that a write that fails leaves no thread waiting.
struct Release<'a>(&'a Window);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.moved_to(usize::MAX);
    }
}

/// Serialises the chunks not yet taken, one at a time and within `window` when there is one, until there are none
/// left or nobody waits for them.
fn serialise(
    chunks: &[&[Finding]],
    next: &AtomicUsize,
    window: Option<&Window>,
    done: &mpsc::Sender<(usize, std::io::Result<Vec<u8>>)>,
) {
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(chunk) = chunks.get(i) else { break };
        if let Some(window) = window {
            window.wait_for(i);
        }
        if done.send((i, elements(chunk, i == 0))).is_err() {
            break;
        }
    }
}

/// The findings as elements of an array at a target's depth, as the pretty printer writes them: each on a new
/// line, after a comma unless it is the array's first.
fn elements(findings: &[Finding], first: bool) -> std::io::Result<Vec<u8>> {
    // Nested in arrays as deep as a target's findings are, so the printer indents them as it would there; the
    // arrays' own brackets are then cut off.
    let mut bytes = Vec::with_capacity(findings.len() * 512);
    if !first {
        bytes.push(b',');
    }
    let skip = bytes.len();
    serde_json::to_writer_pretty(&mut bytes, &Nested { depth: TARGET_DEPTH, findings })
        .map_err(std::io::Error::other)?;
    // `[\n  [\n    [\n      [` before, `\n      ]\n    ]\n  ]\n]` after.
    let before: usize = (1..=TARGET_DEPTH).map(|d| 2 + 2 * d).sum::<usize>() + 1;
    let after: usize = (0..=TARGET_DEPTH).map(|d| 2 + 2 * d).sum();
    bytes.drain(skip..skip + before);
    bytes.truncate(bytes.len() - after);
    Ok(bytes)
}

/// `findings` inside `depth` arrays of one element each.
struct Nested<'a> {
    depth: usize,
    findings: &'a [Finding],
}

impl Serialize for Nested<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.depth {
            0 => self.findings.serialize(serializer),
            depth => [Nested { depth: depth - 1, findings: self.findings }].serialize(serializer),
        }
    }
}

pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RunReport)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::two_targets;

    /// The fixture with `n` findings in its second target, each unlike the others.
    fn with_findings(n: usize) -> RunReport {
        let mut report = two_targets();
        let template = report.targets[1].findings.clone();
        report.targets[1].findings = (0..n)
            .map(|i| {
                let mut f = template[i % template.len()].clone();
                f.message = format!("{} \"{i}\"\n", f.message);
                f
            })
            .collect();
        report
    }

    fn written(report: &RunReport) -> String {
        let mut bytes = Vec::new();
        write(report, &mut bytes).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn findings_written_in_chunks_are_the_bytes_of_one_serialisation() {
        for n in [PARALLEL_FROM, CHUNK * 3 + 17, 10_000] {
            let report = with_findings(n);
            let text = written(&report);
            assert_eq!(text, render(&report), "{n} findings");
            assert!(text.contains("(truncated) \\\"4095\\\"\\n\""), "{n} findings");
        }
    }

    #[test]
    fn a_second_target_with_findings_and_one_without_keep_their_places() {
        let mut report = with_findings(PARALLEL_FROM + 1);
        report.targets.swap(0, 1);
        report.targets.push(report.targets[0].clone());
        assert_eq!(written(&report), render(&report));
        assert_eq!(findings_at(&report).map(|(_, places)| places.len()), Some(3));
    }

    /// A reader that goes away after `left` bytes, as `handoff reconcile --format json | head -c N` does.
    struct GoesAway {
        left: usize,
    }

    impl Write for GoesAway {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_reader_that_goes_away_midway_is_an_error_and_no_thread_is_left_waiting() {
        let report = with_findings(CHUNK * 12);
        let failed = write(&report, GoesAway { left: 100_000 }).unwrap_err();
        assert_eq!(failed.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_small_report_is_written_as_it_is_rendered() {
        let report = two_targets();
        assert_eq!(written(&report), render(&report));
    }
}
