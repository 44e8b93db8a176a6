//! Running scenarios against targets: each step applied through the adapters, each expectation polled against a deadline, everything observed turned into findings and tallies.

mod event;
mod flow;
mod halt;
mod handoff;
mod outcome;
mod payment;
mod poll;
mod run;

pub use event::{Events, RunEvent};
pub use flow::{Systems, run_flow, run_flow_until};
pub use halt::Halt;
pub use handoff::{Scrubbed, lineage_findings, scrub_findings};
pub use outcome::{FlowOutcome, Identity, Latency, StepResult, StepStatus, Tallies};
pub use payment::{Prediction, judge as judge_payment};
pub use run::{PlannedTarget, RunPlan, TargetOutcome, TargetSystems, execute};
