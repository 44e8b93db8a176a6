//! Targets whose PM exports its claims as X12 files: the claims are read from the 837P batches in the outbox, the
//! payer's answers from the inbox, against simulated FHIR systems for everything else.

mod support;

use handoff::model::Claim;
use support::{Run, claim_batch, claim_line, findings, repo, target};

/// The shipped new-patient visit as a PM billed it, with the knee injection's side changed from RT to LT.
fn exported_claim(id: &str) -> Claim {
    Claim {
        id: id.into(),
        payer: "medicare".into(),
        member_id: "1EG4TE5MK72".into(),
        diagnoses: ["M17.11", "E11.65", "I10", "E78.5", "Z79.84"].map(String::from).to_vec(),
        lines: vec![
            claim_line("99204", &["25", "GC"], 1.0, &[1, 2, 3, 4]),
            claim_line("20610", &["LT"], 1.0, &[1]),
            claim_line("J1030", &[], 1.0, &[1]),
        ],
        total_charge: 300.0,
    }
}

#[test]
fn the_claim_in_the_outbox_is_the_one_checked_and_rejections_and_unreadable_files_are_findings() {
    let background = tokio::runtime::Runtime::new().unwrap();
    let profile =
        handoff::scenario::parse_target("shared.yaml", "name: shared\nsimulator: { topology: shared }\n").unwrap();
    let sim =
        background.block_on(handoff::mock::start("shared", profile.simulator.as_ref().unwrap(), &[], 0, 0)).unwrap();

    let exports = tempfile::tempdir().unwrap();
    let (outbox, inbox) = (exports.path().join("claims"), exports.path().join("remits"));
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::create_dir_all(&inbox).unwrap();
    // Two interchanges in one file, as PMs append a day's batches; the patient's claim is in the second.
    let mut other = exported_claim("C-OTHER-1");
    other.member_id = "5TR7YH2WQ81".into();
    let day = format!("{}\n{}", claim_batch(other, 601), claim_batch(exported_claim("C-ANA-1"), 602));
    std::fs::write(outbox.join("day-0601.837"), day).unwrap();
    // A batch whose claim charge is not a number, and a file that is not a claim at all.
    let broken = claim_batch(exported_claim("C-ANA-2"), 603).replace("CLM*C-ANA-2*300*", "CLM*C-ANA-2*3OO*");
    std::fs::write(outbox.join("broken.837"), broken).unwrap();
    std::fs::write(outbox.join("notes.docx"), "not a claim file, and not read").unwrap();
    let status =
        std::fs::read_to_string(repo("tests/inputs/x12/277ca.x12")).unwrap().replace("TRN*2*C124~", "TRN*2*C-ANA-1~");
    std::fs::write(inbox.join("277ca-0602.x12"), status).unwrap();

    let report = Run::new()
        .scenario_file("scenarios/new-medicare-patient-em-25-with-procedure.yaml")
        .target_yaml(&format!(
            "name: pm-exports\nsystems:\n  emr: {{ fhir: {{ base_url: \"{}\" }} }}\n  pm:\n    fhir: {{ base_url: \"{}\" }}\n    \
             x12: {{ outbox: \"{}\", inbox: \"{}\" }}\n",
            sim.emr_url,
            sim.pm_url,
            outbox.display(),
            inbox.display()
        ))
        .report();
    let t = target(&report, "pm-exports");
    let found = findings(t);
    // The side of the knee changed on the way to the payer: RT missing from the claim, LT added to it.
    let scenario = "new-medicare-patient-em-25-with-procedure#9";
    // With an inbox, the remittance is what its 835 files say, and none has come for this claim yet.
    assert_eq!(
        found[0],
        "new-medicare-patient-em-25-with-procedure#10 payment/missing_record pm remittance.: \"within 10s\" -> null"
    );
    assert_eq!(
        found[1..3],
        [
            format!("{scenario} handoff/added pm claim.line[2].modifier: null -> \"LT\" @pm.claim"),
            format!("{scenario} handoff/dropped pm claim.line[2].modifier[1]: \"RT\" -> null @pm.claim"),
        ]
    );
    let message = |kind: &str| {
        t.findings.iter().filter(|f| f.kind.as_str() == kind).map(|f| f.message.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        message("rejected"),
        [format!(
            "the claim was rejected (277CA in {}): the payer did not accept the claim for adjudication: STC A7:562:85 \
             (rejected for invalid information)",
            inbox.join("277ca-0602.x12").display()
        )]
    );
    let unreadable = message("malformed_response");
    assert_eq!(unreadable.len(), 1, "{unreadable:#?}");
    assert!(
        unreadable[0].starts_with(&format!(
            "expect_claim (pm): {} cannot be read: CLM02 (segment ",
            outbox.join("broken.837").display()
        )),
        "{}",
        unreadable[0]
    );
    assert!(unreadable[0].ends_with("does not hold the claim's total charge"), "{}", unreadable[0]);
    assert_eq!(found.len(), 5, "{found:#?}");
    drop(sim);
}
