//! Test support: run scenarios against targets through the library, and describe findings in one line each.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use handoff::engine::{Events, PlannedTarget, RunPlan, execute};
use handoff::report::{RunReport, TargetReport};
use handoff::scenario::{Scenario, Target, load_scenario, load_target, parse_scenario, parse_target};

/// The binary as a user runs it from the repository root, without colour.
pub fn handoff(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A run under construction: `Run::new().scenario_file(..).target_file(..).report()`.
#[derive(Default)]
pub struct Run {
    scenarios: Vec<Scenario>,
    targets: Vec<PlannedTarget>,
    events: Events,
    wire: Option<handoff::connect::wire::WireLog>,
}

impl Run {
    pub fn new() -> Run {
        Run::default()
    }

    pub fn scenario_file(mut self, path: &str) -> Run {
        self.scenarios.push(load_scenario(&repo(path)).unwrap_or_else(|e| panic!("{}", e.headline())));
        self
    }

    pub fn scenario_yaml(mut self, yaml: &str) -> Run {
        self.scenarios.push(parse_scenario("inline.yaml", yaml).unwrap_or_else(|e| panic!("{}", e.headline())));
        self
    }

    /// Records every message the run sends and receives, as `--out` does for its artifacts.
    pub fn recording(mut self, log: &handoff::connect::wire::WireLog) -> Run {
        self.wire = Some(log.clone());
        self
    }

    /// Where the run says what it is doing, as a progress bar would hear it.
    pub fn events_to(mut self, sender: std::sync::mpsc::Sender<handoff::engine::RunEvent>) -> Run {
        self.events = Events::to(sender);
        self
    }

    pub fn target_file(mut self, path: &str) -> Run {
        let target = load_target(&repo(path)).unwrap_or_else(|e| panic!("{}", e.headline()));
        self.targets.push(PlannedTarget { source: path.to_string(), target });
        self
    }

    pub fn target_yaml(mut self, yaml: &str) -> Run {
        let target: Target = parse_target("inline.yaml", yaml).unwrap_or_else(|e| panic!("{}", e.headline()));
        self.targets.push(PlannedTarget { source: "inline.yaml".into(), target });
        self
    }

    pub fn report(self) -> RunReport {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        // The rules as a fresh machine has them: FY2026 ICD-10-CM built in, no NCCI or MUE tables imported.
        let rules = handoff::rules::ScrubContext::new(handoff::rules::IcdRelease::embedded().unwrap());
        let plan = RunPlan {
            run_id: "test-run".into(),
            jobs: 64,
            rules: Some(std::sync::Arc::new(rules)),
            scenarios: self.scenarios,
            targets: self.targets,
            events: self.events,
            wire: self.wire,
            halt: Default::default(),
        };
        let started = jiff::Timestamp::now();
        let outcomes = runtime.block_on(execute(&plan));
        RunReport::new(
            "test-run",
            started,
            jiff::Timestamp::now(),
            plan.scenarios.iter().map(|s| s.name.clone()).collect(),
            outcomes,
        )
    }
}

/// The three shipped scenarios against the shipped integrated suite and interfaced pair: one clean, one with
/// each of its planted defects.
pub fn shipped() -> RunReport {
    Run::new()
        .scenario_file("scenarios/new-medicare-patient-em-25-with-procedure.yaml")
        .scenario_file("scenarios/established-patient-in-office-lab.yaml")
        .scenario_file("scenarios/address-and-phone-change.yaml")
        .target_file("mocks/integrated-suite.yaml")
        .target_file("mocks/interfaced-pair.yaml")
        .report()
}

pub fn target<'a>(report: &'a RunReport, name: &str) -> &'a TargetReport {
    report.targets.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no target {name}"))
}

/// Each finding as `scenario#step category/kind system record.field: expected -> actual [@hop]`, sorted.
pub fn findings(target: &TargetReport) -> Vec<String> {
    let mut lines: Vec<String> = target
        .findings
        .iter()
        .map(|f| {
            let category = serde_json::to_value(f.category).unwrap();
            let mut line = format!(
                "{}#{} {}/{} {} {}.{}: {} -> {}",
                f.scenario,
                f.step,
                category.as_str().unwrap(),
                f.kind.as_str(),
                f.system,
                f.record,
                f.field,
                f.expected,
                f.actual
            );
            if let Some(hop) = &f.hop {
                line.push_str(&format!(" @{hop}"));
            }
            line
        })
        .collect();
    lines.sort();
    lines
}

/// A free loopback port for a test to tell the harness to listen on, taken from below the kernel's ephemeral range
/// (32768 and up on Linux): a port the kernel hands out for `127.0.0.1:0` could be given to another test's server
/// between this check and the harness binding it, as happened to a refused-connection test in CI.
pub fn free_port() -> u16 {
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
        ^ std::process::id().rotate_left(16);
    (0..1000u32)
        .map(|i| 20_000 + (seed.wrapping_add(i.wrapping_mul(7_919)) % 12_000) as u16)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port between 20000 and 32000")
}

/// The patient of the shipped new-Medicare-patient scenario, whom the interface and export tests bill.
pub fn ana() -> handoff::model::Patient {
    load_scenario(&repo("scenarios/new-medicare-patient-em-25-with-procedure.yaml")).unwrap().patient
}

/// One claim line as a PM exports it: the code, modifiers, units and pointers of a service on 2026-06-01 in the office.
pub fn claim_line(code: &str, modifiers: &[&str], units: f64, dx_pointers: &[u8]) -> handoff::model::ClaimLine {
    handoff::model::ClaimLine {
        code: code.into(),
        modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
        units,
        dx_pointers: dx_pointers.to_vec(),
        place_of_service: "11".into(),
        date_of_service: "2026-06-01".parse().unwrap(),
        rendering_npi: "1234567893".into(),
        charge: 100.0 * units,
    }
}

/// An 837P batch as a PM exports it, written with handoff's own 837P writer.
pub fn claim_batch(claim: handoff::model::Claim, control_number: u32) -> String {
    use handoff::connect::x12::{
        BillingProvider, ClaimSubmission, Interchange, InterchangeHeader, Party, Provider, Receiver, Submitter,
        professional_claim,
    };
    use handoff::model::{Address, HumanName};
    let subscriber = ana();
    let submission = ClaimSubmission {
        reference: format!("BATCH{control_number:04}"),
        created: "2026-06-02T08:00".parse().unwrap(),
        submitter: Submitter {
            name: "Bayview Clinic".into(),
            id: "BAYVIEW01".into(),
            contact: "Billing Office".into(),
            phone: "8135550100".into(),
        },
        receiver: Receiver { name: "Gulf Coast Clearinghouse".into(), id: "GCCH01".into() },
        billing: BillingProvider {
            name: "Bayview Clinic".into(),
            npi: "1245319599".into(),
            tax_id: "591234567".into(),
            address: Address {
                line: vec!["500 Harbor Blvd".into()],
                city: "Tampa".into(),
                state: "FL".into(),
                postal_code: "33606-1234".into(),
            },
        },
        coverage: subscriber.coverage.clone().unwrap(),
        subscriber,
        payer_id: "09102".into(),
        claim_filing_code: "MB".into(),
        place_of_service: "11".into(),
        providers: vec![Provider {
            npi: "1234567893".into(),
            name: HumanName { given: vec!["Priya".into()], family: "Raman".into() },
        }],
        claim,
    };
    let header = InterchangeHeader {
        sender: Party { qualifier: "ZZ".into(), id: "BAYVIEWCLINIC".into() },
        receiver: Party { qualifier: "ZZ".into(), id: "CLEARHOUSE".into() },
        created: "2026-06-02T08:00".parse().unwrap(),
        control_number,
        production: false,
        ack_requested: false,
    };
    let set = professional_claim(&submission, 1).unwrap();
    Interchange::new(header).with_group(control_number, vec![set]).to_x12()
}
