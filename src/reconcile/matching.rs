//! Telling which PM row is the same patient as an EMR row when no cross-referenced id says so: a deterministic key
//! (normalised family and given name, birth date, sex), then a fuzzy score over name, birth date, sex, phone,
//! address and member id, whose confidence says what agreed and how much it weighed.

use super::columns::{COLUMNS, Column};
use super::index::key_hash;
use crate::diff::{address_line, phone, text};

/// Below this, two rows are not taken for one patient.
pub const FUZZY_THRESHOLD: f64 = 0.80;

/// Appends `value` upper-cased with runs of spaces as one and none at either end: [`text`], without allocating
/// for the ASCII values that are nearly all of them.
fn fold_into(out: &mut Vec<u8>, value: &[u8]) {
    if !value.is_ascii() {
        out.extend_from_slice(text(&String::from_utf8_lossy(value)).as_bytes());
        return;
    }
    let mut space = false;
    let start = out.len();
    for &b in value {
        if b.is_ascii_whitespace() {
            space = out.len() > start;
        } else {
            if space {
                out.push(b' ');
                space = false;
            }
            out.push(b.to_ascii_uppercase());
        }
    }
}

/// The deterministic key of a row: normalised family and given name, birth date and sex; `None` when the row lacks
/// a name or a birth date, which could not tell two patients apart.
pub fn deterministic_key(fields: &[&[u8]; COLUMNS]) -> Option<u64> {
    let (family, given) = (fields[Column::Family.index()], fields[Column::Given.index()]);
    let birth = fields[Column::BirthDate.index()];
    if family.is_empty() || given.is_empty() || birth.is_empty() {
        return None;
    }
    let mut folded = Vec::with_capacity(family.len() + given.len() + 1);
    fold_into(&mut folded, family);
    let cut = folded.len();
    fold_into(&mut folded, given);
    Some(key_hash([&folded[..cut], &folded[cut..], birth, fields[Column::Sex.index()]]))
}

/// The keys a row is looked up by when looking for fuzzy candidates, into `keys`: a match must share at least one
/// with the row: its member id, or its birth date (or that date with day and month swapped) together with the
/// initial of its family name or of its given name. Not the phone, which a household shares and which front desks
/// key in many ways. A birth date alone would put some three hundred patients of a ten-million-patient export in
/// each block, and the candidates to score would grow with the square of the export; with an initial, a block stays
/// small however large the export, while a cut, misspelt or changed family name still meets its match through the
/// given name's initial, and a changed one of both through the member id.
pub fn blocking_keys(fields: &[&[u8]; COLUMNS], keys: &mut Vec<u64>) {
    keys.clear();
    let member = fields[Column::MemberId.index()];
    match member_folded(member) {
        Some(Some((folded, len))) => keys.push(key_hash([&b"member"[..], &folded[..len]])),
        Some(None) => keys.push(key_hash([&b"member"[..], text(&String::from_utf8_lossy(member)).as_bytes()])),
        None => {}
    }
    let birth = fields[Column::BirthDate.index()];
    if let Some(swapped) = swapped(birth) {
        for (name, column) in [(&b"family"[..], Column::Family), (&b"given"[..], Column::Given)] {
            let mut buf = [0u8; 4];
            let Some(first) = initial(fields[column.index()], &mut buf) else { continue };
            keys.push(key_hash([&b"birth"[..], birth, name, first]));
            if swapped != birth {
                keys.push(key_hash([&b"birth"[..], &swapped, name, first]));
            }
        }
    }
}

/// A quick test, before working out a row's [`blocking_keys`], of whether the row could share one with any of a few
/// rows: a bit for each of their birth dates (as written and with day and month swapped) and member ids, by a cheap
/// hash. The fuzzy pass works out the keys of every PM row; with this, only of the few that might meet a row waiting
/// for a match.
pub struct BlockFilter {
    births: Vec<u64>,
    members: Vec<u64>,
}

/// Bits in each of the filter's sets: a few thousand waiting rows leave most of them clear.
const FILTER_BITS: usize = 1 << 16;

impl Default for BlockFilter {
    fn default() -> BlockFilter {
        BlockFilter { births: vec![0; FILTER_BITS / 64], members: vec![0; FILTER_BITS / 64] }
    }
}

impl BlockFilter {
    /// Sets the bits of a row waiting for a match.
    pub fn add(&mut self, fields: &[&[u8]; COLUMNS]) {
        let birth = fields[Column::BirthDate.index()];
        if let Some(swapped) = swapped(birth) {
            set(&mut self.births, birth);
            set(&mut self.births, &swapped);
        }
        match member_folded(fields[Column::MemberId.index()]) {
            Some(Some((folded, len))) => set(&mut self.members, &folded[..len]),
            // A member id the quick test does not fold: every row with one must be looked at.
            Some(None) => self.members.fill(u64::MAX),
            None => {}
        }
    }

    /// Whether a row with these [`FilterBits`] might share a blocking key with a row added: `false` only when it
    /// cannot.
    pub fn could_share(&self, bits: FilterBits) -> bool {
        let is_set = |set: &[u64], bit: u32| set[bit as usize / 64] & (1 << (bit % 64)) != 0;
        if bits.birth != FilterBits::NONE && is_set(&self.births, bits.birth) {
            return true;
        }
        match bits.member {
            FilterBits::NONE => false,
            FilterBits::ANY => true,
            member => is_set(&self.members, member),
        }
    }
}

/// The bits of a row that [`BlockFilter::could_share`] tests, worked out once for each PM row as it is indexed,
/// so the pass that tests them reads eight bytes a row instead of the row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilterBits {
    birth: u32,
    member: u32,
}

impl FilterBits {
    /// No such field to test.
    const NONE: u32 = u32::MAX;
    /// A member id the filter does not fold, which could share a key with any.
    const ANY: u32 = u32::MAX - 1;

    pub fn of(fields: &[&[u8]; COLUMNS]) -> FilterBits {
        let birth = fields[Column::BirthDate.index()];
        let birth = if birth.len() == 10 { bit(birth) as u32 } else { FilterBits::NONE };
        let member = match member_folded(fields[Column::MemberId.index()]) {
            Some(Some((folded, len))) => bit(&folded[..len]) as u32,
            Some(None) => FilterBits::ANY,
            None => FilterBits::NONE,
        };
        FilterBits { birth, member }
    }
}

/// A birth date written `YYYY-MM-DD` with day and month swapped, as a date keyed in the other order reads.
fn swapped(birth: &[u8]) -> Option<[u8; 10]> {
    let mut swapped: [u8; 10] = birth.try_into().ok()?;
    swapped[5..7].copy_from_slice(&birth[8..10]);
    swapped[8..10].copy_from_slice(&birth[5..7]);
    Some(swapped)
}

/// A member id upper-cased as [`blocking_keys`] folds it when it is short ASCII; `Some(None)` for one it folds
/// otherwise, `None` for none.
fn member_folded(member: &[u8]) -> Option<Option<([u8; 32], usize)>> {
    if member.is_empty() {
        return None;
    }
    if !member.is_ascii() || member.len() > 32 {
        return Some(None);
    }
    let mut folded = [0u8; 32];
    folded[..member.len()].copy_from_slice(member);
    folded[..member.len()].make_ascii_uppercase();
    Some(Some((folded, member.len())))
}

fn bit(value: &[u8]) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in value {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 40) as usize % FILTER_BITS
}

fn set(bits: &mut [u64], value: &[u8]) {
    let b = bit(value);
    bits[b / 64] |= 1 << (b % 64);
}

/// The first letter of a name as [`text`] folds it (upper-cased, spaces aside), without allocating for the ASCII
/// names that are nearly all of them.
fn initial<'a>(name: &[u8], buf: &'a mut [u8; 4]) -> Option<&'a [u8]> {
    let first = *name.iter().find(|b| !b.is_ascii_whitespace())?;
    if first.is_ascii() {
        buf[0] = first.to_ascii_uppercase();
        return Some(&buf[..1]);
    }
    let folded = text(&String::from_utf8_lossy(name));
    let first = folded.chars().next()?;
    Some(first.encode_utf8(buf).as_bytes())
}

/// How sure a fuzzy match is, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Confidence {
    /// 0 to 1: the weighted agreement of the fields below.
    pub score: f64,
    /// What agreed and what did not, for the person deciding whether to merge the records.
    pub explanation: String,
}

/// How much each field weighs: the name and birth date most; phone least, since a household shares one.
const NAME: f64 = 0.35;
const BIRTH: f64 = 0.25;
const SEX: f64 = 0.05;
const PHONE: f64 = 0.05;
const ADDRESS: f64 = 0.10;
const MEMBER: f64 = 0.20;

fn string(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

fn agreement(held: bool, weight: f64, same: bool, what: &str) -> (bool, f64, f64, String) {
    (held, weight, f64::from(u8::from(same)), format!("{what} {}", if same { "same" } else { "differs" }))
}

/// The confidence that two rows are one patient: the weighted agreement of the fields both hold.
pub fn confidence(emr: &[&[u8]; COLUMNS], pm: &[&[u8]; COLUMNS]) -> Confidence {
    let field = |fields: &[&[u8]; COLUMNS], c: Column| string(fields[c.index()]);
    let name = |fields: &[&[u8]; COLUMNS]| {
        text(&format!("{} {}", field(fields, Column::Family), field(fields, Column::Given)))
    };
    let name_similarity = strsim::jaro_winkler(&name(emr), &name(pm));
    let (emr_birth, pm_birth) = (field(emr, Column::BirthDate), field(pm, Column::BirthDate));
    let swapped = |d: &str| {
        if d.len() == 10 { format!("{}{}{}{}", &d[..5], &d[8..10], &d[7..8], &d[5..7]) } else { d.to_string() }
    };
    let (birth, birth_said) = if emr_birth == pm_birth {
        (1.0, "birth date same")
    } else if swapped(&emr_birth) == pm_birth {
        (0.7, "birth date with day and month swapped")
    } else if emr_birth.get(..4) == pm_birth.get(..4) {
        (0.3, "birth year same")
    } else {
        (0.0, "birth date differs")
    };
    let same = |c: Column, norm: fn(&str) -> String| {
        let (a, b) = (norm(&field(emr, c)), norm(&field(pm, c)));
        !a.is_empty() && a == b
    };
    let both = |c: Column| !emr[c.index()].is_empty() && !pm[c.index()].is_empty();
    // Each field both rows hold weighs in; one either lacks is left out of the sum and of the whole it is divided by.
    let parts = [
        (both(Column::Family), NAME, name_similarity, format!("name {name_similarity:.2} alike (Jaro-Winkler)")),
        (both(Column::BirthDate), BIRTH, birth, birth_said.to_string()),
        agreement(both(Column::Sex), SEX, same(Column::Sex, text), "sex"),
        agreement(both(Column::Phone), PHONE, same(Column::Phone, phone), "phone"),
        agreement(both(Column::AddressLine), ADDRESS, same(Column::AddressLine, address_line), "address"),
        agreement(both(Column::MemberId), MEMBER, same(Column::MemberId, text), "member id"),
    ];
    let held: Vec<_> = parts.iter().filter(|p| p.0).collect();
    let whole: f64 = held.iter().map(|p| p.1).sum();
    let score = if whole > 0.0 { held.iter().map(|p| p.1 * p.2).sum::<f64>() / whole } else { 0.0 };
    let mut said: Vec<String> = held.iter().map(|p| p.3.clone()).collect();
    let missing: Vec<&str> = parts
        .iter()
        .zip(["name", "birth date", "sex", "phone", "address", "member id"])
        .filter(|(p, _)| !p.0)
        .map(|(_, n)| n)
        .collect();
    if !missing.is_empty() {
        said.push(format!("not held by both: {}", missing.join(", ")));
    }
    let explanation = said.join(", ");
    Confidence { score: (score * 100.0).round() / 100.0, explanation }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::fixtures::ANA;

    fn row(values: [&'static str; COLUMNS]) -> [&'static [u8]; COLUMNS] {
        values.map(str::as_bytes)
    }

    #[test]
    fn the_block_filter_passes_every_row_that_shares_a_blocking_key_and_few_others() {
        let mut filter = BlockFilter::default();
        filter.add(&row(ANA));
        // The same birth date, the date with day and month swapped, the member id in another case.
        let mut other = ANA;
        other[13] = "";
        assert!(filter.could_share(FilterBits::of(&row(other))));
        other[5] = "1958-12-03";
        assert!(filter.could_share(FilterBits::of(&row(other))));
        other[5] = "1961-07-30";
        assert!(!filter.could_share(FilterBits::of(&row(other))));
        other[13] = "1eg4te5mk72";
        assert!(filter.could_share(FilterBits::of(&row(other))));
        other[13] = "9ZZ9ZZ9ZZ99";
        assert!(!filter.could_share(FilterBits::of(&row(other))));
        // A member id it does not fold quickly lets every row with a member id through.
        let mut long = ANA;
        long[13] = "MEMBER-ID-LONGER-THAN-THIRTY-TWO-BYTES";
        filter.add(&row(long));
        assert!(filter.could_share(FilterBits::of(&row(other))));
        other[13] = "";
        assert!(!filter.could_share(FilterBits::of(&row(other))));
    }

    #[test]
    fn the_deterministic_key_sets_case_and_spacing_aside_but_not_the_birth_date() {
        let mut emr = ANA;
        emr[2] = " LOPEZ-HERNANDEZ ";
        emr[0] = "E7";
        assert_eq!(deterministic_key(&row(emr)), deterministic_key(&row(ANA)));
        emr[5] = "1958-12-03";
        assert_ne!(deterministic_key(&row(emr)), deterministic_key(&row(ANA)));
        let mut nameless = ANA;
        nameless[2] = "";
        assert_eq!(deterministic_key(&row(nameless)), None);
    }

    #[test]
    fn a_cut_name_with_everything_else_the_same_is_a_confident_match_and_says_why() {
        let mut emr = ANA;
        emr[2] = "Lopez-Hern";
        let c = confidence(&row(emr), &row(ANA));
        assert!(c.score >= 0.95 && c.score < 1.0, "{c:?}");
        assert!(c.explanation.starts_with("name 0.9"), "{}", c.explanation);
        assert!(c.explanation.contains("birth date same, sex same, phone same, address same, member id same"));
    }

    #[test]
    fn a_swapped_birth_date_weighs_less_than_the_same_one_but_still_matches() {
        let mut emr = ANA;
        emr[5] = "1958-12-03";
        let c = confidence(&row(emr), &row(ANA));
        assert_eq!(c.score, 0.93);
        assert!(c.explanation.contains("birth date with day and month swapped"), "{}", c.explanation);
    }

    #[test]
    fn another_patient_with_the_same_phone_is_not_a_match() {
        let other = [
            "P2",
            "",
            "Nguyen",
            "Thomas",
            "",
            "1961-07-30",
            "male",
            "88 Oak St",
            "Tampa",
            "FL",
            "33606",
            "813-555-0142",
            "aetna",
            "W123456789",
        ];
        let c = confidence(&row(other), &row(ANA));
        assert!(c.score < FUZZY_THRESHOLD, "{c:?}");
        assert!(c.explanation.contains("phone same") && c.explanation.contains("member id differs"));
    }

    #[test]
    fn fields_one_export_lacks_are_left_out_of_the_confidence_and_said_so() {
        let mut emr = ANA;
        emr[7] = "";
        emr[13] = "";
        let c = confidence(&row(emr), &row(ANA));
        assert_eq!(c.score, 1.0);
        assert!(c.explanation.ends_with("phone same, not held by both: address, member id"), "{}", c.explanation);
    }

    #[test]
    fn blocking_keys_meet_across_member_id_case_swapped_birth_dates_and_one_changed_name() {
        let mut emr = ANA;
        emr[13] = "1eg4te5mk72";
        emr[5] = "1958-12-03";
        let (mut a, mut b) = (Vec::new(), Vec::new());
        blocking_keys(&row(emr), &mut a);
        blocking_keys(&row(ANA), &mut b);
        let shared = |a: &Vec<u64>, b: &Vec<u64>| a.iter().filter(|k| b.contains(k)).count();
        // The member id, and each birth date as the other's swap with each of the two initials.
        assert_eq!(shared(&a, &b), 5);
        // A married name meets through the given name's initial; a namesake born another day with another card
        // shares no block, so is never scored.
        let mut married = ANA;
        married[2] = "Wójcik";
        married[13] = "";
        blocking_keys(&row(married), &mut a);
        assert_eq!(shared(&a, &b), 2, "the birth date and its swap, each with the given name's initial");
        let mut namesake = ANA;
        namesake[5] = "1961-04-22";
        namesake[13] = "X999";
        blocking_keys(&row(namesake), &mut a);
        assert_eq!(shared(&a, &b), 0);
    }
}
