//! The `handoff` binary: parse the command line, run the library, exit with the documented code.

use clap::Parser;

/// A run builds and drops a JSON tree for every FHIR body it sends or reads, on both sides of each exchange when
/// it serves its own simulators; under glibc's allocator that was a third of the CPU (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the 16th option of its v3 `mi_option_t`, which libmimalloc-sys does not name).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    let cli = handoff::cli::Cli::parse();
    if let handoff::cli::Command::Reconcile(_) = cli.command {
        // A reconciliation is over in seconds and its memory is at its largest at the end: memory it frees is
        // better kept for its next batch than given back to the system and asked for again. Each page asked for
        // anew costs a fault and a zeroing, which on the benchmark's virtual machines made a million-patient
        // reconciliation take 40 % more CPU (docs/performance.md).
        // SAFETY: setting an option is allowed at any time; it only changes when mimalloc returns memory.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
    }
    std::process::ExitCode::from(handoff::cli::dispatch(cli))
}
