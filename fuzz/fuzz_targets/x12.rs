//! Fuzz target: any bytes through the X12 tokenizer and envelope checks, then every reader (837P, 835, 277CA,
//! 999, 271). Nothing may panic, and every error must be sayable.
#![no_main]

use handoff::connect::x12::{Document, check_balance, read_271, read_277ca, read_835, read_837p, read_999};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let document = match Document::parse(text) {
        Ok(document) => document,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    for transaction in document.transactions() {
        let _ = (transaction.id(), transaction.version);
    }
    let _ = read_837p(&document).map_err(|e| e.to_string());
    if let Ok(remittances) = read_835(&document) {
        for remittance in &remittances {
            let _ = check_balance(remittance);
        }
    }
    let _ = read_277ca(&document).map_err(|e| e.to_string());
    let _ = read_999(&document).map_err(|e| e.to_string());
    let _ = read_271(&document).map_err(|e| e.to_string());
    let _ = read_835(&document).map_err(|e| e.to_string());
});
