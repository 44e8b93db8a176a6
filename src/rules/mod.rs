//! Claim scrubbing against CMS rules: code sets, code and modifier form, NPI, place of service, 837P limits, NCCI PTP and MUE.
//!
//! The scrubber predicts the denial a payer would return (as a CARC) and the charge it would cost, before the claim is sent.
//! It does no I/O: the NCCI and MUE tables come in through [`import`] and [`store`], which callers run explicitly.

mod breaks;
mod context;
mod icd10;
pub mod import;
mod mue;
mod ncci;
mod npi;
mod pos;
mod procedure;
mod scrub;
pub mod store;
mod structure;

pub use breaks::{Carc, RuleBreak, RuleId, Severity};
pub use context::{IcdRelease, ScrubContext};
pub use mue::{MueEdit, MueIndicator, MueTable};
pub use ncci::{NCCI_ASSOCIATED_MODIFIERS, PtpEdit, PtpIndicator, PtpTable};
pub use npi::is_valid_npi;
pub use pos::{PLACES_OF_SERVICE, is_valid_place_of_service};
pub use procedure::{ProcedureCode, is_em_code, is_valid_modifier, is_valid_procedure_code};
pub use scrub::{ScrubInput, scrub, scrub_batch, scrub_input};

#[cfg(test)]
pub(crate) mod fixtures;
