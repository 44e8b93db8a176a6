//! Starting a simulator profile: its FHIR servers bound to loopback, and the interface between them if it has one.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::defects::Defects;
use super::interface::Interface;
use super::server::{ServerState, router};
use super::store::Store;
use crate::model::Role;
use crate::scenario::{Product, Simulator, Topology};

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("cannot listen on 127.0.0.1:{port}: {cause}")]
    Bind { port: u16, cause: String },
}

/// A simulator that is up; dropping it stops its servers and interface.
pub struct RunningSimulator {
    pub emr_url: String,
    pub pm_url: String,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

/// One role's endpoint: where it listens, what it sells, whether it bills.
struct Endpoint<'a> {
    role: Role,
    bills: bool,
    port: u16,
    products: &'a [Product],
}

async fn serve(
    store: Arc<Store>,
    profile: &str,
    endpoint: Endpoint<'_>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<String, SimulatorError> {
    let Endpoint { role, bills, port, products } = endpoint;
    let product = products.iter().find(|p| p.roles.contains(&role)).cloned();
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| SimulatorError::Bind { port, cause: e.to_string() })?;
    let port = listener.local_addr().map_err(|e| SimulatorError::Bind { port, cause: e.to_string() })?.port();
    let base = format!("http://127.0.0.1:{port}");
    let state = Arc::new(ServerState {
        store,
        base: base.clone(),
        profile: profile.to_string(),
        role: role.as_str(),
        bills,
        product,
    });
    let app = router(state);
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("simulator on port {port} stopped: {e}");
        }
    }));
    Ok(base)
}

/// Port 0 picks a free port. `products` are the target's, published at each endpoint's `/metadata`.
pub async fn start(
    name: &str,
    profile: &Simulator,
    products: &[Product],
    emr_port: u16,
    pm_port: u16,
) -> Result<RunningSimulator, SimulatorError> {
    let mut tasks = Vec::new();
    match profile.topology {
        Topology::Shared => {
            let store = Arc::new(Store::new("s"));
            let emr = Endpoint { role: Role::Emr, bills: true, port: emr_port, products };
            let emr_url = serve(store.clone(), name, emr, &mut tasks).await?;
            let pm_url =
                serve(store, name, Endpoint { role: Role::Pm, bills: true, port: pm_port, products }, &mut tasks)
                    .await?;
            Ok(RunningSimulator { emr_url, pm_url, tasks })
        }
        Topology::Interfaced | Topology::Batch => {
            let emr = Arc::new(Store::new("e"));
            let pm = Arc::new(Store::new("p"));
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
            let interface = Interface::new(pm.clone(), emr.clone(), &config, defects);
            tasks.push(tokio::spawn(interface.run(from_pm, from_emr)));
            let emr_endpoint = Endpoint { role: Role::Emr, bills: false, port: emr_port, products };
            let emr_url = serve(emr, name, emr_endpoint, &mut tasks).await?;
            let pm_url =
                serve(pm, name, Endpoint { role: Role::Pm, bills: true, port: pm_port, products }, &mut tasks).await?;
            Ok(RunningSimulator { emr_url, pm_url, tasks })
        }
    }
}
