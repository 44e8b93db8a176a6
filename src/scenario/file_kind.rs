//! Telling a scenario file from a target file by its top-level keys, so `handoff validate` needs no flag.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Scenario,
    Target,
}

/// A file with `steps` is a scenario; one with `systems` or `simulator` is a target.
pub fn detect_kind(text: &str) -> Option<DocumentKind> {
    let keys: BTreeMap<String, IgnoredAny> = serde_saphyr::from_str(text).ok()?;
    if keys.contains_key("steps") || keys.contains_key("patient") {
        Some(DocumentKind::Scenario)
    } else if keys.contains_key("systems") || keys.contains_key("simulator") {
        Some(DocumentKind::Target)
    } else {
        None
    }
}
