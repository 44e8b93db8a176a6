//! Place of service: the two-digit CMS code that decides facility or non-facility pricing.

use super::{Carc, RuleBreak, RuleId, ScrubInput};

/// The place-of-service codes CMS lists as assigned, from the "Place of Service Code Set" page
/// (https://www.cms.gov/medicare/coding-billing/place-of-service-codes/code-sets). Unassigned ranges (28–30, 35–40, 43–48,
/// 59, 63–64, 67–70, 73–80, 82–98) are left out. Recent additions: 10 (telehealth in the patient's home, 2022),
/// 27 (outreach site/street, 2023), 66 (PACE center, 2025). Update this list when CMS adds a code.
pub const PLACES_OF_SERVICE: [&str; 52] = [
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
    "20", "21", "22", "23", "24", "25", "26", "27", "31", "32", "33", "34", "41", "42", "49", "50", "51", "52", "53",
    "54", "55", "56", "57", "58", "60", "61", "62", "65", "66", "71", "72", "81", "99",
];

pub fn is_valid_place_of_service(code: &str) -> bool {
    PLACES_OF_SERVICE.contains(&code)
}

pub(super) fn check(input: &ScrubInput<'_>, out: &mut Vec<RuleBreak>) {
    for (index, line) in input.claim.lines.iter().enumerate() {
        if !is_valid_place_of_service(&line.place_of_service) {
            out.push(RuleBreak::error(
                RuleId::POS_INVALID,
                Carc::CO_16,
                Some(index + 1),
                line.charge,
                format!(
                    "place of service `{}` is not a CMS place-of-service code; expected two digits such as 11 (office)",
                    line.place_of_service
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{claim, context, line};
    use crate::rules::scrub;

    #[test]
    fn known_codes() {
        for good in ["11", "02", "10", "22", "99"] {
            assert!(is_valid_place_of_service(good), "{good}");
        }
        for bad in ["", "00", "1", "011", "30", "98"] {
            assert!(!is_valid_place_of_service(bad), "{bad}");
        }
    }

    #[test]
    fn unknown_pos_is_co16_on_its_line() {
        let mut bad = line("99213", &[], 100.0);
        bad.place_of_service = "30".into();
        let found: Vec<_> =
            scrub(&claim(vec![bad]), context()).into_iter().filter(|b| b.rule == RuleId::POS_INVALID).collect();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].carc, found[0].line, found[0].charge_at_risk), (Carc::CO_16, Some(1), 100.0));
        let good = claim(vec![line("99213", &[], 100.0)]);
        assert!(scrub(&good, context()).iter().all(|b| b.rule != RuleId::POS_INVALID));
    }
}
