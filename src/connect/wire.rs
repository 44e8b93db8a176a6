//! The wire log: every message a run sends to a system or receives from one, as it travelled, so a finished run
//! can be written out as files a user attaches to a vendor ticket (`handoff run --out DIR` → `DIR/artifacts/`).
//!
//! Adapters record into it through a [`WireTap`]; it does no file I/O. Exchanges a flow makes are tagged with the
//! flow's scenario through a task-local set by [`in_flow`], so adapters shared by concurrent flows need no context.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use crate::model::Role;

/// Seen from the side that talks to the system: handoff itself, or the simulator's interface engine and
/// clearinghouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent to the system that plays the role.
    Sent,
    /// Received from the system that plays the role.
    Received,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WireFormat {
    /// A FHIR R4 resource or bundle, JSON.
    Fhir,
    /// One HL7 v2 message, ER7 with `\r` after each segment.
    Hl7v2,
    /// One X12 interchange.
    X12,
}

impl WireFormat {
    /// The file extension tools expect for the format.
    pub fn extension(self) -> &'static str {
        match self {
            WireFormat::Fhir => "json",
            WireFormat::Hl7v2 => "hl7",
            WireFormat::X12 => "x12",
        }
    }
}

/// Which part of a run a message belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One scenario's flow, by the scenario's name.
    Flow(Arc<str>),
    /// Before any flow: reading what each system publishes.
    Setup,
    /// A simulator's interface between its EMR and PM (HL7 v2 over MLLP).
    Interface,
    /// What a simulated PM sends its clearinghouse.
    Clearinghouse,
}

impl Scope {
    pub fn scenario(&self) -> Option<&str> {
        match self {
            Scope::Flow(name) => Some(name),
            _ => None,
        }
    }

    /// The folder the scope's files go in, before it is made safe for a file system.
    pub fn folder(&self) -> &str {
        match self {
            Scope::Flow(name) => name,
            Scope::Setup => "setup",
            Scope::Interface => "interface",
            Scope::Clearinghouse => "clearinghouse",
        }
    }
}

/// A patient by the id one role's system gave them: how a message outside any flow is traced back to its flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRef {
    pub role: Role,
    pub id: String,
}

/// One message as it travelled.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub target: Arc<str>,
    pub scope: Scope,
    /// The system at the other end.
    pub role: Role,
    pub direction: Direction,
    pub format: WireFormat,
    /// What the message is, shortly: `POST Patient`, `201 POST Patient`, `ADT^A04`, `837P`.
    pub label: String,
    /// Whom the message is about, where the sender knows; only messages outside a flow carry it.
    pub patient: Option<PatientRef>,
    pub body: Vec<u8>,
}

/// Every exchange of a run, in the order they happened; cheap to clone, shared by every adapter of the run.
#[derive(Debug, Clone, Default)]
pub struct WireLog {
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl WireLog {
    pub fn new() -> WireLog {
        WireLog::default()
    }

    /// A tap for the adapter that reaches `role`'s system of `target`.
    pub fn tap(&self, target: &str, role: Role) -> WireTap {
        WireTap { log: self.clone(), target: Arc::from(target), role, scope: None }
    }

    /// What was recorded so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn push(&self, exchange: Exchange) {
        // A panic elsewhere while the lock was held leaves the log as it was: keep recording.
        self.exchanges.lock().unwrap_or_else(PoisonError::into_inner).push(exchange);
    }
}

/// Records the messages exchanged with one system of one target.
#[derive(Debug, Clone)]
pub struct WireTap {
    log: WireLog,
    target: Arc<str>,
    role: Role,
    /// Fixed for taps outside the harness's flows (the simulator's interface); otherwise the running flow's.
    scope: Option<Scope>,
}

impl WireTap {
    /// The same tap, for messages that belong to `scope` whichever flow is running.
    pub fn in_scope(mut self, scope: Scope) -> WireTap {
        self.scope = Some(scope);
        self
    }

    /// The system at the other end.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The same tap, for the system that plays `role`.
    pub fn towards(&self, role: Role) -> WireTap {
        WireTap { role, ..self.clone() }
    }

    pub fn record(
        &self,
        direction: Direction,
        format: WireFormat,
        label: impl Into<String>,
        patient: Option<PatientRef>,
        body: Vec<u8>,
    ) {
        let scope =
            self.scope.clone().or_else(|| FLOW.try_with(|f| Scope::Flow(f.clone())).ok()).unwrap_or(Scope::Setup);
        self.log.push(Exchange {
            target: self.target.clone(),
            scope,
            role: self.role,
            direction,
            format,
            label: label.into(),
            patient,
            body,
        });
    }
}

tokio::task_local! {
    static FLOW: Arc<str>;
}

/// Runs `work` as the flow of `scenario`: what adapters record while it runs is tagged with the scenario.
pub fn in_flow<F: Future>(scenario: &str, work: F) -> impl Future<Output = F::Output> {
    FLOW.scope(Arc::from(scenario), work)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(log: &WireLog) -> Vec<(String, String, &'static str, String)> {
        log.exchanges()
            .iter()
            .map(|e| (e.scope.folder().to_string(), e.role.to_string(), e.direction.as_str(), e.label.clone()))
            .collect()
    }

    #[tokio::test]
    async fn exchanges_are_tagged_with_the_flow_they_happen_in() {
        let log = WireLog::new();
        let pm = log.tap("pair", Role::Pm);
        pm.record(Direction::Received, WireFormat::Fhir, "200 GET metadata", None, b"{}".to_vec());
        let (a, b) = (pm.clone(), pm.clone());
        futures::join!(
            in_flow("first", async move { a.record(Direction::Sent, WireFormat::Fhir, "POST Patient", None, vec![]) }),
            in_flow("second", async move { b.record(Direction::Sent, WireFormat::Fhir, "PUT Patient", None, vec![]) }),
        );
        assert_eq!(
            labels(&log),
            [
                ("setup".into(), "pm".into(), "received", "200 GET metadata".into()),
                ("first".into(), "pm".into(), "sent", "POST Patient".into()),
                ("second".into(), "pm".into(), "sent", "PUT Patient".into()),
            ]
        );
    }

    #[tokio::test]
    async fn a_tap_with_a_fixed_scope_ignores_the_running_flow() {
        let log = WireLog::new();
        let interface = log.tap("pair", Role::Emr).in_scope(Scope::Interface);
        let to_pm = interface.towards(Role::Pm);
        in_flow("first", async {
            interface.record(Direction::Sent, WireFormat::Hl7v2, "ADT^A04", None, vec![]);
            to_pm.record(Direction::Received, WireFormat::Hl7v2, "ACK^P03", None, vec![]);
        })
        .await;
        assert_eq!(
            labels(&log),
            [
                ("interface".into(), "emr".into(), "sent", "ADT^A04".into()),
                ("interface".into(), "pm".into(), "received", "ACK^P03".into()),
            ]
        );
        assert_eq!(log.exchanges()[0].target.as_ref(), "pair");
    }
}
