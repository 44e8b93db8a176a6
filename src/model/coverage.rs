//! The insurance a claim is billed to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// The payer, by the short name the practice uses (`medicare`, `aetna`, ...).
    pub payer: String,
    /// The subscriber's member id on the card (a Medicare MBI for Medicare).
    pub member_id: String,
    #[serde(default = "Relationship::self_")]
    pub relationship: Relationship,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    #[serde(rename = "self")]
    Self_,
    Spouse,
    Child,
    Other,
}

impl Relationship {
    fn self_() -> Relationship {
        Relationship::Self_
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Self_ => "self",
            Relationship::Spouse => "spouse",
            Relationship::Child => "child",
            Relationship::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Relationship {
        match code {
            "self" => Relationship::Self_,
            "spouse" => Relationship::Spouse,
            "child" => Relationship::Child,
            _ => Relationship::Other,
        }
    }
}
