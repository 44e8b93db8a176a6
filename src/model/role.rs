//! The two jobs a system can do for a practice: keep the clinical record, or run the business.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `emr` keeps the clinical record; `pm` schedules, registers and bills. One system may play both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Emr,
    Pm,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Emr, Role::Pm];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Emr => "emr",
            Role::Pm => "pm",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
