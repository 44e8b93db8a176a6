//! Field-by-field comparison of one record as two systems hold it, each difference typed.

use serde_json::{Value, json};

use super::FindingKind;
use super::normalise;
use crate::model::{Appointment, Coverage, Patient};

/// One field that did not agree exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: String,
    pub expected: Value,
    pub actual: Value,
    pub kind: FindingKind,
}

/// How many fields were expected, and which of them differed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    pub fields: usize,
    pub diffs: Vec<FieldDiff>,
    /// Fields inside sub-records that are missing whole (one diff, several fields).
    missing_fields: usize,
}

impl Comparison {
    /// Fields that did not agree: a format-only difference is reported but agrees.
    pub fn disagreements(&self) -> usize {
        let whole = self.diffs.iter().filter(|d| d.kind == FindingKind::MissingRecord).count();
        self.diffs.iter().filter(|d| d.kind != FindingKind::FormatOnly).count() - whole + self.missing_fields
    }

    fn field(
        &mut self,
        name: impl Into<String>,
        expected: Option<&str>,
        actual: Option<&str>,
        norm: fn(&str) -> String,
    ) {
        let Some(expected) = expected.filter(|e| !e.trim().is_empty()) else { return };
        self.fields += 1;
        let actual = actual.filter(|a| !a.trim().is_empty());
        let Some(kind) = classify(expected, actual, norm) else { return };
        self.diffs.push(FieldDiff { field: name.into(), expected: json!(expected), actual: json!(actual), kind });
    }
}

/// How a value a system holds differs from the one expected, or `None` when it is the same: missing, the same
/// once `norm` sets form aside (format only), the start of it (truncated), or something else (mismatch).
pub fn classify(expected: &str, actual: Option<&str>, norm: fn(&str) -> String) -> Option<FindingKind> {
    Some(match actual {
        Some(a) if a == expected => return None,
        None => FindingKind::MissingField,
        Some(a) if norm(a) == norm(expected) => FindingKind::FormatOnly,
        Some(a) if norm(expected).starts_with(&norm(a)) => FindingKind::Truncated,
        Some(_) => FindingKind::Mismatch,
    })
}

/// The value itself: for codes where any difference is a difference.
pub fn exact(value: &str) -> String {
    value.to_string()
}

/// The five-digit ZIP code, whether the ZIP+4 was kept or not.
pub fn postal(value: &str) -> String {
    value.chars().filter(char::is_ascii_digit).take(5).collect()
}

pub fn compare_patient(expected: &Patient, actual: &Patient) -> Comparison {
    let mut c = Comparison::default();
    // First name, then middle names as one: many systems keep one middle-name field, so `[Ann, Marie]` and
    // `[Ann Marie]` hold the same middle names.
    let middle = |n: &crate::model::HumanName| n.given.get(1..).unwrap_or_default().join(" ");
    c.field(
        "name.given[1]",
        expected.name.given.first().map(String::as_str),
        actual.name.given.first().map(String::as_str),
        normalise::text,
    );
    let (expected_middle, actual_middle) = (middle(&expected.name), middle(&actual.name));
    c.field("name.given[2]", Some(expected_middle.as_str()), Some(actual_middle.as_str()), normalise::text);
    c.field("name.family", Some(&expected.name.family), Some(&actual.name.family), normalise::text);
    c.field("birth_date", Some(&expected.birth_date.to_string()), Some(&actual.birth_date.to_string()), exact);
    c.field("sex", Some(expected.sex.as_str()), Some(actual.sex.as_str()), exact);
    if let Some(address) = &expected.address {
        let other = actual.address.as_ref();
        for (i, line) in address.line.iter().enumerate() {
            let actual_line = other.and_then(|a| a.line.get(i)).map(String::as_str);
            c.field(format!("address.line[{}]", i + 1), Some(line), actual_line, normalise::address_line);
        }
        c.field("address.city", Some(&address.city), other.map(|a| a.city.as_str()), normalise::text);
        c.field("address.state", Some(&address.state), other.map(|a| a.state.as_str()), normalise::text);
        c.field("address.postal_code", Some(&address.postal_code), other.map(|a| a.postal_code.as_str()), postal);
    }
    c.field("phone", expected.phone.as_deref(), actual.phone.as_deref(), normalise::phone);
    // The identifiers the source gave the patient must travel with them: they are how records are tied together.
    for (i, id) in expected.identifiers.iter().enumerate() {
        let token = format!("{}|{}", id.system, id.value);
        let held =
            actual.identifiers.iter().find(|a| a.system == id.system).map(|a| format!("{}|{}", a.system, a.value));
        c.field(format!("identifier[{}]", i + 1), Some(&token), held.as_deref(), exact);
    }
    c
}

/// How many fields a person keys to register this patient and their coverage (identifiers are not keyed).
pub fn patient_fields(patient: &Patient) -> usize {
    let keyed = Patient { identifiers: Vec::new(), ..patient.clone() };
    let coverages = patient.coverages();
    compare_patient(&keyed, &keyed).fields + compare_coverages(&coverages, &coverages).fields
}

/// Primary, then secondary coverage; one that did not arrive counts all its fields.
pub fn compare_coverages(expected: &[Coverage], actual: &[Coverage]) -> Comparison {
    let mut all = Comparison::default();
    for (i, coverage) in expected.iter().enumerate() {
        let prefix = if i == 0 { String::new() } else { "secondary.".to_string() };
        let Some(held) = actual.get(i) else {
            let fields = compare_coverage(coverage, coverage).fields;
            all.fields += fields;
            all.diffs.push(FieldDiff {
                field: if i == 0 { "primary".into() } else { "secondary".into() },
                expected: json!(coverage.member_id),
                actual: Value::Null,
                kind: FindingKind::MissingRecord,
            });
            all.missing_fields += fields;
            continue;
        };
        let c = compare_coverage(coverage, held);
        all.fields += c.fields;
        all.diffs.extend(c.diffs.into_iter().map(|d| FieldDiff { field: format!("{prefix}{}", d.field), ..d }));
    }
    all
}

pub fn compare_coverage(expected: &Coverage, actual: &Coverage) -> Comparison {
    let mut c = Comparison::default();
    c.field("payer", Some(&expected.payer), Some(&actual.payer), normalise::text);
    c.field("member_id", Some(&expected.member_id), Some(&actual.member_id), normalise::text);
    c.field("relationship", Some(expected.relationship.as_str()), Some(actual.relationship.as_str()), exact);
    c
}

pub fn compare_appointment(expected: &Appointment, actual: &Appointment) -> Comparison {
    let mut c = Comparison::default();
    c.field("start", Some(&expected.start.to_string()), Some(&actual.start.to_string()), exact);
    c.field("minutes", Some(&expected.minutes.to_string()), Some(&actual.minutes.to_string()), exact);
    c.field("provider_npi", Some(&expected.provider_npi), Some(&actual.provider_npi), exact);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::fixtures::ana;

    #[test]
    fn the_same_patient_agrees_on_all_ten_fields() {
        let c = compare_patient(&ana(), &ana());
        assert_eq!((c.fields, c.diffs.len()), (10, 0));
    }

    #[test]
    fn a_cut_family_name_is_truncated_not_mismatched() {
        let mut held = ana();
        held.name.family = "Lopez-Hern".into();
        let c = compare_patient(&ana(), &held);
        assert_eq!(c.diffs.len(), 1);
        assert_eq!(c.diffs[0].field, "name.family");
        assert_eq!(c.diffs[0].kind, FindingKind::Truncated);
        assert_eq!(c.diffs[0].actual, json!("Lopez-Hern"));
    }

    #[test]
    fn form_only_differences_are_reported_but_agree() {
        let mut held = ana();
        held.phone = Some("813-555-0142".into());
        held.address.as_mut().unwrap().line[0] = "1200 BAYVIEW AVENUE APARTMENT 4B".into();
        let c = compare_patient(&ana(), &held);
        assert_eq!(c.diffs.len(), 2);
        assert!(c.diffs.iter().all(|d| d.kind == FindingKind::FormatOnly));
        assert_eq!(c.disagreements(), 0);
    }

    #[test]
    fn a_lost_secondary_coverage_counts_all_its_fields() {
        let primary = Coverage {
            payer: "medicare".into(),
            member_id: "1EG4TE5MK72".into(),
            relationship: crate::model::Relationship::Self_,
        };
        let secondary = Coverage { payer: "aarp".into(), member_id: "AB1".into(), ..primary.clone() };
        let c = compare_coverages(&[primary.clone(), secondary], &[primary]);
        assert_eq!((c.fields, c.disagreements()), (6, 3));
        assert_eq!(c.diffs[0].field, "secondary");
        assert_eq!(c.diffs[0].kind, FindingKind::MissingRecord);
    }

    #[test]
    fn an_identifier_that_did_not_travel_is_a_missing_field() {
        let tracking = crate::model::Identifier { system: "urn:t".into(), value: "1".into() };
        let source = Patient { identifiers: vec![tracking], ..ana() };
        let c = compare_patient(&source, &ana());
        assert_eq!(c.diffs.len(), 1);
        assert_eq!((c.diffs[0].field.as_str(), c.diffs[0].kind), ("identifier[1]", FindingKind::MissingField));
    }

    #[test]
    fn a_dropped_middle_name_is_a_missing_field() {
        let mut held = ana();
        held.name.given.truncate(1);
        let c = compare_patient(&ana(), &held);
        assert_eq!(c.diffs[0].field, "name.given[2]");
        assert_eq!(c.diffs[0].kind, FindingKind::MissingField);
    }
}
