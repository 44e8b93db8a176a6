//! A whole run: every scenario against every target, simulators started on loopback for the targets that are simulators.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use futures::{StreamExt, stream};

use super::event::{Events, RunEvent};
use super::flow::{Systems, run_flow_until};
use super::halt::Halt;
use super::outcome::FlowOutcome;
use crate::connect::fhir::auth::Credentials;
use crate::connect::fhir::{Connection, FhirAdapter, RetryCount};
use crate::connect::hl7v2::Route;
use crate::connect::system::{ExportFolders, InterfaceChannel, InterfaceSettings, System};
use crate::connect::wire::{self, WireLog, WireTap};
use crate::connect::{AdapterError, Query, Records};
use crate::mock::{self, FaultTally};
use crate::model::{Capabilities, Role};
use crate::rules::ScrubContext;
use crate::scenario::{FhirSystem, Scenario, SystemSpec, Target};

/// How long one request to a real system may take when the target does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Simulators are on loopback: anything slower than this is a fault.
const SIMULATOR_TIMEOUT: Duration = Duration::from_secs(10);

pub struct RunPlan {
    pub run_id: String,
    /// How many flows run at once against each target.
    pub jobs: usize,
    /// The rules `expect_claim: { scrub: cms }` checks claims against.
    pub rules: Option<Arc<ScrubContext>>,
    pub scenarios: Vec<Scenario>,
    pub targets: Vec<PlannedTarget>,
    /// Where the run says what it is doing (a progress bar), if anyone listens.
    pub events: Events,
    /// Where every message sent or received is recorded, when the run keeps them (`--out`).
    pub wire: Option<WireLog>,
    /// Stops the run early (a deadline, a signal); flows that have not finished report where they stopped.
    pub halt: Halt,
}

pub struct PlannedTarget {
    /// The file the target was read from.
    pub source: String,
    pub target: Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSystems {
    Simulator,
    Real,
}

pub struct TargetOutcome {
    pub name: String,
    pub source: String,
    pub kind: TargetSystems,
    pub emr_endpoint: Option<String>,
    pub pm_endpoint: Option<String>,
    pub flows: Vec<FlowOutcome>,
    /// Why the target could not be set up at all (a port in use, a missing credential).
    pub setup_error: Option<String>,
    /// What each role's system publishes, with the target's declared products laid over it.
    pub capabilities: BTreeMap<Role, Capabilities>,
    /// Why a role's capabilities could not be read (the run goes on without them).
    pub capability_errors: Vec<String>,
    /// For a simulator: the faults it fired, read when its flows were done.
    pub faults: Option<FaultTally>,
    /// Requests sent again after a 429 or 503.
    pub retried: u64,
}

pub async fn execute(plan: &RunPlan) -> Vec<TargetOutcome> {
    join_all(plan.targets.iter().map(|t| async {
        let outcome = run_target(t, plan).await;
        plan.events
            .send(RunEvent::TargetFinished { target: outcome.name.clone(), setup_error: outcome.setup_error.clone() });
        outcome
    }))
    .await
}

async fn run_target(planned: &PlannedTarget, plan: &RunPlan) -> TargetOutcome {
    let (scenarios, run_id, jobs, wire) = (&plan.scenarios, &plan.run_id, plan.jobs, plan.wire.as_ref());
    let target = &planned.target;
    let mut outcome = TargetOutcome {
        name: target.name.clone(),
        source: planned.source.clone(),
        kind: if target.simulator.is_some() { TargetSystems::Simulator } else { TargetSystems::Real },
        emr_endpoint: None,
        pm_endpoint: None,
        flows: Vec::new(),
        setup_error: None,
        capabilities: BTreeMap::new(),
        capability_errors: Vec::new(),
        faults: None,
        retried: 0,
    };
    let retried = RetryCount::default();
    let products: Vec<_> = target.products.iter().map(|p| p.value.clone()).collect();
    let tap = |role: Role| wire.map(|w| w.tap(&target.name, role));
    // Held until the flows finish: dropping it stops the simulator.
    let mut simulator = None;
    // Set when the profile asks that a finished flow's patients be forgotten.
    let mut purge = None;
    let systems = match (&target.simulator, &target.systems) {
        (Some(profile), _) => {
            let extras = mock::Extras { wire, rules: plan.rules.clone() };
            match mock::start_with(&target.name, profile, &products, 0, 0, extras).await {
                Ok(running) => {
                    // Where it listens, so a user can ask it what it holds or which faults it fired (`GET /$faults`).
                    tracing::info!(target = %target.name, emr = %running.emr_url, pm = %running.pm_url, "simulator started");
                    let systems = simulator_systems(&running.emr_url, &running.pm_url, tap, &retried);
                    purge = profile.forget_finished_flows.then(|| running.purge());
                    simulator = Some(running);
                    systems
                }
                Err(e) => Err(e.to_string()),
            }
        }
        (None, Some(real)) => {
            let base_dir = Path::new(&planned.source).parent().unwrap_or(Path::new(".")).to_path_buf();
            match real_system(Role::Emr, &real.emr, &base_dir, tap(Role::Emr)).await {
                Ok(emr) => {
                    real_system(Role::Pm, &real.pm, &base_dir, tap(Role::Pm)).await.map(|pm| Systems { emr, pm })
                }
                Err(e) => Err(e),
            }
        }
        (None, None) => Err("the target names no systems".to_string()),
    };
    let systems = match systems {
        Ok(s) => s,
        Err(why) => {
            outcome.setup_error = Some(why);
            return outcome;
        }
    };
    outcome.emr_endpoint = Some(systems.emr.endpoint());
    outcome.pm_endpoint = Some(systems.pm.endpoint());
    for role in Role::ALL {
        let adapter = if role == Role::Emr { &systems.emr } else { &systems.pm };
        let read = tokio::select! {
            read = adapter.fetch(Query::Capabilities) => read.map_err(|e| e.to_string()),
            why = plan.halt.halted() => Err(format!("not read: {why}")),
        };
        let mut found = match read {
            Ok(Records::Capabilities(c)) => c,
            Ok(_) => Capabilities::default(),
            Err(e) => {
                outcome.capability_errors.push(format!("{role}: {e}"));
                Capabilities::default()
            }
        };
        // What the buyer was quoted wins over what the system publishes.
        if let Some(declared) = target.products.iter().find(|p| p.roles.contains(&role)) {
            found.product = Some(declared.name.clone());
            found.modules.extend(declared.modules.iter().map(|(m, p)| (*m, Some(*p))));
        }
        outcome.capabilities.insert(role, found);
    }
    plan.events.send(RunEvent::TargetStarted { target: target.name.clone(), flows: scenarios.len() });
    // Unordered, so a flow held up (a hang waiting out its timeout) does not keep the flows after it from starting:
    // `jobs` flows are always under way. The report keeps the run's order. Each flow is a task of its own, so the
    // runtime's threads share the flows' work (parsing answers, comparing, scoring); polled together as one future,
    // every flow ran on one thread and a run used one core however many it had.
    let mut flows: Vec<(usize, FlowOutcome)> = stream::iter(scenarios.iter().enumerate().map(|(i, s)| {
        let tracking = format!("{run_id}:{}", s.name);
        let (scenario, systems, rules) = (s.clone(), systems.clone(), plan.rules.clone());
        let (halt, events, target_name) = (plan.halt.clone(), plan.events.clone(), target.name.clone());
        let purge = purge.clone();
        let flow = tokio::spawn(async move {
            let flow =
                wire::in_flow(&scenario.name, run_flow_until(&scenario, &systems, tracking, rules.as_deref(), &halt))
                    .await;
            if let Some(purge) = &purge {
                flow.identities.iter().for_each(|i| purge.patient(i.role, &i.patient_id));
            }
            let passed = flow.passed();
            tracing::info!(target = %target_name, scenario = %scenario.name, passed, "flow finished");
            events.send(RunEvent::FlowFinished { target: target_name, scenario: scenario.name, passed });
            flow
        });
        async move {
            match flow.await {
                Ok(flow) => (i, flow),
                // A flow that panicked fails the run as it did when the flows were polled in place.
                Err(failed) => std::panic::resume_unwind(failed.into_panic()),
            }
        }
    }))
    .buffer_unordered(jobs.max(1))
    .collect()
    .await;
    flows.sort_unstable_by_key(|(i, _)| *i);
    outcome.flows = flows.into_iter().map(|(_, flow)| flow).collect();
    outcome.faults = simulator.as_ref().map(mock::RunningSimulator::faults);
    outcome.retried = retried.get();
    outcome
}

fn simulator_systems(
    emr: &str,
    pm: &str,
    tap: impl Fn(Role) -> Option<WireTap>,
    retried: &RetryCount,
) -> Result<Systems, String> {
    let adapter = |url: &str, role: Role| -> Result<Arc<dyn crate::connect::Adapter>, String> {
        let adapter = FhirAdapter::new(url, SIMULATOR_TIMEOUT).map_err(|e| e.to_string())?;
        Ok(Arc::new(adapter.with_wire(tap(role)).with_retry_count(retried.clone())))
    };
    Ok(Systems { emr: adapter(emr, Role::Emr)?, pm: adapter(pm, Role::Pm)? })
}

/// An adapter for a real system, through each channel the target gives it; files the target names are read from
/// the target file's folder. An HL7 v2 `listen` port is bound here and held until the adapter is dropped.
async fn real_system(
    role: Role,
    spec: &SystemSpec,
    base_dir: &Path,
    tap: Option<WireTap>,
) -> Result<Arc<dyn crate::connect::Adapter>, String> {
    let fhir = match &spec.fhir {
        Some(fhir) => Some(fhir_system(fhir, base_dir)?.with_wire(tap.clone())),
        None => None,
    };
    let interface = match &spec.hl7v2 {
        Some(hl7) => {
            let listen = match &hl7.listen {
                Some(listen) => Some(
                    listen
                        .parse()
                        .map_err(|_| format!("the {role} `listen` `{}` is not an address and port", listen.value))?,
                ),
                None => None,
            };
            let text = |value: &Option<String>, default: &str| value.clone().unwrap_or_else(|| default.to_string());
            let settings = InterfaceSettings {
                send_to: hl7.send_to.as_ref().map(|s| s.value.clone()),
                listen,
                route: Route {
                    sending_application: text(&hl7.sending_application, "HANDOFF"),
                    sending_facility: text(&hl7.sending_facility, "HANDOFF"),
                    receiving_application: text(&hl7.receiving_application, ""),
                    receiving_facility: text(&hl7.receiving_facility, ""),
                },
                timeout: hl7.timeout.map(|w| w.0).unwrap_or(DEFAULT_TIMEOUT),
            };
            Some(InterfaceChannel::open(settings, tap.clone()).await?)
        }
        None => None,
    };
    let exports = spec.x12.as_ref().map(|x12| {
        ExportFolders::new(base_dir.join(&x12.outbox.value), x12.inbox.as_ref().map(|i| base_dir.join(&i.value)))
    });
    Ok(Arc::new(System::new(role, fhir, interface, exports)))
}

fn fhir_system(fhir: &FhirSystem, base_dir: &Path) -> Result<FhirAdapter, String> {
    let credentials = Credentials::load(fhir.auth.as_ref(), base_dir)?;
    let ca_pem = match &fhir.ca_file {
        Some(file) => {
            let path = base_dir.join(file);
            Some(std::fs::read(&path).map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?)
        }
        None => None,
    };
    let connection = Connection {
        timeout: fhir.timeout.map(|w| w.0).unwrap_or(DEFAULT_TIMEOUT),
        ca_pem,
        retries: fhir.retries.unwrap_or(3),
    };
    FhirAdapter::configured(&fhir.base_url, credentials, connection).map_err(|e: AdapterError| e.to_string())
}
