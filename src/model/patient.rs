//! A patient as every system should hold them: the demographics a front desk keys in.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Coverage, Date};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    pub name: HumanName,
    pub birth_date: Date,
    pub sex: Sex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Identifiers the practice already knows (an MRN from another system, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// A second payer, billed after the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_coverage: Option<Coverage>,
}

impl Patient {
    /// Primary then secondary coverage, as far as the patient has them.
    pub fn coverages(&self) -> Vec<Coverage> {
        self.coverage.iter().chain(self.secondary_coverage.iter()).cloned().collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HumanName {
    /// Given names in order: first, then middle names.
    pub given: Vec<String>,
    pub family: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub line: Vec<String>,
    pub city: String,
    /// Two-letter USPS state code.
    pub state: String,
    pub postal_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn from_code(code: &str) -> Sex {
        match code {
            "female" => Sex::Female,
            "male" => Sex::Male,
            "other" => Sex::Other,
            _ => Sex::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}
