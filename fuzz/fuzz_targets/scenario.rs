//! Fuzz target: any text as a scenario and as a target file, and the diagnostic a user would see for it.
//! Nothing may panic, and an error must point inside the file.
#![no_main]

use handoff::cli::render_input_error;
use handoff::scenario::{InputError, detect_kind, parse_scenario, parse_target};
use libfuzzer_sys::fuzz_target;

fn check(error: &InputError, text: &str) {
    // YAML breaks lines at CR LF, LF and a lone CR.
    let lines = text.replace("\r\n", "\n").split(['\r', '\n']).count() as u64;
    for headline in error.headlines() {
        assert!(headline.starts_with("fuzz.yaml"), "an error that does not name the file: {headline}");
    }
    assert!(error.line <= lines + 1, "line {} past the end of a {lines}-line file", error.line);
    let _ = render_input_error(error);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = detect_kind(text);
    if let Err(error) = parse_scenario("fuzz.yaml", text) {
        check(&error, text);
    }
    if let Err(error) = parse_target("fuzz.yaml", text) {
        check(&error, text);
    }
});
