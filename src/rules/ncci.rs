//! NCCI procedure-to-procedure edits: a column-2 code billed with its column-1 code on the same day is denied unless the
//! edit allows a modifier and one is there.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::{ClaimLine, Date};

use super::scrub::{LineRef, SameDay};
use super::{Carc, ProcedureCode, RuleBreak, RuleId, ScrubInput};

/// The modifiers that may bypass an edit whose modifier indicator is 1 (NCCI Policy Manual, chapter I, section E).
pub const NCCI_ASSOCIATED_MODIFIERS: [&str; 44] = [
    "24", "25", "57", "58", "78", "79", "27", "59", "91", "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5",
    "F6", "F7", "F8", "F9", "LC", "LD", "LM", "LT", "RC", "RI", "RT", "TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7",
    "T8", "T9", "XE", "XP", "XS", "XU",
];

/// The PTP "Modifier" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PtpIndicator {
    /// 0: no modifier bypasses the edit.
    NotAllowed,
    /// 1: an NCCI-associated modifier bypasses it.
    Allowed,
    /// 9: the edit was deleted back to its effective date and never applies.
    NotApplicable,
}

impl PtpIndicator {
    pub fn digit(self) -> u8 {
        match self {
            PtpIndicator::NotAllowed => 0,
            PtpIndicator::Allowed => 1,
            PtpIndicator::NotApplicable => 9,
        }
    }

    pub fn from_digit(digit: u8) -> Option<PtpIndicator> {
        match digit {
            0 => Some(PtpIndicator::NotAllowed),
            1 => Some(PtpIndicator::Allowed),
            9 => Some(PtpIndicator::NotApplicable),
            _ => None,
        }
    }
}

/// One row of the PTP table without its codes (they are the key) or its rationale (no check needs it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtpEdit {
    /// `YYYYMMDD`, so dates compare as integers.
    pub effective: u32,
    /// `YYYYMMDD`; `None` while the edit is in force.
    pub deletion: Option<u32>,
    pub indicator: PtpIndicator,
}

impl PtpEdit {
    /// Whether the edit applies on `day` (`YYYYMMDD`). The deletion date is taken as the first day the edit no longer
    /// applies: CMS writes retroactive deletions with the deletion date equal to the effective date, which must apply never.
    pub fn applies_on(&self, day: u32) -> bool {
        self.effective <= day && self.deletion.is_none_or(|deleted| day < deleted)
    }
}

/// A code pair packed into one integer, hashed with a multiply: 2 million pairs take ~50 MB and a look-up no SipHash rounds.
pub(crate) type PackedMap<V> = HashMap<u64, V, BuildHasherDefault<PackedHasher>>;

/// Hashes one already well-spread `u64` key (a packed code or code pair); the rotate moves the product's mixed high
/// bits to where the table picks buckets.
#[derive(Default)]
pub(crate) struct PackedHasher(u64);

impl Hasher for PackedHasher {
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

/// Five characters of `[0-9A-Z]` in base 36 fit in 26 bits, so two codes fit in one `u64`.
pub(crate) fn pack(code: ProcedureCode) -> u64 {
    code.as_str()
        .bytes()
        .fold(0u64, |acc, b| acc * 36 + u64::from(if b.is_ascii_digit() { b - b'0' } else { b - b'A' + 10 }))
}

fn pack_pair(column1: ProcedureCode, column2: ProcedureCode) -> u64 {
    (pack(column1) << 32) | pack(column2)
}

/// The practitioner PTP edits, keyed by (column 1, column 2).
#[derive(Debug, Clone, Default)]
pub struct PtpTable {
    /// The first row read for a pair; nearly every pair has one row.
    first: PackedMap<PtpEdit>,
    /// Further rows for a pair (an edit deleted and later added again), kept apart so the common case stays one entry.
    more: PackedMap<Vec<PtpEdit>>,
    len: usize,
}

impl PtpTable {
    pub fn new() -> PtpTable {
        PtpTable::default()
    }

    pub fn with_capacity(rows: usize) -> PtpTable {
        PtpTable { first: PackedMap::with_capacity_and_hasher(rows, Default::default()), ..PtpTable::default() }
    }

    pub fn insert(&mut self, column1: ProcedureCode, column2: ProcedureCode, edit: PtpEdit) {
        let key = pack_pair(column1, column2);
        self.len += 1;
        if let Some(first) = self.first.get(&key) {
            if *first == edit {
                self.len -= 1;
                return;
            }
            let more = self.more.entry(key).or_default();
            if more.contains(&edit) {
                self.len -= 1;
                return;
            }
            more.push(edit);
        } else {
            self.first.insert(key, edit);
        }
    }

    /// Distinct rows held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every row for the pair, in the order read.
    pub fn edits(&self, column1: ProcedureCode, column2: ProcedureCode) -> impl Iterator<Item = &PtpEdit> {
        let key = pack_pair(column1, column2);
        self.first.get(&key).into_iter().chain(self.more.get(&key).into_iter().flatten())
    }

    /// The edit in force for the pair on `date`, if any; indicator 9 rows never are.
    pub fn edit_on(&self, column1: ProcedureCode, column2: ProcedureCode, date: Date) -> Option<PtpEdit> {
        let day = day_number(date);
        self.edits(column1, column2).find(|e| e.indicator != PtpIndicator::NotApplicable && e.applies_on(day)).copied()
    }

    /// Every row as (column 1, column 2, edit), for writing the store.
    pub fn rows(&self) -> impl Iterator<Item = (ProcedureCode, ProcedureCode, PtpEdit)> + '_ {
        let unpack_pair = |key: u64| (unpack(key >> 32), unpack(key & 0xffff_ffff));
        let firsts = self.first.iter().map(move |(k, e)| (unpack_pair(*k), *e));
        let mores = self.more.iter().flat_map(move |(k, es)| es.iter().map(move |e| (unpack_pair(*k), *e)));
        firsts.chain(mores).map(|((c1, c2), e)| (c1, c2, e))
    }
}

pub(crate) fn unpack(mut packed: u64) -> ProcedureCode {
    let mut bytes = [b'0'; 5];
    for slot in bytes.iter_mut().rev() {
        let digit = (packed % 36) as u8;
        *slot = if digit < 10 { b'0' + digit } else { b'A' + digit - 10 };
        packed /= 36;
    }
    // Every packed value came from a valid code, whose characters `parse` accepts.
    ProcedureCode::parse(std::str::from_utf8(&bytes).unwrap_or_default()).unwrap_or(ProcedureCode::ZERO)
}

pub(crate) fn day_number(date: Date) -> u32 {
    let d = date.0;
    u32::try_from(i32::from(d.year()) * 10_000 + i32::from(d.month()) * 100 + i32::from(d.day())).unwrap_or(0)
}

fn has_associated_modifier(line: &ClaimLine) -> bool {
    line.modifiers.iter().any(|m| NCCI_ASSOCIATED_MODIFIERS.contains(&m.as_str()))
}

/// The modifiers that make an E/M separately reportable beside a procedure (NCCI Policy Manual, chapter XI):
/// an anatomic or distinct-service modifier on either line does not.
const EM_BYPASS_MODIFIERS: [&str; 3] = ["24", "25", "57"];

/// Whether a modifier on the pair lets an indicator-1 edit through: for a pair with an E/M, only an E/M
/// modifier on the E/M line; otherwise any NCCI-associated modifier on either line.
fn bypassed(line1: &ClaimLine, line2: &ClaimLine) -> bool {
    let em_line = [line1, line2].into_iter().find(|l| super::is_em_code(&l.code));
    match em_line {
        Some(em) => em.modifiers.iter().any(|m| EM_BYPASS_MODIFIERS.contains(&m.as_str())),
        None => has_associated_modifier(line1) || has_associated_modifier(line2),
    }
}

pub(super) fn check(inputs: &[ScrubInput<'_>], days: &SameDay<'_>, table: &PtpTable, out: &mut [Vec<RuleBreak>]) {
    let line_at = |(c, l): LineRef| &inputs[c].claim.lines[l];
    for ((_, date), refs) in days {
        if refs.len() < 2 {
            continue;
        }
        // A column-2 line is denied once, however many column-1 codes it bundles into.
        let mut denied: Vec<LineRef> = Vec::new();
        for &column2 in refs {
            let line2 = line_at(column2);
            let Some(code2) = ProcedureCode::parse(&line2.code) else { continue };
            for &column1 in refs {
                let line1 = line_at(column1);
                // NCCI applies per rendering provider: two doctors may each bill their part of the same day.
                if column1 == column2 || line1.rendering_npi != line2.rendering_npi || denied.contains(&column2) {
                    continue;
                }
                let Some(code1) = ProcedureCode::parse(&line1.code) else { continue };
                let Some(edit) = table.edit_on(code1, code2, *date) else { continue };
                if edit.indicator == PtpIndicator::Allowed && bypassed(line1, line2) {
                    continue;
                }
                denied.push(column2);
                let same_claim = column1.0 == column2.0;
                let hint = match edit.indicator {
                    PtpIndicator::Allowed if super::is_em_code(&line1.code) || super::is_em_code(&line2.code) => {
                        "; if the E/M was significant and separately identifiable, append modifier 25 to it"
                    }
                    PtpIndicator::Allowed => {
                        "; if the services were distinct, append an NCCI-associated modifier (59, XS, ...)"
                    }
                    _ => "; no modifier bypasses this edit (modifier indicator 0)",
                };
                out[column2.0].push(RuleBreak::error(
                    RuleId::NCCI_PTP,
                    Carc::CO_97,
                    Some(column2.1 + 1),
                    line2.charge,
                    format!(
                        "`{code2}` is bundled into `{code1}` ({}line {}) on {date} by NCCI PTP{hint}",
                        if same_claim { "" } else { "another claim's " },
                        column1.1 + 1
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anatomic_modifier_on_the_procedure_does_not_unbundle_an_em() {
        let line = |code: &str, modifiers: &[&str]| ClaimLine {
            code: code.into(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            units: 1.0,
            dx_pointers: vec![1],
            place_of_service: "11".into(),
            date_of_service: "2026-06-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
            charge: 100.0,
        };
        assert!(!bypassed(&line("20610", &["RT"]), &line("99204", &[])));
        assert!(bypassed(&line("20610", &["RT"]), &line("99204", &["25"])));
        assert!(bypassed(&line("11055", &["59"]), &line("10060", &[])));
    }
    use crate::rules::fixtures::{claim, context_with_tables, line};
    use crate::rules::{scrub, scrub_batch};

    fn code(c: &str) -> ProcedureCode {
        ProcedureCode::parse(c).unwrap()
    }

    fn ptp(breaks: Vec<RuleBreak>) -> Vec<RuleBreak> {
        breaks.into_iter().filter(|b| b.rule == RuleId::NCCI_PTP).collect()
    }

    #[test]
    fn packing_round_trips() {
        for c in ["00100", "99499", "G0439", "0001A", "ZZZZZ", "3074F"] {
            assert_eq!(unpack(pack(code(c))), code(c));
        }
        assert!(pack(code("ZZZZZ")) < 1 << 32);
    }

    #[test]
    fn dates_bound_an_edit() {
        let edit = PtpEdit { effective: 20200101, deletion: Some(20250101), indicator: PtpIndicator::NotAllowed };
        assert!(!edit.applies_on(20191231));
        assert!(edit.applies_on(20200101));
        assert!(edit.applies_on(20241231));
        assert!(!edit.applies_on(20250101));
        let retro = PtpEdit { deletion: Some(20200101), ..edit };
        assert!(!retro.applies_on(20200101));
    }

    #[test]
    fn column2_with_column1_is_co97_on_the_column2_line() {
        // The fixture lists 20611 (column 1) / 20610 (column 2) with indicator 1.
        let c = claim(vec![line("20611", &[], 150.0), line("20610", &[], 90.0)]);
        let found = ptp(scrub(&c, context_with_tables()));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].carc, found[0].line, found[0].charge_at_risk), (Carc::CO_97, Some(2), 90.0));
    }

    #[test]
    fn an_associated_modifier_bypasses_indicator_1_only() {
        let c = claim(vec![line("20611", &[], 150.0), line("20610", &["XS"], 90.0)]);
        assert!(ptp(scrub(&c, context_with_tables())).is_empty());
        let c = claim(vec![line("20611", &["RT"], 150.0), line("20610", &[], 90.0)]);
        assert!(ptp(scrub(&c, context_with_tables())).is_empty(), "a modifier on either line bypasses");
        let c = claim(vec![line("20611", &[], 150.0), line("20610", &["76"], 90.0)]);
        assert_eq!(ptp(scrub(&c, context_with_tables())).len(), 1, "76 is not NCCI-associated");
        // 36415 is column 2 of 36591 with indicator 0.
        let c = claim(vec![line("36591", &[], 40.0), line("36415", &["59"], 10.0)]);
        let found = ptp(scrub(&c, context_with_tables()));
        assert_eq!((found.len(), found[0].line, found[0].charge_at_risk), (1, Some(2), 10.0));
    }

    #[test]
    fn indicator_9_deleted_and_not_yet_effective_edits_do_not_apply() {
        // 97140 / 97530 carries indicator 9.
        let c = claim(vec![line("97530", &[], 60.0), line("97140", &[], 50.0)]);
        assert!(ptp(scrub(&c, context_with_tables())).is_empty());
        // 11042 / 97597 was deleted on 2026-01-01 in the fixture.
        let c = claim(vec![line("11042", &[], 120.0), line("97597", &[], 80.0)]);
        assert!(ptp(scrub(&c, context_with_tables())).is_empty());
        let mut before = c.clone();
        for l in &mut before.lines {
            l.date_of_service = "2025-12-31".parse().unwrap();
        }
        assert_eq!(ptp(scrub(&before, context_with_tables())).len(), 1);
        // 99213 / G2211 is effective from 2026-04-01 in the fixture.
        let c = claim(vec![line("99213", &[], 100.0), line("G2211", &[], 16.0)]);
        assert!(ptp(scrub(&c, context_with_tables())).is_empty());
    }

    #[test]
    fn different_provider_or_day_is_not_bundled() {
        let mut other = line("20610", &[], 90.0);
        other.rendering_npi = "1245319599".into();
        assert!(ptp(scrub(&claim(vec![line("20611", &[], 150.0), other]), context_with_tables())).is_empty());
        let mut later = line("20610", &[], 90.0);
        later.date_of_service = "2026-03-11".parse().unwrap();
        assert!(ptp(scrub(&claim(vec![line("20611", &[], 150.0), later]), context_with_tables())).is_empty());
    }

    #[test]
    fn the_batch_bundles_across_claims_of_the_same_patient() {
        let first = claim(vec![line("20611", &[], 150.0)]);
        let second = claim(vec![line("20610", &[], 90.0)]);
        let results = scrub_batch(&[(&first).into(), (&second).into()], context_with_tables());
        assert!(ptp(results[0].clone()).is_empty());
        let found = ptp(results[1].clone());
        assert_eq!((found.len(), found[0].line, found[0].charge_at_risk), (1, Some(1), 90.0));
        let mut someone_else = second.clone();
        someone_else.member_id = "9ZZ9ZZ9ZZ99".into();
        let results = scrub_batch(&[(&first).into(), (&someone_else).into()], context_with_tables());
        assert!(results.iter().all(|r| ptp(r.clone()).is_empty()));
    }
}
