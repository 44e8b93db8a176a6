//! What a run says as it goes, so a progress bar or any other listener can follow it without reaching into the engine.

use std::sync::mpsc::Sender;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEvent {
    /// A target is set up (or could not be) and its flows are about to run.
    TargetStarted {
        target: String,
        flows: usize,
    },
    FlowFinished {
        target: String,
        scenario: String,
        passed: bool,
    },
    /// A target's flows are all done; `setup_error` says why none ran.
    TargetFinished {
        target: String,
        setup_error: Option<String>,
    },
}

/// Where events go; a run without listeners sends nowhere.
#[derive(Debug, Clone, Default)]
pub struct Events(Option<Sender<RunEvent>>);

impl Events {
    pub fn to(sender: Sender<RunEvent>) -> Events {
        Events(Some(sender))
    }

    pub fn send(&self, event: RunEvent) {
        // A listener that has gone away (a closed progress bar) must not stop the run.
        if let Some(sender) = &self.0 {
            let _ = sender.send(event);
        }
    }
}
