//! Finding one patient held twice inside one export: a record with the same deterministic key (normalised name,
//! birth date, sex) as an earlier one, or the same member id and a fuzzy confidence at or above the threshold.
//! Held by keys — a sorted list of (key, row number), one key at a time — so memory grows with the patients (16
//! bytes each while it runs), not with the file.

use super::columns::{COLUMNS, Column};
use super::index::key_hash;
use super::matching::{FUZZY_THRESHOLD, confidence, deterministic_key};

/// One record that is a second record of an earlier one.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondRecord {
    pub first: u32,
    pub second: u32,
    /// Why the two are taken for one patient.
    pub why: String,
}

/// Each group of rows sharing a key, as its row numbers in order.
fn groups(mut keyed: Vec<(u64, u32)>, mut each: impl FnMut(&[(u64, u32)])) {
    keyed.sort_unstable();
    for group in keyed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        each(group);
    }
}

/// In each group of rows sharing a key, the later rows as alike as a fuzzy match to the group's first; `shared`
/// says what the key was, for the reason given.
fn alike_in_groups<'a>(
    keyed: Vec<(u64, u32)>,
    row: &impl Fn(u32) -> [&'a [u8]; COLUMNS],
    shared: &str,
) -> Vec<SecondRecord> {
    let mut found = Vec::new();
    groups(keyed, |group| {
        let first = row(group[0].1);
        for &(_, i) in &group[1..] {
            let c = confidence(&row(i), &first);
            if c.score >= FUZZY_THRESHOLD {
                let why = format!("{shared}, confidence {:.2} ({})", c.score, c.explanation);
                found.push(SecondRecord { first: group[0].1, second: i, why });
            }
        }
    });
    found
}

/// The keys a row is grouped by: its deterministic key, and its member id's hash (`None` where it has none).
pub fn keys_of(fields: &[&[u8]; COLUMNS]) -> (Option<u64>, Option<u64>) {
    let member = fields[Column::MemberId.index()];
    (deterministic_key(fields), (!member.is_empty()).then(|| key_hash([&b"member"[..], member])))
}

/// The rows among `count` (numbered in the order read; `row` gives each one's fields, `keys` its [`keys_of`],
/// which a caller may have worked out already) that are a second record of an earlier row, in the order of the
/// second.
pub fn second_records<'a>(
    count: u32,
    row: impl Fn(u32) -> [&'a [u8]; COLUMNS],
    keys: impl Fn(u32) -> (Option<u64>, Option<u64>),
) -> Vec<SecondRecord> {
    // The same name, birth date and sex is not enough on its own: among a million patients, namesakes born on the
    // same day are many. The rest of the record must agree as a fuzzy match's would.
    let keyed = (0..count).filter_map(|i| Some((keys(i).0?, i))).collect();
    let mut found = alike_in_groups(keyed, &row, "same name, birth date and sex");
    let mut second = vec![false; count as usize];
    found.iter().for_each(|s| second[s.second as usize] = true);
    let member = |i: u32| Some((keys(i).1?, i));
    let keyed = (0..count).filter(|i| !second[*i as usize]).filter_map(member).collect();
    found.extend(alike_in_groups(keyed, &row, "same member id"));
    found.sort_by_key(|s| s.second);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::fixtures::ANA;

    fn row(values: [&'static str; COLUMNS]) -> [&'static [u8]; COLUMNS] {
        values.map(str::as_bytes)
    }

    #[test]
    fn a_second_record_of_one_patient_is_found_by_key_or_by_member_id_and_a_household_is_not() {
        let mut again = ANA;
        again[0] = "P2";
        again[2] = "LOPEZ-HERNANDEZ";
        let mut cut = ANA;
        cut[0] = "P3";
        cut[2] = "Lopez-Hern";
        cut[5] = "1958-12-03";
        let mut child = ANA;
        child[0] = "P4";
        child[3] = "Mateo";
        child[4] = "";
        child[5] = "1990-06-01";
        child[6] = "male";
        let mut namesake = ANA;
        namesake[0] = "P5";
        namesake[7] = "88 Oak St";
        namesake[11] = "(305) 555-0199";
        namesake[12] = "aetna";
        namesake[13] = "W123456789";
        let rows = [ANA, again, cut, child, namesake].map(row);
        let found = second_records(5, |i| rows[i as usize], |i| keys_of(&rows[i as usize]));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].first, found[0].second), (0, 1));
        assert!(found[0].why.starts_with("same name, birth date and sex, confidence 1.00"), "{}", found[0].why);
        assert_eq!((found[1].first, found[1].second), (0, 2));
        assert!(found[1].why.starts_with("same member id, confidence 0.9"), "{}", found[1].why);
        // Row 3, a dependent on the same card, is another patient; so is row 4, a namesake born the same day who
        // lives elsewhere and is insured elsewhere.
    }
}
