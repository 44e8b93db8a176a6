//! The functions a practice buys, module by module: what the buyer's guide asks about when it warns against paying twice.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    ClinicalDocumentation,
    ProblemList,
    Medications,
    EPrescribing,
    LabOrdersResults,
    Scheduling,
    Registration,
    Eligibility,
    ClaimsBilling,
    PaymentPosting,
    ClinicalQualityReporting,
    FinancialReporting,
}

impl Module {
    pub const ALL: [Module; 12] = [
        Module::ClinicalDocumentation,
        Module::ProblemList,
        Module::Medications,
        Module::EPrescribing,
        Module::LabOrdersResults,
        Module::Scheduling,
        Module::Registration,
        Module::Eligibility,
        Module::ClaimsBilling,
        Module::PaymentPosting,
        Module::ClinicalQualityReporting,
        Module::FinancialReporting,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Module::ClinicalDocumentation => "clinical_documentation",
            Module::ProblemList => "problem_list",
            Module::Medications => "medications",
            Module::EPrescribing => "e_prescribing",
            Module::LabOrdersResults => "lab_orders_results",
            Module::Scheduling => "scheduling",
            Module::Registration => "registration",
            Module::Eligibility => "eligibility",
            Module::ClaimsBilling => "claims_billing",
            Module::PaymentPosting => "payment_posting",
            Module::ClinicalQualityReporting => "clinical_quality_reporting",
            Module::FinancialReporting => "financial_reporting",
        }
    }

    pub fn from_code(code: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.code() == code)
    }

    /// How a person would say it.
    pub fn label(self) -> &'static str {
        match self {
            Module::ClinicalDocumentation => "clinical documentation",
            Module::ProblemList => "problem list",
            Module::Medications => "medications",
            Module::EPrescribing => "e-prescribing",
            Module::LabOrdersResults => "lab orders and results",
            Module::Scheduling => "scheduling",
            Module::Registration => "registration",
            Module::Eligibility => "eligibility",
            Module::ClaimsBilling => "claims and billing",
            Module::PaymentPosting => "payment posting",
            Module::ClinicalQualityReporting => "clinical-quality reporting",
            Module::FinancialReporting => "financial reporting",
        }
    }

    /// The FHIR R4 resources whose presence in a CapabilityStatement shows the module, where one shows it alone.
    /// Modules without a telling resource (e-prescribing, financial reporting) are known only when declared.
    pub fn fhir_resources(self) -> &'static [&'static str] {
        match self {
            Module::ClinicalDocumentation => &["Encounter", "Procedure"],
            Module::ProblemList => &["AllergyIntolerance"],
            Module::Medications => &["MedicationStatement"],
            Module::EPrescribing => &[],
            Module::LabOrdersResults => &["ServiceRequest", "DiagnosticReport"],
            Module::Scheduling => &["Appointment", "Schedule", "Slot"],
            Module::Registration => &["Patient", "Coverage"],
            Module::Eligibility => &["CoverageEligibilityRequest"],
            Module::ClaimsBilling => &["Claim", "ChargeItem"],
            Module::PaymentPosting => &["PaymentReconciliation", "ExplanationOfBenefit"],
            Module::ClinicalQualityReporting => &["MeasureReport"],
            Module::FinancialReporting => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for m in Module::ALL {
            assert_eq!(Module::from_code(m.code()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.code());
        }
    }
}
