//! `handoff mock serve`: one simulator profile on loopback until Ctrl-C, for poking at with curl or another tool.

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
                eprintln!("{e}");
                return exit::UNREACHABLE;
            }
        };
        println!("{} is serving FHIR R4 on loopback", target.name);
        println!("  EMR  {}", running.emr_url);
        println!("  PM   {}", running.pm_url);
        if !simulator.faults.is_empty() {
            println!("Faults fired so far: GET {}/$faults", running.pm_url);
        }
        println!("Ctrl-C stops it.");
        let _ = tokio::signal::ctrl_c().await;
        drop(running);
        exit::SUCCESS
    })
}
