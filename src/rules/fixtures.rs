//! Hand-built claims and the loaded CMS fixtures shared by the rule tests.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::model::{Claim, ClaimLine};

use super::import::{import_mue_file, import_ptp_file};
use super::{IcdRelease, PtpTable, ScrubContext};

pub(crate) const PTP_FIXTURE: &str = "ccipra-v321r0-f1.txt";
pub(crate) const MUE_FIXTURE: &str = "MCR_MUE_PractitionerServices_Eff_2026-04-01.csv";

pub(crate) fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/cms").join(name)
}

/// A clean office line on 2026-03-10 pointing at the principal diagnosis.
pub(crate) fn line(code: &str, modifiers: &[&str], charge: f64) -> ClaimLine {
    ClaimLine {
        code: code.to_string(),
        modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
        units: 1.0,
        dx_pointers: vec![1],
        place_of_service: "11".to_string(),
        date_of_service: "2026-03-10".parse().unwrap_or_else(|e| panic!("{e}")),
        rendering_npi: "1234567893".to_string(),
        charge,
    }
}

/// A claim whose total matches its lines and whose diagnoses are billable in FY2026.
pub(crate) fn claim(lines: Vec<ClaimLine>) -> Claim {
    Claim {
        id: "CLM-1".to_string(),
        payer: "medicare".to_string(),
        member_id: "1EG4TE5MK72".to_string(),
        diagnoses: vec!["E11.65".to_string(), "I10".to_string()],
        total_charge: lines.iter().map(|l| l.charge).sum(),
        lines,
    }
}

/// The shipped FY2026 code set and no NCCI/MUE tables.
pub(crate) fn context() -> &'static ScrubContext {
    static CONTEXT: OnceLock<ScrubContext> = OnceLock::new();
    CONTEXT.get_or_init(|| ScrubContext::new(IcdRelease::embedded().unwrap_or_else(|e| panic!("{e}"))))
}

/// The shipped code set with the PTP and MUE fixtures of `tests/inputs/cms`.
pub(crate) fn context_with_tables() -> &'static ScrubContext {
    static CONTEXT: OnceLock<ScrubContext> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let mut ptp = PtpTable::new();
        import_ptp_file(&fixture_path(PTP_FIXTURE), &mut ptp).unwrap_or_else(|e| panic!("{e}"));
        let (mue, _) = import_mue_file(&fixture_path(MUE_FIXTURE)).unwrap_or_else(|e| panic!("{e}"));
        context().clone().with_ptp(ptp).with_mue(mue)
    })
}
