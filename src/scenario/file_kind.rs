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
    let keys: BTreeMap<String, IgnoredAny> =
        serde_saphyr::from_str_with_options(text, super::load::yaml_options()).ok()?;
    if keys.contains_key("steps") || keys.contains_key("patient") {
        Some(DocumentKind::Scenario)
    } else if keys.contains_key("systems") || keys.contains_key("simulator") {
        Some(DocumentKind::Target)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five anchors of ten aliases each to the one before: 111,111 values in the last, which serde-saphyr's own
    /// defaults (a million copied events) would copy out in full just to find the top-level keys.
    fn alias_bomb() -> String {
        let mut text = "steps:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
        for level in 1..5 {
            let aliases = vec![format!("*l{}", level - 1); 10].join(", ");
            text += &format!("  - &l{level} [{aliases}]\n");
        }
        text
    }

    #[test]
    fn files_are_told_apart_by_their_top_level_keys() {
        assert_eq!(detect_kind("name: x\nsteps: []\n"), Some(DocumentKind::Scenario));
        assert_eq!(detect_kind("name: x\nsystems: {}\n"), Some(DocumentKind::Target));
        assert_eq!(detect_kind("name: x\n"), None);
    }

    #[test]
    fn an_alias_bomb_is_refused_under_a_scenarios_limits_before_its_keys_are_read() {
        assert_eq!(detect_kind(&alias_bomb()), None);
        let four_levels = alias_bomb().lines().take(5).collect::<Vec<_>>().join("\n");
        assert_eq!(detect_kind(&four_levels), Some(DocumentKind::Scenario), "11,111 values are within the limits");
    }
}
