//! Finding one patient held twice inside one export: a record with the same deterministic key (normalised name,
//! birth date, sex) as an earlier one, or the same member id and a fuzzy confidence at or above the threshold.
//! Held by keys — two small hash tables of row numbers — so memory grows with the patients, not the file.

use super::columns::{COLUMNS, Column};
use super::index::{PrehashedMap, key_hash};
use super::matching::{FUZZY_THRESHOLD, confidence, deterministic_key};

/// The rows seen so far, by deterministic key and by member id.
#[derive(Default)]
pub struct Twins {
    by_key: PrehashedMap<u32>,
    by_member: PrehashedMap<u32>,
}

/// Why two rows are taken for one patient.
pub fn why_same(by_key: bool, confidence: Option<f64>, explanation: &str) -> String {
    match (by_key, confidence) {
        (true, _) => "same name, birth date and sex".into(),
        (false, Some(score)) => format!("same member id, confidence {score:.2} ({explanation})"),
        (false, None) => String::new(),
    }
}

impl Twins {
    /// Row `row` (numbered by the caller, in order) against the rows seen before: the earlier row it duplicates and
    /// why, or `None` (and the row is remembered). `earlier` gives an earlier row's fields.
    pub fn check<'a>(
        &mut self,
        row: u32,
        fields: &[&[u8]; COLUMNS],
        earlier: impl Fn(u32) -> [&'a [u8]; COLUMNS],
    ) -> Option<(u32, String)> {
        if let Some(key) = deterministic_key(fields) {
            match self.by_key.get(&key) {
                Some(&first) => return Some((first, why_same(true, None, ""))),
                None => {
                    self.by_key.insert(key, row);
                }
            }
        }
        let member = fields[Column::MemberId.index()];
        if !member.is_empty() {
            let key = key_hash([&b"member"[..], member]);
            match self.by_member.get(&key) {
                Some(&first) => {
                    let c = confidence(fields, &earlier(first));
                    if c.score >= FUZZY_THRESHOLD {
                        return Some((first, why_same(false, Some(c.score), &c.explanation)));
                    }
                }
                None => {
                    self.by_member.insert(key, row);
                }
            }
        }
        None
    }
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
        let rows = [ANA, again, cut, child].map(row);
        let mut twins = Twins::default();
        let found: Vec<_> = (0..4).map(|i| twins.check(i, &rows[i as usize], |j| rows[j as usize])).collect();
        assert_eq!(found[0], None);
        assert_eq!(found[1], Some((0, "same name, birth date and sex".to_string())));
        let (first, why) = found[2].clone().unwrap();
        assert_eq!(first, 0);
        assert!(why.starts_with("same member id, confidence 0.9"), "{why}");
        assert_eq!(found[3], None, "a dependent on the same card is another patient");
    }
}
