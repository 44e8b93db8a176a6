//! NPI check digit: a mistyped NPI is rejected before the payer looks at the service.

use super::{Carc, RuleBreak, RuleId, ScrubInput};

/// Ten digits whose last is the Luhn check digit of the first nine behind the `80840` prefix (45 CFR 162.406), as NPPES assigns them.
pub fn is_valid_npi(npi: &str) -> bool {
    let bytes = npi.as_bytes();
    if bytes.len() != 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // The prefix 80840 always contributes 24 to the Luhn sum: 8 + (0) + 8 + (4 doubled = 8) + 0.
    let mut sum = 24u32;
    for (from_right, byte) in bytes[..9].iter().rev().enumerate() {
        let digit = u32::from(byte - b'0');
        sum += if from_right % 2 == 0 {
            let doubled = digit * 2;
            doubled / 10 + doubled % 10
        } else {
            digit
        };
    }
    let check = (10 - sum % 10) % 10;
    u32::from(bytes[9] - b'0') == check
}

pub(super) fn check(input: &ScrubInput<'_>, out: &mut Vec<RuleBreak>) {
    for (index, line) in input.claim.lines.iter().enumerate() {
        if !is_valid_npi(&line.rendering_npi) {
            out.push(RuleBreak::error(
                RuleId::NPI_INVALID,
                Carc::CO_16,
                Some(index + 1),
                line.charge,
                format!(
                    "rendering NPI `{}` is not a valid NPI; expected 10 digits ending in the Luhn check digit (1234567893)",
                    line.rendering_npi
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
    fn luhn_with_the_80840_prefix() {
        assert!(is_valid_npi("1234567893"));
        assert!(!is_valid_npi("1234567890"));
        assert!(!is_valid_npi("123456789"));
        assert!(!is_valid_npi("12345678a3"));
        assert!(!is_valid_npi("١٢٣٤٥٦٧٨٩٣"));
    }

    #[test]
    fn invalid_rendering_npi_is_co16_on_its_line() {
        let mut bad = line("20610", &[], 90.0);
        bad.rendering_npi = "1234567890".into();
        let c = claim(vec![line("99213", &[], 100.0), bad]);
        let found: Vec<_> = scrub(&c, context()).into_iter().filter(|b| b.rule == RuleId::NPI_INVALID).collect();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].carc, found[0].line, found[0].charge_at_risk), (Carc::CO_16, Some(2), 90.0));
        let good = claim(vec![line("99213", &[], 100.0)]);
        assert!(scrub(&good, context()).iter().all(|b| b.rule != RuleId::NPI_INVALID));
    }
}
