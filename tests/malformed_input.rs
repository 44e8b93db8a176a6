//! Malformed input of every kind a user or a vendor's export can hand over — truncated, wrong delimiters, binary
//! garbage, invalid UTF-8, a 100 MB line, deep nesting, an alias bomb — gives a clear error that names the file
//! and where in it, exit 2, no panic, and stays within a fixed memory limit.
//!
//! The files are in `tests/inputs/malformed/`; the 100 MB lines are written to a temporary folder at test time.
//! No command reads HL7 v2 files, so those go through the library's parser and readers directly.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use handoff::connect::hl7v2::{Message, read_adt};

/// The address space each run may use; going past it makes an allocation fail, which aborts the run and fails
/// the test. The 100 MB-line files need a few copies of themselves; an unbounded expansion would need far more.
const ADDRESS_SPACE_BYTES: u64 = 1536 * 1024 * 1024;

const HUNDRED_MB: usize = 100 * 1024 * 1024;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Relative to the repository, where the binary runs, so the diagnostics' lines stay short enough not to wrap.
fn malformed(name: &str) -> PathBuf {
    Path::new("tests/inputs/malformed").join(name)
}

/// `handoff ARGS` under `prlimit --as`, so a run that needed unbounded memory fails instead of passing slowly.
fn handoff_bounded(args: &[&str]) -> Output {
    Command::new("prlimit")
        .arg(format!("--as={ADDRESS_SPACE_BYTES}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_handoff"))
        .args(args)
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .expect("prlimit (util-linux) runs the binary with a memory limit")
}

/// Exit 2, a first line `FILE:LINE:COL: ...` (or `FILE: ...` where the whole file is at fault) containing `what`,
/// and no panic.
fn assert_rejected(out: &Output, file: &Path, located: bool, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let name = file.display().to_string();
    assert_eq!(out.status.code(), Some(2), "{name}: exit {:?}\n{stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
    let headline = stderr
        .lines()
        .find_map(|l| l.trim_start_matches(['×', ' ']).strip_prefix(name.as_str()))
        .unwrap_or_else(|| panic!("{name} is not named:\n{stderr}"));
    let position: Vec<&str> = headline.trim_start_matches(':').splitn(3, ':').collect();
    if located {
        let numbers = position.len() == 3 && position[..2].iter().all(|n| n.parse::<u32>().is_ok_and(|n| n > 0));
        assert!(numbers, "{name}: no line and column in `{headline}`");
    }
    assert!(headline.contains(what), "{name}: `{headline}` does not say `{what}`\n{stderr}");
    stderr
}

#[test]
fn malformed_scenario_files_are_refused_with_where_and_what() {
    let cases = [
        // Nested anchors ("billion laughs"): each keeps at most 20,000 copied events, so the file fails on its
        // first step instead of expanding to 10^10 values.
        ("alias-bomb.yaml", ""),
        ("alias-flood.yaml", "the YAML uses more than 1000 aliases (`*name`)"),
        ("deep-nesting.yaml", "the YAML nests deeper than 32 levels"),
        ("invalid-utf8.yaml", "the file is not UTF-8 (byte 0xE9 at offset 34)"),
        ("binary-garbage.yaml", "the file is not UTF-8"),
        ("control-characters.yaml", ""),
        ("truncated.yaml", ""),
        ("tab-indented.yaml", ""),
    ];
    for (file, what) in cases {
        let path = malformed(file);
        let out = handoff_bounded(&["validate", path.to_str().unwrap()]);
        assert_rejected(&out, &path, true, what);
    }
}

#[test]
fn invalid_utf8_in_a_scenario_is_located_by_line_and_column() {
    let path = malformed("invalid-utf8.yaml");
    let out = handoff_bounded(&["validate", path.to_str().unwrap()]);
    let stderr = assert_rejected(&out, &path, true, "offset 34");
    assert!(stderr.contains(&format!("{}:2:17:", path.display())), "{stderr}");
}

#[test]
fn a_scenario_with_a_100_mb_line_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    file.write_all(b"name: ").unwrap();
    file.write_all(&vec![b'a'; HUNDRED_MB]).unwrap();
    file.write_all(b"\n").unwrap();
    drop(file);
    let out = handoff_bounded(&["validate", path.to_str().unwrap()]);
    assert_rejected(&out, &path, false, "the file is 104857607 bytes; scenario and target files are at most 4194304");
}

#[test]
fn malformed_x12_batches_are_refused_naming_the_segment() {
    let cases = [
        ("truncated.x12", "the interchange ends after segment"),
        ("isa-cut-short.x12", "the ISA segment (segment 1) is 60 characters long"),
        ("wrong-delimiters.x12", "segment 2 has the id `GS|HC|BAYVIEWCLINIC"),
        ("binary-garbage.x12", "byte 0xBD at offset 1 (segment 1, ISA) is not text"),
        ("invalid-utf8.x12", "byte 0xFF at offset"),
    ];
    let empty_store = tempfile::tempdir().unwrap();
    for (file, what) in cases {
        let path = malformed(file);
        let out = handoff_bounded(&["scrub", path.to_str().unwrap(), "--store", empty_store.path().to_str().unwrap()]);
        let stderr = assert_rejected(&out, &path, false, what);
        assert!(stderr.contains("segment"), "{file} does not name a segment:\n{stderr}");
    }
}

#[test]
fn invalid_utf8_in_an_x12_batch_names_the_segment_it_is_in() {
    let path = malformed("invalid-utf8.x12");
    let out = handoff_bounded(&["scrub", path.to_str().unwrap()]);
    assert_rejected(
        &out,
        &path,
        false,
        "byte 0xFF at offset 522 (segment 15 NM1) is not text; an X12 interchange is ASCII",
    );
}

#[test]
fn an_x12_batch_with_a_100_mb_line_is_refused_within_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.x12");
    let sample = std::fs::read(repo().join("tests/interop/x12/837p.x12")).unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    // A valid ISA, then one 100 MB segment whose terminator never comes.
    file.write_all(&sample[..106]).unwrap();
    file.write_all(b"NM1*").unwrap();
    file.write_all(&vec![b'A'; HUNDRED_MB]).unwrap();
    drop(file);
    let out = handoff_bounded(&["scrub", path.to_str().unwrap()]);
    assert_rejected(&out, &path, false, "segment 2");
}

#[test]
fn malformed_hl7_messages_are_errors_naming_the_segment_never_panics() {
    let cases = [
        ("truncated.hl7", "MSH-9"),
        ("wrong-delimiters.hl7", "MSH"),
        ("binary-garbage.hl7", ""),
        ("not-hl7.hl7", "PID"),
    ];
    for (file, what) in cases {
        let bytes = std::fs::read(repo().join(malformed(file))).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let error = match Message::parse(&text) {
            Ok(message) => read_adt(&message).unwrap_err().to_string(),
            Err(error) => error.to_string(),
        };
        assert!(error.contains(what), "{file}: `{error}` does not say `{what}`");
    }
}

#[test]
fn an_hl7_message_with_a_100_mb_field_parses_and_reads() {
    let sample = std::fs::read_to_string(repo().join("tests/interop/samples/adt_a04.hl7")).unwrap();
    let text = sample.replacen("PID|1||", &format!("PID|1|{}|", "A".repeat(HUNDRED_MB)), 1);
    let message = Message::parse(&text).unwrap();
    assert_eq!(message.segment("PID").unwrap().value(2).len(), HUNDRED_MB);
    assert_eq!(read_adt(&message).unwrap().patient.name.family, "Lopez-Hernandez");
}
