//! Property test: a scenario written back out as YAML reads in as the same scenario, whatever its patient's
//! values hold (YAML keywords, numbers, `#`, `: `, quotes, accents).

use proptest::option;
use proptest::prelude::*;

use super::{Scenario, parse_scenario};
use crate::model::strategies::{patient, text};

fn shipped() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/new-medicare-patient-em-25-with-procedure.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    parse_scenario(path, &text).unwrap()
}

/// Values YAML would read as something other than text if they were written unquoted.
fn yaml_trap() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("yes".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just("2026-12-01".to_string()),
        Just("- a".to_string()),
        Just("a: b".to_string()),
        Just("#x".to_string()),
        Just("*ref".to_string()),
        Just("'\"".to_string()),
        text(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_scenario_written_as_yaml_reads_back_the_same(
        name in yaml_trap(),
        description in option::of(yaml_trap()),
        patient in patient(),
    ) {
        let scenario = Scenario { name, description, patient, ..shipped() };
        let yaml = serde_saphyr::to_string(&scenario).unwrap();
        let again = parse_scenario("written.yaml", &yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        prop_assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&scenario).unwrap());
    }
}
