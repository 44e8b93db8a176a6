//! The `handoff` binary: parse the command line, run the library, exit with the documented code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = handoff::cli::Cli::parse();
    std::process::ExitCode::from(handoff::cli::dispatch(cli))
}
