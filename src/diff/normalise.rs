//! Normalisers: what two values are once differences of form (case, spacing, punctuation, USPS abbreviations, phone layout) are set aside.

/// Upper case, single spaces, no leading or trailing space.
pub fn text(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// The ten digits of a NANP phone number, however it was punctuated.
pub fn phone(value: &str) -> String {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix('1') {
        Some(rest) if digits.len() == 11 => rest.to_string(),
        _ => digits,
    }
}

/// USPS Publication 28 suffix and unit abbreviations, the ones front desks type either way.
const USPS: [(&str, &str); 24] = [
    ("AVENUE", "AVE"),
    ("STREET", "ST"),
    ("ROAD", "RD"),
    ("DRIVE", "DR"),
    ("BOULEVARD", "BLVD"),
    ("LANE", "LN"),
    ("COURT", "CT"),
    ("PLACE", "PL"),
    ("TERRACE", "TER"),
    ("PARKWAY", "PKWY"),
    ("HIGHWAY", "HWY"),
    ("CIRCLE", "CIR"),
    ("APARTMENT", "APT"),
    ("SUITE", "STE"),
    ("BUILDING", "BLDG"),
    ("FLOOR", "FL"),
    ("NORTH", "N"),
    ("SOUTH", "S"),
    ("EAST", "E"),
    ("WEST", "W"),
    ("NORTHEAST", "NE"),
    ("NORTHWEST", "NW"),
    ("SOUTHEAST", "SE"),
    ("SOUTHWEST", "SW"),
];

/// An address line in USPS form: upper case, no punctuation, standard abbreviations.
pub fn address_line(value: &str) -> String {
    // Upper case first: some letters upper-case to a letter and a combining mark (`ᾶ` to `Α͂`), and the mark must
    // go now, or normalising the result again would drop it then and the two would differ.
    let cleaned: String =
        value.to_uppercase().chars().map(|c| if c.is_alphanumeric() || c.is_whitespace() { c } else { ' ' }).collect();
    text(&cleaned)
        .split(' ')
        .map(|word| USPS.iter().find(|(long, _)| *long == word).map(|(_, short)| *short).unwrap_or(word))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_layouts_agree() {
        assert_eq!(phone("(813) 555-0142"), "8135550142");
        assert_eq!(phone("+1 813.555.0142"), "8135550142");
        assert_eq!(phone("555-0142"), "5550142");
    }

    #[test]
    fn address_abbreviations_agree() {
        assert_eq!(address_line("1200 Bayview Avenue, Apartment 4B"), address_line("1200 BAYVIEW AVE APT 4B"));
        assert_ne!(address_line("1200 Bayview Ave"), address_line("1210 Bayview Ave"));
    }

    /// Found by the property below: `ᾶ` upper-cases to `Α` and a combining mark.
    #[test]
    fn an_address_that_upper_cases_to_a_combining_mark_normalises_once_and_for_all() {
        assert_eq!(address_line("ᾶ"), "Α");
        assert_eq!(address_line(&address_line("Odós ᾶ 3")), address_line("Odós ᾶ 3"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Normalising twice must change nothing, or two systems' values would compare differently depending on
        /// how often each had been normalised.
        #[test]
        fn normalisers_are_idempotent_on_any_text(s in "\\PC{0,40}|[ 0-9A-Za-z.,#()+-]{0,40}") {
            proptest::prop_assert_eq!(text(&text(&s)), text(&s));
            proptest::prop_assert_eq!(address_line(&address_line(&s)), address_line(&s));
            proptest::prop_assert_eq!(phone(&phone(&s)), phone(&s));
        }
    }

    #[test]
    fn normalisers_are_idempotent() {
        for s in ["  Ana   María ", "1200 Bayview Avenue Apt. 4B", "(813) 555-0142"] {
            assert_eq!(text(&text(s)), text(s));
            assert_eq!(address_line(&address_line(s)), address_line(s));
            assert_eq!(phone(&phone(s)), phone(s));
        }
    }
}
