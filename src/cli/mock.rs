//! `handoff mock serve`: one simulator profile on loopback until Ctrl-C, for poking at with curl or another tool.

use std::io::Write;
use std::path::Path;

use super::files::render_input_error;
use crate::exit;
use crate::scenario::load_target;

pub fn serve(profile: &Path, emr_port: u16, pm_port: u16) -> u8 {
    let target = match load_target(profile) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}", render_input_error(&e));
            return exit::BAD_INPUT;
        }
    };
    let Some(simulator) = &target.simulator else {
        eprintln!(
            "{}: is a target of real systems, not a simulator profile; `mock serve` needs a file from mocks/",
            profile.display()
        );
        return exit::BAD_INPUT;
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return exit::UNREACHABLE;
        }
    };
    let products: Vec<_> = target.products.iter().map(|p| p.value.clone()).collect();
    runtime.block_on(async {
        let running = match crate::mock::start(&target.name, simulator, &products, emr_port, pm_port).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!(
                    "{e}\n  hint: another process holds the port; name another with --emr-port/--pm-port, or leave \
                     them out to take free ones"
                );
                return exit::UNREACHABLE;
            }
        };
        // Whoever reads this may stop reading (a script that took the URLs): a closed stdout is not an error.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{} is serving FHIR R4 on loopback", target.name);
        let _ = writeln!(out, "  EMR  {}", running.emr_url);
        let _ = writeln!(out, "  PM   {}", running.pm_url);
        let _ = writeln!(out, "  faults fired: {}/$faults", running.pm_url);
        let _ = writeln!(out, "Ctrl-C stops it.");
        let _ = out.flush();
        drop(out);
        let _ = tokio::signal::ctrl_c().await;
        drop(running);
        exit::SUCCESS
    })
}
