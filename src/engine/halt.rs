//! Stopping a run before its flows finish — its deadline passed, or the user sent SIGINT or SIGTERM — so that
//! every flow ends where it is, keeps what it gathered, and says why it stopped.

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

/// Shared by everything a run starts: once halted, each flow stops at its next await and reports the reason.
#[derive(Debug, Clone, Default)]
pub struct Halt {
    token: CancellationToken,
    reason: Arc<OnceLock<String>>,
}

impl Halt {
    pub fn new() -> Halt {
        Halt::default()
    }

    /// Stops the run; `reason` is what the report says (`interrupted by SIGINT`, `deadline 10m passed`). The first
    /// reason given is kept: a signal after the deadline passed does not change why the run stopped.
    pub fn halt(&self, reason: impl Into<String>) {
        let _ = self.reason.set(reason.into());
        self.token.cancel();
    }

    /// Why the run was stopped, once it has been.
    pub fn reason(&self) -> Option<&str> {
        self.reason.get().map(String::as_str)
    }

    /// Resolves when the run is stopped, with the reason.
    pub async fn halted(&self) -> String {
        self.token.cancelled().await;
        self.reason().unwrap_or("stopped").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_is_kept_and_every_clone_hears_it() {
        let halt = Halt::new();
        let listener = halt.clone();
        assert_eq!(halt.reason(), None);
        halt.halt("deadline 3s passed");
        halt.halt("interrupted by SIGTERM");
        assert_eq!(listener.halted().await, "deadline 3s passed");
        assert_eq!(listener.reason(), Some("deadline 3s passed"));
    }
}
