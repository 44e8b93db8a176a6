//! The shipped scenarios against the shipped simulator profiles: what a newcomer sees from `handoff run`.

mod support;

use handoff::score::TopologyVerdict;
use support::{findings, shipped, target};

#[test]
fn integrated_suite_is_one_clean_shared_record_and_interfaced_pair_shows_each_defect() {
    let report = shipped();
    assert_eq!(report.version, 1);

    let suite = target(&report, "integrated-suite");
    assert_eq!(findings(suite), Vec::<String>::new());
    assert_eq!(suite.scores.sync_gap_pct, Some(0.0));
    assert_eq!(suite.scores.handoff_accuracy_pct, Some(100.0));
    assert_eq!(suite.scores.duplicate_entry_pct, Some(0.0));
    assert_eq!(suite.topology.verdict, TopologyVerdict::SharedRecord);
    assert!(suite.flows.iter().all(|f| f.passed));

    let pair = target(&report, "interfaced-pair");
    assert_eq!(
        findings(pair),
        vec![
            r#"address-and-phone-change#2 sync/truncated emr patient.name.family: "O'Connor-Whitfield" -> "O'Connor-W""#,
            r#"address-and-phone-change#4 sync/truncated emr patient.name.family: "O'Connor-Whitfield" -> "O'Connor-W""#,
            // Its payer ignores modifier 25, so the visit is bundled into the knee injection: no scrubber predicts it.
            r#"new-medicare-patient-em-25-with-procedure#10 payment/denied pm remittance.line[1]: "paid" -> "denied CO-97" @payer.835"#,
            r#"new-medicare-patient-em-25-with-procedure#2 sync/truncated emr patient.name.family: "Lopez-Hernandez" -> "Lopez-Hern""#,
            r#"new-medicare-patient-em-25-with-procedure#9 handoff/dropped pm claim.diagnosis[5]: "Z79.84" -> null @pm.encounter"#,
            r#"new-medicare-patient-em-25-with-procedure#9 handoff/dropped pm claim.line[1].modifier[2]: "GC" -> null @pm.charge"#,
        ]
    );
    assert_eq!(pair.topology.verdict, TopologyVerdict::Interfaced);
    let passed: Vec<(&str, bool)> = pair.flows.iter().map(|f| (f.scenario.as_str(), f.passed)).collect();
    assert_eq!(
        passed,
        [
            ("new-medicare-patient-em-25-with-procedure", false),
            ("established-patient-in-office-lab", true),
            ("address-and-phone-change", false)
        ]
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn scores_are_the_ratios_of_what_was_counted() {
    let report = shipped();
    for t in &report.targets {
        // Scenario 1: patient 10 + its identifier, coverage 3, appointment 3, charges 3; scenario 2: patient 9 + 1,
        // appointment 3, charges 3; scenario 3: patient 11 + 1, then 10 + 1 after the move to a one-line address.
        assert_eq!(t.tallies.sync_expected, 20 + 16 + 23, "{}", t.name);
        // Scenario 1: lines of 11, 7 and 6 elements, 5 diagnoses, member id, payer; scenario 2: 7+6+6, 2, 2.
        assert_eq!(t.tallies.handoff_elements, 31 + 23, "{}", t.name);
        assert_eq!(t.tallies.rekeyed_fields, 0, "{}", t.name);
    }
    let pair = target(&report, "interfaced-pair");
    assert_eq!(pair.tallies.sync_gaps, 3);
    assert_eq!(pair.tallies.handoff_exact, 52);
    assert_eq!(pair.scores.sync_gap_pct, Some(5.08));
    assert_eq!(pair.scores.handoff_accuracy_pct, Some(96.3));
    // Two claims remitted, six lines at $100 each; the default payer allows 80% of the charge.
    let suite = target(&report, "integrated-suite");
    assert_eq!((suite.tallies.claims_remitted, suite.tallies.lines_adjudicated, suite.tallies.lines_denied), (2, 6, 0));
    assert_eq!((suite.tallies.charged_cents, suite.tallies.paid_cents), (60_000, 48_000));
    assert_eq!(suite.scores.first_pass_paid_pct, Some(100.0));
    assert_eq!(suite.scores.denials_predicted_pct, None);
    // interfaced-pair's payer denies the new patient's $100 E/M, which nothing predicted.
    assert_eq!((pair.tallies.claims_remitted, pair.tallies.lines_denied, pair.tallies.denials_predicted), (2, 1, 0));
    assert_eq!(pair.tallies.paid_cents, 40_000);
    assert_eq!(pair.scores.first_pass_paid_pct, Some(50.0));
    assert_eq!(pair.scores.denials_predicted_pct, Some(0.0));
}

#[test]
fn interface_latency_is_measured_per_record_kind() {
    let report = shipped();
    let pair = target(&report, "interfaced-pair");
    let patient = pair.latency["patient"];
    // The profile's interface waits 300 ms; polling and a busy machine add to it, a window of 10 s does not.
    assert_eq!(patient.count, 4);
    assert!((300..2_000).contains(&patient.p50_ms), "{patient:?}");
    let charges = pair.latency["charge"];
    assert_eq!(charges.count, 2);
    assert!(charges.max_ms >= 300, "{charges:?}");
    let suite = target(&report, "integrated-suite");
    assert!(suite.latency["patient"].max_ms < 100, "{:?}", suite.latency["patient"]);
}

#[test]
fn report_snapshot_with_volatile_values_redacted() {
    let report = shipped();
    insta::assert_json_snapshot!(report, {
        ".started_at" => "[time]",
        ".finished_at" => "[time]",
        ".duration_ms" => "[ms]",
        ".targets[].endpoints.*" => "[url]",
        ".targets[].latency.*.p50_ms" => "[ms]",
        ".targets[].latency.*.p95_ms" => "[ms]",
        ".targets[].latency.*.max_ms" => "[ms]",
        ".targets[].topology.evidence" => "[evidence]",
        ".targets[].flows[].steps[].elapsed_ms" => "[ms]",
        ".targets[].flows[].identities[].patient_id" => "[id]",
        ".targets[].findings[].latency_ms" => "[ms]",
    });
}
