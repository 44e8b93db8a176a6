//! What a broken rule reports: a stable id, how serious it is, the denial it predicts and the money it puts at risk.

use std::fmt;

use serde::{Serialize, Serializer};

/// A stable rule id such as `icd10.not_billable`; reports, baselines and suppressions key on it, so an id never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(&'static str);

impl RuleId {
    pub const ICD10_UNKNOWN: RuleId = RuleId("icd10.unknown");
    pub const ICD10_NOT_BILLABLE: RuleId = RuleId("icd10.not_billable");
    pub const ICD10_DATE_NOT_COVERED: RuleId = RuleId("icd10.date_not_covered");
    pub const ICD10_ICD9_AFTER_CUTOVER: RuleId = RuleId("icd10.icd9_after_cutover");
    pub const PROCEDURE_CODE_FORM: RuleId = RuleId("procedure.code_form");
    pub const MODIFIER_FORM: RuleId = RuleId("modifier.form");
    pub const MODIFIER_TOO_MANY: RuleId = RuleId("modifier.too_many");
    pub const MODIFIER_25_NOT_EM: RuleId = RuleId("modifier.25_not_em");
    pub const MODIFIER_25_NO_PROCEDURE: RuleId = RuleId("modifier.25_no_procedure");
    pub const MODIFIER_DISTINCT_ON_EM: RuleId = RuleId("modifier.distinct_on_em");
    pub const MODIFIER_X_BEFORE_2015: RuleId = RuleId("modifier.x_before_2015");
    pub const NPI_INVALID: RuleId = RuleId("npi.invalid");
    pub const POS_INVALID: RuleId = RuleId("pos.invalid");
    pub const CLAIM_TOO_MANY_DIAGNOSES: RuleId = RuleId("claim.too_many_diagnoses");
    pub const CLAIM_TOO_MANY_POINTERS: RuleId = RuleId("claim.too_many_pointers");
    pub const CLAIM_POINTER_OUT_OF_RANGE: RuleId = RuleId("claim.pointer_out_of_range");
    pub const CLAIM_TOTAL_MISMATCH: RuleId = RuleId("claim.total_mismatch");
    pub const CLAIM_TOO_MANY_LINES: RuleId = RuleId("claim.too_many_lines");
    pub const CLAIM_NO_PRINCIPAL_DIAGNOSIS: RuleId = RuleId("claim.no_principal_diagnosis");
    pub const NCCI_PTP: RuleId = RuleId("ncci.ptp");
    pub const MUE_LINE: RuleId = RuleId("mue.line");
    pub const MUE_DATE_OF_SERVICE: RuleId = RuleId("mue.date_of_service");

    /// Every rule the scrubber knows, so a report can list what it checked as well as what broke.
    pub const ALL: [RuleId; 22] = [
        RuleId::ICD10_UNKNOWN,
        RuleId::ICD10_NOT_BILLABLE,
        RuleId::ICD10_DATE_NOT_COVERED,
        RuleId::ICD10_ICD9_AFTER_CUTOVER,
        RuleId::PROCEDURE_CODE_FORM,
        RuleId::MODIFIER_FORM,
        RuleId::MODIFIER_TOO_MANY,
        RuleId::MODIFIER_25_NOT_EM,
        RuleId::MODIFIER_25_NO_PROCEDURE,
        RuleId::MODIFIER_DISTINCT_ON_EM,
        RuleId::MODIFIER_X_BEFORE_2015,
        RuleId::NPI_INVALID,
        RuleId::POS_INVALID,
        RuleId::CLAIM_TOO_MANY_DIAGNOSES,
        RuleId::CLAIM_TOO_MANY_POINTERS,
        RuleId::CLAIM_POINTER_OUT_OF_RANGE,
        RuleId::CLAIM_TOTAL_MISMATCH,
        RuleId::CLAIM_TOO_MANY_LINES,
        RuleId::CLAIM_NO_PRINCIPAL_DIAGNOSIS,
        RuleId::NCCI_PTP,
        RuleId::MUE_LINE,
        RuleId::MUE_DATE_OF_SERVICE,
    ];

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The payer will deny or reject: the claim is not clean.
    Error,
    /// Worth a look, or a check that could not be made; the claim still counts as clean.
    Warning,
}

/// A claim adjustment reason code with its group, as an 835 would carry it (`CO-16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Carc {
    pub group: &'static str,
    pub code: u16,
}

impl Carc {
    /// Claim lacks information or has submission/billing errors: the catch-all for form and code-set problems.
    pub const CO_16: Carc = Carc { group: "CO", code: 16 };
    /// The diagnosis is inconsistent with the procedure; payers use it for truncated (non-billable) diagnoses.
    pub const CO_11: Carc = Carc { group: "CO", code: 11 };
    /// The procedure code is inconsistent with the modifier used, or a required modifier is missing.
    pub const CO_4: Carc = Carc { group: "CO", code: 4 };
    /// Payment is included in the allowance for another service: the NCCI PTP denial.
    pub const CO_97: Carc = Carc { group: "CO", code: 97 };
    /// Payment adjusted because the payer deems the information submitted does not support this many services: Medicare's
    /// MUE denial. Some commercial payers return CO-119 (benefit maximum) or CO-16 instead.
    pub const CO_151: Carc = Carc { group: "CO", code: 151 };
}

impl fmt::Display for Carc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.group, self.code)
    }
}

impl Serialize for Carc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One rule a claim breaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleBreak {
    pub rule: RuleId,
    pub severity: Severity,
    pub carc: Carc,
    /// 1-based service line; `None` when the break is about the claim as a whole.
    pub line: Option<usize>,
    /// What the payer would not pay if the break went out: the line's charge, or the claim's total for a claim-level rejection.
    pub charge_at_risk: f64,
    pub message: String,
}

impl RuleBreak {
    pub(crate) fn error(
        rule: RuleId,
        carc: Carc,
        line: Option<usize>,
        charge_at_risk: f64,
        message: String,
    ) -> RuleBreak {
        RuleBreak { rule, severity: Severity::Error, carc, line, charge_at_risk, message }
    }

    pub(crate) fn warning(rule: RuleId, carc: Carc, line: Option<usize>, message: String) -> RuleBreak {
        // A warning predicts no denial, so it puts nothing at risk.
        RuleBreak { rule, severity: Severity::Warning, carc, line, charge_at_risk: 0.0, message }
    }
}
