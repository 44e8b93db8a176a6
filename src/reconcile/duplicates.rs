//! Finding one patient held twice inside one export: a record with the same deterministic key (normalised name,
//! birth date, sex) as an earlier one, or the same member id and a fuzzy confidence at or above the threshold.
//! Held by keys — lists of (key, row number), one key at a time, laid out in parts and each part sorted — so memory
//! grows with the patients (32 bytes each while it runs), not with the file.

use super::columns::{COLUMNS, Column};
use super::index::key_hash;
use super::matching::{FUZZY_THRESHOLD, confidence, deterministic_key};
use super::parallel::in_row_order;

/// One record that is a second record of an earlier one.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondRecord {
    pub first: u32,
    pub second: u32,
    /// Why the two are taken for one patient.
    pub why: String,
}

/// About how many keys go in a part of [`by_top_bits`]: few enough to sort in the processor's cache.
const PART: usize = 256;

/// The keys (hashes, so spread evenly) laid out by their top bits in parts of about [`PART`], and where each part
/// starts: one pass that leaves each part to be sorted on its own, in the cache, where a sort of a million keys
/// is not.
fn by_top_bits(keyed: &[(u64, u32)]) -> (Vec<(u64, u32)>, Vec<usize>) {
    let bits = (keyed.len() / PART).max(1).ilog2().min(16);
    let part = |key: u64| key.checked_shr(64 - bits).unwrap_or(0) as usize;
    let mut starts = vec![0; (1 << bits) + 1];
    for (key, _) in keyed {
        starts[part(*key) + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    let mut laid_out = vec![(0, 0); keyed.len()];
    for &(key, row) in keyed {
        let at = &mut next[part(key)];
        laid_out[*at] = (key, row);
        *at += 1;
    }
    (laid_out, starts)
}

/// In each group of rows sharing a key, the later rows as alike as a fuzzy match to the group's first; `shared`
/// says what the key was, for the reason given. Found in the order of the groups' keys' top bits; the caller
/// puts them in row order.
fn alike_in_groups<'a>(
    keyed: &[(u64, u32)],
    row: &(impl Fn(u32) -> [&'a [u8]; COLUMNS] + Sync),
    shared: &str,
) -> Vec<SecondRecord> {
    let (laid_out, starts) = by_top_bits(keyed);
    // Each core sorts some of the parts and looks into their groups.
    let found = in_row_order(starts.len() as u32 - 1, |parts| {
        let (mut found, mut part) = (Vec::new(), Vec::new());
        for p in parts {
            part.clear();
            part.extend_from_slice(&laid_out[starts[p as usize]..starts[p as usize + 1]]);
            part.sort_unstable();
            for group in part.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
                let first = row(group[0].1);
                for &(_, i) in &group[1..] {
                    let c = confidence(&row(i), &first);
                    if c.score >= FUZZY_THRESHOLD {
                        let why = format!("{shared}, confidence {:.2} ({})", c.score, c.explanation);
                        found.push(SecondRecord { first: group[0].1, second: i, why });
                    }
                }
            }
        }
        found
    });
    found.concat()
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
    row: impl Fn(u32) -> [&'a [u8]; COLUMNS] + Sync,
    keys: impl Fn(u32) -> (Option<u64>, Option<u64>),
) -> Vec<SecondRecord> {
    // The same name, birth date and sex is not enough on its own: among a million patients, namesakes born on the
    // same day are many. The rest of the record must agree as a fuzzy match's would.
    // Sized for every row at once, not grown by doubling from nothing: each step copies the keys so far to memory
    // asked for anew.
    let mut keyed = Vec::with_capacity(count as usize);
    keyed.extend((0..count).filter_map(|i| Some((keys(i).0?, i))));
    let mut found = alike_in_groups(&keyed, &row, "same name, birth date and sex");
    let mut second = vec![false; count as usize];
    found.iter().for_each(|s| second[s.second as usize] = true);
    let member = |i: u32| Some((keys(i).1?, i));
    keyed.clear();
    keyed.extend((0..count).filter(|i| !second[*i as usize]).filter_map(member));
    found.extend(alike_in_groups(&keyed, &row, "same member id"));
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
    fn keys_laid_out_by_their_top_bits_are_all_there_each_in_its_part() {
        let keyed: Vec<(u64, u32)> = (0..10_000u32).map(|i| (key_hash([&i.to_le_bytes()[..]]), i)).collect();
        let (laid_out, starts) = by_top_bits(&keyed);
        assert_eq!(starts.len(), 32 + 1, "10,000 keys in 32 parts of about {PART}");
        assert_eq!((starts[0], starts[32]), (0, 10_000));
        for part in 0..32 {
            let within = &laid_out[starts[part]..starts[part + 1]];
            assert!(within.iter().all(|(key, _)| (key >> 59) as usize == part), "part {part}");
            assert!(within.windows(2).all(|w| w[0].1 < w[1].1), "rows keep their order within part {part}");
        }
        let mut all = laid_out.clone();
        all.sort_unstable_by_key(|(_, row)| *row);
        assert_eq!(all, keyed);
        let (few, starts) = by_top_bits(&keyed[..3]);
        assert_eq!((few, starts), (keyed[..3].to_vec(), vec![0, 3]), "a few keys are one part");
    }

    #[test]
    fn second_records_spread_over_many_parts_are_found_in_row_order() {
        // 2,000 patients, then every tenth of them keyed again: 200 second records across the parts.
        let names: Vec<String> = (0..2_000).map(|i| format!("Family{i}")).collect();
        let ids: Vec<String> = (0..2_200).map(|i| format!("P{i}")).collect();
        let rows: Vec<[&[u8]; COLUMNS]> = (0..2_200)
            .map(|i| {
                let mut fields = row(ANA);
                fields[0] = ids[i].as_bytes();
                fields[2] = names[if i < 2_000 { i } else { (i - 2_000) * 10 }].as_bytes();
                fields[13] = b"";
                fields
            })
            .collect();
        let found = second_records(2_200, |i| rows[i as usize], |i| keys_of(&rows[i as usize]));
        let pairs: Vec<(u32, u32)> = found.iter().map(|s| (s.first, s.second)).collect();
        let expected: Vec<(u32, u32)> = (0..200).map(|k| (k * 10, 2_000 + k)).collect();
        assert_eq!(pairs, expected);
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
