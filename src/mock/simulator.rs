//! Starting a simulator profile: its FHIR servers bound to loopback, the interface between them if it has one, and its faults.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::defects::Defects;
use super::faults::{FaultPlan, FaultTally};
use super::inbound::{EmrInbound, PmInbound};
use super::interface::{Interface, Ports};
use super::listen;
use super::payer::{self, PayerDesk};
use super::server::{ServerState, router};
use super::store::Store;
use super::submission::Clearinghouse;
use crate::connect::hl7v2::{self, Message};
use crate::connect::wire::{Scope, WireLog, WireTap};
use crate::model::Role;
use crate::rules::ScrubContext;
use crate::scenario::{Product, Simulator, Topology};

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("cannot listen on 127.0.0.1:{port}: {cause}")]
    Bind { port: u16, cause: String },
}

/// A simulator that is up; dropping it stops its servers, their connections and its interface.
pub struct RunningSimulator {
    pub emr_url: String,
    pub pm_url: String,
    /// The payer the PM sends its claims to (docs/payer.md).
    pub payer_url: String,
    faults: Arc<FaultPlan>,
    /// Each role's store (the same one for both, in a shared record).
    stores: Vec<(Role, Arc<Store>)>,
    /// FHIR requests served by both systems (`GET /$requests`).
    requests: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSimulator {
    /// How many times each of the profile's faults fired so far; `GET /$faults` on either server answers the same.
    pub fn faults(&self) -> FaultTally {
        self.faults.tally()
    }

    /// What the run that started the simulator uses to make it forget a finished flow's patients.
    pub fn purge(&self) -> Purge {
        Purge { stores: self.stores.clone() }
    }
}

/// Forgets patients in a simulator's systems (the profile's `forget_finished_flows`).
#[derive(Clone)]
pub struct Purge {
    stores: Vec<(Role, Arc<Store>)>,
}

impl Purge {
    /// The patient with that id in that role's system is forgotten with its compartment, if it is still held.
    pub fn patient(&self, role: Role, id: &str) {
        for (_, store) in self.stores.iter().filter(|(r, _)| *r == role) {
            store.forget_patient(id);
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

impl RunningSimulator {
    /// `product` is what this endpoint sells, published at its `/metadata`; a system with a clearinghouse bills.
    async fn serve(
        &mut self,
        store: Arc<Store>,
        profile: &str,
        role: Role,
        port: u16,
        product: Option<Product>,
        clearinghouse: Option<Arc<Clearinghouse>>,
    ) -> Result<String, SimulatorError> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| SimulatorError::Bind { port, cause: e.to_string() })?;
        let port = listener.local_addr().map_err(|e| SimulatorError::Bind { port, cause: e.to_string() })?.port();
        let base = format!("http://127.0.0.1:{port}");
        let state = Arc::new(ServerState {
            store,
            base: base.clone(),
            profile: profile.to_string(),
            role,
            bills: clearinghouse.is_some(),
            faults: self.faults.clone(),
            product,
            clearinghouse,
            requests: self.requests.clone(),
        });
        self.tasks.push(tokio::spawn(listen::serve(listener, router(state))));
        Ok(base)
    }
}

impl RunningSimulator {
    /// The payer's X12 endpoint on a free loopback port.
    async fn serve_payer(&mut self, desk: Arc<PayerDesk>) -> Result<String, SimulatorError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| SimulatorError::Bind { port: 0, cause: e.to_string() })?;
        let port = listener.local_addr().map_err(|e| SimulatorError::Bind { port: 0, cause: e.to_string() })?.port();
        self.tasks.push(tokio::spawn(listen::serve(listener, payer::router(desk))));
        Ok(format!("http://127.0.0.1:{port}"))
    }

    /// An inbound HL7 v2 port on loopback, answering each message with the ACK `handle` returns.
    async fn listen_mllp(
        &mut self,
        handle: impl Fn(Message) -> Message + Send + Sync + 'static,
    ) -> Result<SocketAddr, SimulatorError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| SimulatorError::Bind { port: 0, cause: e.to_string() })?;
        let address = listener.local_addr().map_err(|e| SimulatorError::Bind { port: 0, cause: e.to_string() })?;
        let handle = Arc::new(handle);
        self.tasks.push(tokio::spawn(hl7v2::serve(listener, move |message| {
            let handle = handle.clone();
            async move { handle(message) }
        })));
        Ok(address)
    }
}

/// Port 0 picks a free port. `products` are the target's, published at each endpoint's `/metadata`. The payer judges
/// claims by the FY2026 code set built in; [`start_with`] gives it the run's rules instead.
pub async fn start(
    name: &str,
    profile: &Simulator,
    products: &[Product],
    emr_port: u16,
    pm_port: u16,
) -> Result<RunningSimulator, SimulatorError> {
    start_with(name, profile, products, emr_port, pm_port, Extras::default()).await
}

/// What a run can give a simulator beyond its profile.
#[derive(Default)]
pub struct Extras<'a> {
    /// Where the simulator's own messages are recorded: the interface's HL7 v2 messages and their ACKs, and each
    /// claim's 837P with the payer's 999, 277CA and 835.
    pub wire: Option<&'a WireLog>,
    /// The rules the payer adjudicates by (the NCCI and MUE tables the run imported).
    pub rules: Option<Arc<ScrubContext>>,
}

/// As [`start`], with what the run gives it.
pub async fn start_with(
    name: &str,
    profile: &Simulator,
    products: &[Product],
    emr_port: u16,
    pm_port: u16,
    extras: Extras<'_>,
) -> Result<RunningSimulator, SimulatorError> {
    // Made first, so that if a port cannot be bound, dropping it stops whatever had already started.
    let mut running = RunningSimulator {
        emr_url: String::new(),
        pm_url: String::new(),
        payer_url: String::new(),
        faults: Arc::new(FaultPlan::new(profile.seed, &profile.faults)),
        requests: Arc::new(AtomicU64::new(0)),
        stores: Vec::new(),
        tasks: Vec::new(),
    };
    let wire = extras.wire;
    let retain = profile.retain_patients;
    let desk = PayerDesk::new(profile.payer.as_ref().map(|p| p.value.clone()).unwrap_or_default(), extras.rules)
        .retaining(retain);
    let desk = Arc::new(desk);
    let payer_id = desk.id().to_string();
    running.payer_url = running.serve_payer(desk.clone()).await?;
    // What a billing system exchanges with its clearinghouse is what a user of the simulator wants to see.
    let clearinghouse_tap = wire.map(|w| w.tap(name, Role::Pm).in_scope(Scope::Clearinghouse));
    let clearinghouse = Arc::new(Clearinghouse::new(running.payer_url.clone(), payer_id).recording(clearinghouse_tap));
    // What the clearinghouse exchanged about a patient goes when the billing system forgets the patient, and
    // the payer's answers to it.
    let billing = |store: &Store| {
        let (clearinghouse, desk) = (clearinghouse.clone(), desk.clone());
        store.when_forgetting(move |f| desk.forget(&clearinghouse.forget(&f.patient)));
    };
    let clearinghouse = Some(clearinghouse.clone());
    let product = |role: Role| products.iter().find(|p| p.roles.contains(&role)).cloned();
    match profile.topology {
        Topology::Shared => {
            let store = Arc::new(Store::retaining("s", retain));
            billing(&store);
            running.stores = vec![(Role::Emr, store.clone()), (Role::Pm, store.clone())];
            running.emr_url = running
                .serve(store.clone(), name, Role::Emr, emr_port, product(Role::Emr), clearinghouse.clone())
                .await?;
            running.pm_url = running.serve(store, name, Role::Pm, pm_port, product(Role::Pm), clearinghouse).await?;
        }
        Topology::Interfaced | Topology::Batch => {
            let emr = Arc::new(Store::retaining("e", retain));
            let pm = Arc::new(Store::retaining("p", retain));
            billing(&pm);
            running.stores = vec![(Role::Emr, emr.clone()), (Role::Pm, pm.clone())];
            let (to_emr, from_pm) = tokio::sync::mpsc::unbounded_channel();
            let (to_pm, from_emr) = tokio::sync::mpsc::unbounded_channel();
            pm.listen(to_emr);
            emr.listen(to_pm);
            let config = profile.interface.clone().unwrap_or_else(|| crate::scenario::Interface {
                delay: crate::scenario::Within(Duration::ZERO),
                batch_every: None,
                carries: crate::scenario::Carried::ALL.to_vec(),
            });
            let defects = Defects(profile.defects.iter().map(|d| d.value.clone()).collect());
            let emr_inbound = EmrInbound::new(emr.clone(), running.faults.clone(), defects.clone());
            let pm_inbound = PmInbound::new(pm.clone(), running.faults.clone());
            let ports = Ports {
                emr: running.listen_mllp(move |m| emr_inbound.handle(&m)).await?,
                pm: running.listen_mllp(move |m| pm_inbound.handle(&m)).await?,
            };
            let tap: Option<WireTap> = wire.map(|w| w.tap(name, Role::Emr).in_scope(Scope::Interface));
            let interface = Interface::new(pm.clone(), emr.clone(), ports, &config, defects, tap);
            running.tasks.push(tokio::spawn(interface.run(from_pm, from_emr)));
            running.emr_url = running.serve(emr, name, Role::Emr, emr_port, product(Role::Emr), None).await?;
            running.pm_url = running.serve(pm, name, Role::Pm, pm_port, product(Role::Pm), clearinghouse).await?;
        }
    }
    Ok(running)
}
