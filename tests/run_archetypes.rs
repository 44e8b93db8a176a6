//! The four vendor archetypes side by side: the differences the buyer's guide predicts, as the scorecard shows them.

mod support;

use handoff::model::Module;
use handoff::score::TopologyVerdict;
use support::{Run, target};

#[test]
fn each_archetype_shows_what_the_guide_predicts() {
    let report = Run::new()
        .scenario_file("scenarios/new-medicare-patient-em-25-with-procedure.yaml")
        .scenario_file("scenarios/established-patient-in-office-lab.yaml")
        .scenario_file("scenarios/address-and-phone-change.yaml")
        .target_file("mocks/integrated-suite.yaml")
        .target_file("mocks/interfaced-pair.yaml")
        .target_file("mocks/bolted-on.yaml")
        .target_file("mocks/billing-first-pm.yaml")
        .report();

    // One record: same ids, nothing paid twice, nothing keyed twice.
    let suite = target(&report, "integrated-suite");
    assert_eq!(suite.topology.verdict, TopologyVerdict::SharedRecord);
    assert!(suite.redundancy.paid_twice.is_empty());
    assert_eq!(suite.redundancy.monthly_total, Some(510.0));
    assert_eq!(suite.scores.duplicate_entry_pct, Some(0.0));

    // An interface: separate ids in under a second; scheduling sold by both products.
    let pair = target(&report, "interfaced-pair");
    assert_eq!(pair.topology.verdict, TopologyVerdict::Interfaced);
    let twice: Vec<Module> = pair.redundancy.paid_twice.iter().map(|p| p.module).collect();
    assert_eq!(twice, [Module::Scheduling]);
    assert_eq!(pair.redundancy.monthly_paid_twice, 40.0);

    // Bolted on: batch sync, charges keyed again by staff for both visits (11+7+6 and 7+6+6 fields).
    let bolted = target(&report, "bolted-on");
    assert_eq!(bolted.topology.verdict, TopologyVerdict::BatchSynced, "{}", bolted.topology.evidence);
    assert_eq!(bolted.tallies.rekeyed_fields, 24 + 19);
    assert!(bolted.scores.duplicate_entry_pct.unwrap() > 25.0, "{:?}", bolted.scores);
    let rekeyed = bolted.findings.iter().filter(|f| f.kind.as_str() == "duplicate_entry").count();
    assert_eq!(rekeyed, 6);
    let twice: Vec<Module> = bolted.redundancy.paid_twice.iter().map(|p| p.module).collect();
    assert_eq!(twice, [Module::Scheduling, Module::Registration]);

    // Billing first: a clean handoff, but no problem list or lab orders anywhere, and quality reporting twice.
    let billing = target(&report, "billing-first-pm");
    assert_eq!(billing.scores.handoff_accuracy_pct, Some(100.0));
    assert_eq!(billing.redundancy.missing, [Module::ProblemList, Module::LabOrdersResults]);
    let twice: Vec<(Module, Option<f64>)> =
        billing.redundancy.paid_twice.iter().map(|p| (p.module, p.extra_monthly)).collect();
    assert_eq!(twice, [(Module::ClinicalQualityReporting, Some(15.0))]);
    assert!(billing.findings.iter().all(|f| !f.counts), "only format differences: {:?}", billing.findings);
}
