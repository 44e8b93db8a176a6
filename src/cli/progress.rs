//! The progress bar on stderr: only on a terminal, and only once a run has gone on for a second, so short runs and
//! piped output stay clean.

use std::io::IsTerminal;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{Events, RunEvent};

/// A run shorter than this shows no bar at all.
const SHOW_AFTER: Duration = Duration::from_secs(1);

pub struct Progress {
    listener: Option<JoinHandle<()>>,
}

impl Progress {
    /// A bar for `per_target` flows against each of `targets` targets, and the events to hand to the engine.
    /// Dropping those events ends the bar.
    pub fn start(per_target: usize, targets: usize) -> (Progress, Events) {
        let (sender, receiver) = channel();
        if !std::io::stderr().is_terminal() {
            // Nobody will see it: the events are dropped as they are sent.
            return (Progress { listener: None }, Events::default());
        }
        let listener = std::thread::spawn(move || follow(receiver, per_target, targets));
        (Progress { listener: Some(listener) }, Events::to(sender))
    }

    /// Waits for the bar to clear itself; call after the engine's events have been dropped.
    pub fn finish(self) {
        if let Some(listener) = self.listener {
            let _ = listener.join();
        }
    }
}

fn follow(receiver: Receiver<RunEvent>, per_target: usize, targets: usize) {
    let started = Instant::now();
    let bar = ProgressBar::with_draw_target(Some((per_target * targets) as u64), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{elapsed:>4} [{bar:40}] {pos}/{len} flows {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let mut failed = 0usize;
    let mut shown = false;
    loop {
        match receiver.recv_timeout(Duration::from_millis(200)) {
            Ok(RunEvent::FlowFinished { passed, .. }) => {
                bar.inc(1);
                if !passed {
                    failed += 1;
                    bar.set_message(format!("({failed} with findings)"));
                }
            }
            Ok(RunEvent::TargetFinished { setup_error: Some(_), .. }) => {
                // Its flows never ran; count them as done so the bar still reaches the end.
                bar.inc(per_target as u64);
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if !shown && started.elapsed() >= SHOW_AFTER {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
            shown = true;
        }
    }
    bar.finish_and_clear();
}
