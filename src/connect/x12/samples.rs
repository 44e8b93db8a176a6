//! One sample of every transaction this module writes: snapshotted for reviewers, and kept in
//! `tests/interop/x12/` for the independent pyx12 and linuxforhealth-x12 checks.

use std::path::PathBuf;

use super::fixtures::{claim, inquiry, interchange, submission};
use super::{Document, eligibility_inquiry, professional_claim, read_837p};

fn samples() -> Vec<(&'static str, String)> {
    let claim_set = professional_claim(&submission(claim()), 1).unwrap_or_else(|e| panic!("{e}"));
    vec![
        ("837p", interchange(1001).with_group(1, vec![claim_set]).to_x12()),
        ("270", interchange(1002).with_group(2, vec![eligibility_inquiry(&inquiry(), 1)]).to_x12()),
    ]
}

/// Segments one per line, as billing staff read a batch file.
fn readable(text: &str) -> String {
    text.replace('~', "~\n")
}

#[test]
fn professional_claim_snapshot() {
    let (_, text) = &samples()[0];
    insta::assert_snapshot!(readable(text));
}

#[test]
fn eligibility_inquiry_snapshot() {
    let (_, text) = &samples()[1];
    insta::assert_snapshot!(readable(text));
}

#[test]
fn every_sample_reads_back() {
    for (name, text) in samples() {
        let doc = Document::parse(&readable(&text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "837p" {
            assert_eq!(read_837p(&doc).unwrap_or_else(|e| panic!("{e}")), vec![claim()]);
        }
    }
}

/// The files on disk must be what the writers make today; `HANDOFF_UPDATE_SAMPLES=1` rewrites them.
#[test]
fn interop_samples_match_the_writers() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/x12");
    let update = std::env::var_os("HANDOFF_UPDATE_SAMPLES").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    for (name, text) in samples() {
        let path = dir.join(format!("{name}.x12"));
        let text = readable(&text);
        if update {
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{}: {e}; run with HANDOFF_UPDATE_SAMPLES=1 to write the samples", path.display())
        });
        assert_eq!(on_disk, text, "{} is stale; run with HANDOFF_UPDATE_SAMPLES=1", path.display());
    }
}
