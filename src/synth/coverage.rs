//! Insurance for synthetic patients: which kind of plan, the payer, a member id in that payer's format, and a second payer where one is usual.

use super::draw::Draw;
use super::mbi::generate_mbi;
use crate::model::{Coverage, Relationship};

/// The kind of plan primary coverage comes from; ages and visits depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Original Medicare, billed with the MBI.
    Medicare,
    /// A Medicare Advantage plan: a private payer with its own member ids, for people on Medicare.
    MedicareAdvantage,
    Medicaid,
    Commercial,
}

impl Plan {
    /// Whether the patient is a Medicare beneficiary, through either kind of plan (AWV codes, waived-test modifiers).
    pub(crate) fn is_medicare(self) -> bool {
        matches!(self, Plan::Medicare | Plan::MedicareAdvantage)
    }
}

/// Roughly a primary-care payer mix.
pub(crate) fn plan(draw: &mut Draw) -> Plan {
    *draw.weighted(&[(30, Plan::Medicare), (8, Plan::MedicareAdvantage), (10, Plan::Medicaid), (52, Plan::Commercial)])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Commercial {
    Aetna,
    Bcbs,
    Cigna,
    United,
}

const COMMERCIAL: &[(u64, Commercial)] =
    &[(30, Commercial::Bcbs), (25, Commercial::United), (25, Commercial::Aetna), (20, Commercial::Cigna)];

const DIGITS: &[u8] = b"0123456789";
const NONZERO: &[u8] = b"123456789";
/// Letters without I and O, as prefixes on cards avoid them next to digits.
const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Primary coverage, and secondary where the patient has one. `state` names the Blues plan and the Medicaid program.
pub(crate) fn coverages(draw: &mut Draw, plan: Plan, age: u8, state: &str) -> (Coverage, Option<Coverage>) {
    let state = state.to_ascii_lowercase();
    match plan {
        Plan::Medicare => {
            let primary = coverage("medicare", generate_mbi(draw), Relationship::Self_);
            // Most people on Original Medicare carry a supplement (Medigap) or are dual-eligible for Medicaid.
            let secondary = match draw.below(100) {
                0..45 => Some(medigap(draw, &state)),
                45..55 => Some(coverage(&format!("medicaid-{state}"), digits(draw, 10), Relationship::Self_)),
                _ => None,
            };
            (primary, secondary)
        }
        Plan::MedicareAdvantage => {
            let id = format!("H{}", draw.chars(DIGITS, 8));
            (coverage("humana", id, Relationship::Self_), None)
        }
        Plan::Medicaid => (coverage(&format!("medicaid-{state}"), digits(draw, 10), Relationship::Self_), None),
        Plan::Commercial => {
            let relationship = commercial_relationship(draw, age);
            let payer = *draw.weighted(COMMERCIAL);
            let primary = commercial(draw, payer, relationship, &state);
            // Coordination of benefits: a child on both parents' plans, an adult also on a spouse's.
            let secondary_percent = if relationship == Relationship::Child { 12 } else { 6 };
            let secondary = draw.percent(secondary_percent).then(|| {
                let mut other = *draw.weighted(COMMERCIAL);
                while other == payer {
                    other = *draw.weighted(COMMERCIAL);
                }
                let as_whom =
                    if relationship == Relationship::Child { Relationship::Child } else { Relationship::Spouse };
                commercial(draw, other, as_whom, &state)
            });
            (primary, secondary)
        }
    }
}

fn commercial_relationship(draw: &mut Draw, age: u8) -> Relationship {
    match age {
        0..18 => Relationship::Child,
        // Dependants may stay on a parent's plan until 26.
        18..26 if draw.percent(50) => Relationship::Child,
        _ if draw.percent(15) => Relationship::Spouse,
        _ => Relationship::Self_,
    }
}

fn commercial(draw: &mut Draw, payer: Commercial, relationship: Relationship, state: &str) -> Coverage {
    match payer {
        Commercial::Aetna => coverage("aetna", format!("W{}", draw.chars(DIGITS, 9)), relationship),
        Commercial::Bcbs => bcbs(draw, state, relationship),
        Commercial::Cigna => {
            // The two-digit suffix numbers the people on one policy.
            let person = match relationship {
                Relationship::Self_ => 1,
                Relationship::Spouse => 2,
                _ => draw.between(3, 6),
            };
            coverage("cigna", format!("U{}{person:02}", draw.chars(DIGITS, 8)), relationship)
        }
        Commercial::United => coverage("united", digits(draw, 9), relationship),
    }
}

/// Blue Cross Blue Shield plans are state plans; ids carry a three-letter alpha prefix.
fn bcbs(draw: &mut Draw, state: &str, relationship: Relationship) -> Coverage {
    let id = format!("{}{}", draw.chars(LETTERS, 3), draw.chars(DIGITS, 9));
    coverage(&format!("bcbs-{state}"), id, relationship)
}

fn medigap(draw: &mut Draw, state: &str) -> Coverage {
    match draw.below(4) {
        0 | 1 => coverage("aarp-medigap", digits(draw, 11), Relationship::Self_),
        2 => coverage("mutual-of-omaha", digits(draw, 9), Relationship::Self_),
        _ => bcbs(draw, state, Relationship::Self_),
    }
}

/// A number that does not start with 0, as those ids never do.
fn digits(draw: &mut Draw, len: usize) -> String {
    format!("{}{}", draw.chars(NONZERO, 1), draw.chars(DIGITS, len - 1))
}

fn coverage(payer: &str, member_id: String, relationship: Relationship) -> Coverage {
    Coverage { payer: payer.to_string(), member_id, relationship }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::mbi::is_valid_mbi;

    #[test]
    fn member_ids_follow_each_payers_format() {
        for i in 0..2_000 {
            let mut draw = Draw::new(13, i, b"coverage");
            let plan = plan(&mut draw);
            let age = draw.between(1, 90) as u8;
            let (primary, secondary) = coverages(&mut draw, plan, age, "FL");
            for coverage in std::iter::once(&primary).chain(secondary.as_ref()) {
                let id = coverage.member_id.as_str();
                let ok = match coverage.payer.as_str() {
                    "medicare" => is_valid_mbi(id),
                    "humana" => id.len() == 9 && id.starts_with('H'),
                    "aetna" => id.len() == 10 && id.starts_with('W'),
                    "cigna" => id.len() == 11 && id.starts_with('U'),
                    "united" | "mutual-of-omaha" => id.len() == 9,
                    "aarp-medigap" => id.len() == 11,
                    "medicaid-fl" => id.len() == 10,
                    "bcbs-fl" => id.len() == 12 && id[..3].bytes().all(|b| b.is_ascii_uppercase()),
                    other => panic!("unexpected payer {other}"),
                };
                assert!(ok, "{coverage:?}");
            }
            if let Some(secondary) = &secondary {
                assert_ne!(secondary.payer, primary.payer);
            }
            if plan == Plan::Commercial && age < 18 {
                assert_eq!(primary.relationship, Relationship::Child);
            }
        }
    }
}
