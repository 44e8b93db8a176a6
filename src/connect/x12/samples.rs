//! One sample of every transaction this module writes: snapshotted for reviewers, and kept in
//! `tests/interop/x12/` for the independent pyx12 and linuxforhealth-x12 checks.

use std::path::PathBuf;

use super::fixtures::{BILLING_NPI, claim, inquiry, interchange, submission};
use super::{Document, eligibility_inquiry, professional_claim, read_837p};

fn samples() -> Vec<(&'static str, String)> {
    let claim_set = professional_claim(&submission(claim()), 1).unwrap_or_else(|e| panic!("{e}"));
    let mut varied = claim();
    varied.id = "C125".into();
    varied.diagnoses = [
        "E11.65", "I10", "E78.5", "Z79.4", "M17.11", "N18.30", "E66.9", "Z68.30", "G47.33", "F32.A", "K21.9", "R73.03",
    ]
    .map(String::from)
    .to_vec();
    varied.lines[1].rendering_npi = BILLING_NPI.into();
    varied.lines[2].place_of_service = "22".into();
    varied.lines[2].modifiers = vec!["JZ".into(), "59".into(), "XU".into(), "76".into()];
    varied.lines[2].dx_pointers = vec![12, 3, 2, 1];
    let varied_set = professional_claim(&submission(varied), 2).unwrap_or_else(|e| panic!("{e}"));
    vec![
        ("837p", interchange(1001).with_group(1, vec![claim_set]).to_x12()),
        (
            "837p_two_claims",
            interchange(1003)
                .with_group(
                    3,
                    vec![professional_claim(&submission(claim()), 1).unwrap_or_else(|e| panic!("{e}")), varied_set],
                )
                .to_x12(),
        ),
        ("270", interchange(1002).with_group(2, vec![eligibility_inquiry(&inquiry(), 1)]).to_x12()),
    ]
}

fn sample(name: &str) -> String {
    samples().into_iter().find(|(n, _)| *n == name).map(|(_, text)| text).unwrap_or_else(|| panic!("no sample {name}"))
}

/// Segments one per line, as billing staff read a batch file.
fn readable(text: &str) -> String {
    text.replace('~', "~\n")
}

#[test]
fn professional_claim_snapshot() {
    insta::assert_snapshot!(readable(&sample("837p")));
}

#[test]
fn eligibility_inquiry_snapshot() {
    insta::assert_snapshot!(readable(&sample("270")));
}

#[test]
fn every_sample_reads_back() {
    for (name, text) in samples() {
        let doc = Document::parse(&readable(&text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "837p_two_claims" {
            assert_eq!(read_837p(&doc).unwrap_or_else(|e| panic!("{e}")).len(), 2);
        }
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
