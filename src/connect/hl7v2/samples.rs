//! One sample of every message this module builds: snapshotted for reviewers, and kept in
//! `tests/interop/samples/` for the independent hl7apy check (`tests/interop/hl7_validate.py`).

use std::path::PathBuf;

use super::fixtures::{ana, awkward, booked_visit, envelope, merged_duplicate, rescheduled_visit, uninsured, visit};
use super::{
    Acknowledgment, ErrorCondition, Message, MessageHeader, PostedCharges, ack, adt_a04, adt_a08, adt_a40, dft_p03,
    reject_unreadable, siu_s12, siu_s13, siu_s14, siu_s15,
};

fn samples() -> Vec<(&'static str, Message)> {
    let adt = adt_a04(&envelope("MSG0001"), &ana());
    let header = MessageHeader::read(&adt).unwrap_or_else(|e| panic!("{e}"));
    let replied_at = "2026-12-01T14:30:01Z".parse().unwrap_or_else(|e| panic!("{e}"));
    vec![
        ("adt_a04", adt.clone()),
        ("adt_a08_escapes", adt_a08(&envelope("MSG0002"), &awkward())),
        ("adt_a40", adt_a40(&envelope("MSG0005"), &merged_duplicate())),
        ("siu_s12", siu_s12(&envelope("MSG0003"), &booked_visit())),
        ("siu_s13", siu_s13(&envelope("MSG0006"), &rescheduled_visit(), "Patient asked for an afternoon slot")),
        ("siu_s14", siu_s14(&envelope("MSG0007"), &booked_visit(), "")),
        ("siu_s15", siu_s15(&envelope("MSG0008"), &booked_visit(), "Patient cancelled")),
        ("dft_p03", dft_p03(&envelope("MSG0004"), &PostedCharges::from_encounter(uninsured(ana()), &visit()))),
        ("ack_aa", ack(&header, "ACK0001", replied_at, &Acknowledgment::accept("Patient registered"))),
        (
            "ack_ae",
            ack(
                &header,
                "ACK0002",
                replied_at,
                &Acknowledgment::error(ErrorCondition::UNKNOWN_KEY_IDENTIFIER, "No such patient: EMR-000123"),
            ),
        ),
        (
            "ack_ar",
            reject_unreadable(
                &adt.to_er7().replace("|2.5.1\r", "|9.9\r"),
                ErrorCondition::UNSUPPORTED_VERSION_ID,
                "Only HL7 2.5.1 is accepted",
                "ACK0003",
                replied_at,
            ),
        ),
    ]
}

/// Segments one per line, so a reviewer reads the message as an interface analyst would.
fn readable(message: &Message) -> String {
    message.to_er7().replace('\r', "\n")
}

#[test]
fn adt_a04_snapshot() {
    insta::assert_snapshot!(readable(&adt_a04(&envelope("MSG0001"), &ana())));
}

#[test]
fn dft_p03_snapshot() {
    let posted = PostedCharges::from_encounter(uninsured(ana()), &visit());
    insta::assert_snapshot!(readable(&dft_p03(&envelope("MSG0004"), &posted)));
}

/// The files on disk must be what the builders make today; `HANDOFF_UPDATE_SAMPLES=1` rewrites them.
#[test]
fn interop_samples_match_the_builders() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/samples");
    let update = std::env::var_os("HANDOFF_UPDATE_SAMPLES").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    for (name, message) in samples() {
        let path = dir.join(format!("{name}.hl7"));
        let text = message.to_er7();
        if update {
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{}: {e}; run with HANDOFF_UPDATE_SAMPLES=1 to write the samples", path.display())
        });
        assert_eq!(on_disk, text, "{} is stale; run with HANDOFF_UPDATE_SAMPLES=1", path.display());
    }
}
