//! What the scrubber checks against: the ICD-10-CM release and the NCCI/MUE tables, and which checks they leave out.

use crate::model::Date;
use crate::synth::{IcdCodeSet, IcdError};

use super::{MueTable, PtpTable, RuleId};

/// One ICD-10-CM release and the dates of service it governs.
#[derive(Debug, Clone)]
pub struct IcdRelease {
    pub codes: IcdCodeSet,
    /// The federal fiscal year: FY2026 governs dates of service 2025-10-01 to 2026-09-30.
    pub fiscal_year: i16,
}

impl IcdRelease {
    /// The FY2026 code set built into the binary.
    pub fn embedded() -> Result<IcdRelease, IcdError> {
        Ok(IcdRelease { codes: IcdCodeSet::embedded()?, fiscal_year: 2026 })
    }

    pub fn valid_from(&self) -> Option<Date> {
        Date::new(self.fiscal_year.checked_sub(1)?, 10, 1)
    }

    pub fn valid_to(&self) -> Option<Date> {
        Date::new(self.fiscal_year, 9, 30)
    }

    /// Whether this release governs `date`; outside it a code may have been added or deleted, so no verdict is honest.
    pub fn covers(&self, date: Date) -> bool {
        matches!((self.valid_from(), self.valid_to()), (Some(from), Some(to)) if from <= date && date <= to)
    }
}

/// The reference data one scrub runs against. Build it once and share it: the tables are large.
#[derive(Debug, Clone)]
pub struct ScrubContext {
    pub icd: IcdRelease,
    pub ptp: Option<PtpTable>,
    pub mue: Option<MueTable>,
}

impl ScrubContext {
    pub fn new(icd: IcdRelease) -> ScrubContext {
        ScrubContext { icd, ptp: None, mue: None }
    }

    pub fn with_ptp(mut self, ptp: PtpTable) -> ScrubContext {
        self.ptp = Some(ptp);
        self
    }

    pub fn with_mue(mut self, mue: MueTable) -> ScrubContext {
        self.mue = Some(mue);
        self
    }

    /// Rules that were not checked because their table is not loaded; a report must show these rather than call a claim clean.
    pub fn not_run(&self) -> Vec<RuleId> {
        let mut rules = Vec::new();
        if self.ptp.is_none() {
            rules.push(RuleId::NCCI_PTP);
        }
        if self.mue.is_none() {
            rules.extend([RuleId::MUE_LINE, RuleId::MUE_DATE_OF_SERVICE]);
        }
        rules
    }
}
