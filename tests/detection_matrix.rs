//! Every defect a simulator can plant is caught: planted alone, it is reported as the finding docs/defects.md names.

mod support;

use std::collections::BTreeSet;

use handoff::diff::Category;
use support::{Run, findings, repo, target};

/// One row of the table in docs/defects.md.
struct Row {
    defect: String,
    yaml: String,
    /// `category/kind`
    reported: String,
    /// `record.field`
    on: String,
}

fn between_backticks(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

fn documented() -> Vec<Row> {
    let text = std::fs::read_to_string(repo("docs/defects.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 4, "{line}");
            let reported = between_backticks(cells[3]);
            Row {
                defect: between_backticks(cells[0])[0].clone(),
                yaml: between_backticks(cells[1])[0].clone(),
                reported: reported[0].clone(),
                on: reported[1].clone(),
            }
        })
        .collect()
}

fn profile(name: &str, defects: &[&str]) -> String {
    let mut yaml = format!("name: {name}\nsimulator:\n  topology: interfaced\n  interface: {{ delay: 50ms }}\n");
    if !defects.is_empty() {
        yaml.push_str("  defects:\n");
        for d in defects {
            yaml.push_str(&format!("    - {d}\n"));
        }
    }
    yaml
}

#[test]
fn the_table_lists_every_defect_the_code_knows_and_no_other() {
    let schema = serde_json::to_value(schemars::schema_for!(handoff::scenario::Defect)).unwrap();
    let in_code: BTreeSet<String> = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|variant| {
            // Unit variants are string constants (or an enum of them); the others are one-key objects.
            if let Some(e) = variant.get("enum") {
                e.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>()
            } else if let Some(c) = variant.get("const") {
                vec![c.as_str().unwrap().to_string()]
            } else {
                vec![variant["required"][0].as_str().unwrap().to_string()]
            }
        })
        .collect();
    let in_doc: BTreeSet<String> = documented().into_iter().map(|r| r.defect).collect();
    assert_eq!(in_doc, in_code);
    assert!(in_code.len() >= 15, "the issue asks for at least 15 kinds, the code has {}", in_code.len());
}

#[test]
fn each_defect_planted_alone_is_reported_on_its_field_and_none_planted_reports_nothing() {
    let rows = documented();
    let mut run = Run::new().scenario_file("tests/inputs/detection.yaml").target_yaml(&profile("no-defects", &[]));
    for row in &rows {
        run = run.target_yaml(&profile(&row.defect, &[&row.yaml]));
    }
    let report = run.report();

    let clean = target(&report, "no-defects");
    assert_eq!(findings(clean), Vec::<String>::new());
    assert_eq!(clean.scores.sync_gap_pct, Some(0.0));
    assert_eq!(clean.scores.handoff_accuracy_pct, Some(100.0));

    let mut missed = Vec::new();
    for row in &rows {
        let t = target(&report, &row.defect);
        let hit = t.findings.iter().any(|f| {
            let category = serde_json::to_value(f.category).unwrap();
            format!("{}/{}", category.as_str().unwrap(), f.kind.as_str()) == row.reported
                && format!("{}.{}", f.record, f.field) == row.on
        });
        if !hit {
            missed.push(format!(
                "{} should give {} on {}, gave:\n  {}",
                row.defect,
                row.reported,
                row.on,
                findings(t).join("\n  ")
            ));
        }
        let system: Vec<_> = t.findings.iter().filter(|f| f.category == Category::System).map(|f| &f.message).collect();
        assert!(system.is_empty(), "{}: a planted defect made a system fail: {system:?}", row.defect);
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
