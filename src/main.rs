//! The `handoff` binary: parse the command line, run the library, exit with the documented code.

use clap::Parser;

/// A run builds and drops a JSON tree for every FHIR body it sends or reads, on both sides of each exchange when
/// it serves its own simulators; under glibc's allocator that was a third of the CPU (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = handoff::cli::Cli::parse();
    std::process::ExitCode::from(handoff::cli::dispatch(cli))
}
