//! `handoff schema`: the JSON Schema of each file format, for editors and other tools.

use serde_json::json;

use super::SchemaKind;
use crate::exit;
use crate::reconcile::ColumnMap;
use crate::report::vendor_comparison::VendorComparison;
use crate::scenario::{Scenario, Target};

pub fn print(which: Option<SchemaKind>) -> u8 {
    let scenario = || serde_json::to_value(schemars::schema_for!(Scenario)).unwrap_or_default();
    let target = || serde_json::to_value(schemars::schema_for!(Target)).unwrap_or_default();
    let comparison = || serde_json::to_value(schemars::schema_for!(VendorComparison)).unwrap_or_default();
    let map = || serde_json::to_value(schemars::schema_for!(ColumnMap)).unwrap_or_default();
    let value = match which {
        Some(SchemaKind::Scenario) => scenario(),
        Some(SchemaKind::Target) => target(),
        Some(SchemaKind::Report) => crate::report::json::schema(),
        Some(SchemaKind::Comparison) => comparison(),
        Some(SchemaKind::Map) => map(),
        None => json!({
            "scenario": scenario(),
            "target": target(),
            "report": crate::report::json::schema(),
            "comparison": comparison(),
            "map": map(),
        }),
    };
    out!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    exit::SUCCESS
}
