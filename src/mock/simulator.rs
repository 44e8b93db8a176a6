//! Starting a simulator profile: its FHIR servers bound to loopback, and the interface between them if it has one.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::defects::Defects;
use super::interface::Interface;
use super::server::{ServerState, router};
use super::store::Store;
use crate::scenario::{Simulator, Topology};

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

async fn serve(
    store: Arc<Store>,
    profile: &str,
    role: &'static str,
    bills: bool,
    port: u16,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<String, SimulatorError> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| SimulatorError::Bind { port, cause: e.to_string() })?;
    let port = listener.local_addr().map_err(|e| SimulatorError::Bind { port, cause: e.to_string() })?.port();
    let base = format!("http://127.0.0.1:{port}");
    let state = Arc::new(ServerState { store, base: base.clone(), profile: profile.to_string(), role, bills });
    let app = router(state);
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("simulator on port {port} stopped: {e}");
        }
    }));
    Ok(base)
}

/// Port 0 picks a free port.
pub async fn start(
    name: &str,
    profile: &Simulator,
    emr_port: u16,
    pm_port: u16,
) -> Result<RunningSimulator, SimulatorError> {
    let mut tasks = Vec::new();
    match profile.topology {
        Topology::Shared => {
            let store = Arc::new(Store::new("s"));
            let emr_url = serve(store.clone(), name, "emr", true, emr_port, &mut tasks).await?;
            let pm_url = serve(store, name, "pm", true, pm_port, &mut tasks).await?;
            Ok(RunningSimulator { emr_url, pm_url, tasks })
        }
        Topology::Interfaced => {
            let emr = Arc::new(Store::new("e"));
            let pm = Arc::new(Store::new("p"));
            let (to_emr, from_pm) = tokio::sync::mpsc::unbounded_channel();
            let (to_pm, from_emr) = tokio::sync::mpsc::unbounded_channel();
            pm.listen(to_emr);
            emr.listen(to_pm);
            let delay = profile.interface.as_ref().map(|i| i.delay.0).unwrap_or_default();
            let defects = Defects(profile.defects.iter().map(|d| d.value.clone()).collect());
            let interface = Interface::new(pm.clone(), emr.clone(), delay, defects);
            tasks.push(tokio::spawn(interface.run(from_pm, from_emr)));
            let emr_url = serve(emr, name, "emr", false, emr_port, &mut tasks).await?;
            let pm_url = serve(pm, name, "pm", true, pm_port, &mut tasks).await?;
            Ok(RunningSimulator { emr_url, pm_url, tasks })
        }
    }
}
