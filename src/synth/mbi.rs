//! The Medicare Beneficiary Identifier (MBI): CMS's 11-character format, to validate and to generate.

use super::draw::Draw;

/// Letters an MBI may use: A–Z without S, L, O, I, B and Z, which read like 5, 1, 0, 1, 8 and 2.
const LETTERS: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";
const DIGITS: &[u8] = b"0123456789";
const NONZERO: &[u8] = b"123456789";
const LETTERS_AND_DIGITS: &[u8] = b"0123456789ACDEFGHJKMNPQRTUVWXY";

/// What each of the 11 positions allows, in CMS's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MbiClass {
    /// 1–9.
    NonZeroDigit,
    /// 0–9.
    Digit,
    /// A letter other than S, L, O, I, B, Z.
    Letter,
    /// A digit or an allowed letter.
    LetterOrDigit,
}

const LAYOUT: [MbiClass; 11] = {
    use MbiClass::*;
    [NonZeroDigit, Letter, LetterOrDigit, Digit, Letter, LetterOrDigit, Digit, Letter, Letter, Digit, Digit]
};

impl MbiClass {
    fn alphabet(self) -> &'static [u8] {
        match self {
            MbiClass::NonZeroDigit => NONZERO,
            MbiClass::Digit => DIGITS,
            MbiClass::Letter => LETTERS,
            MbiClass::LetterOrDigit => LETTERS_AND_DIGITS,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            MbiClass::NonZeroDigit => "a digit 1-9",
            MbiClass::Digit => "a digit",
            MbiClass::Letter => "an upper-case letter other than S, L, O, I, B, Z",
            MbiClass::LetterOrDigit => "a digit or an upper-case letter other than S, L, O, I, B, Z",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MbiError {
    #[error("an MBI has 11 characters (no dashes or spaces), found {found}")]
    Length { found: usize },
    #[error("position {position} of an MBI must be {}, found `{found}`", expected.describe())]
    Character { position: usize, expected: MbiClass, found: char },
}

/// Checks `mbi` against CMS's format; it does not say whether CMS issued it.
pub fn validate_mbi(mbi: &str) -> Result<(), MbiError> {
    let count = mbi.chars().count();
    if count != LAYOUT.len() {
        return Err(MbiError::Length { found: count });
    }
    for (index, (found, expected)) in mbi.chars().zip(LAYOUT).enumerate() {
        let allowed = u8::try_from(found).is_ok_and(|byte| expected.alphabet().contains(&byte));
        if !allowed {
            return Err(MbiError::Character { position: index + 1, expected, found });
        }
    }
    Ok(())
}

pub fn is_valid_mbi(mbi: &str) -> bool {
    validate_mbi(mbi).is_ok()
}

/// A well-formed MBI, drawn uniformly over the format.
pub(crate) fn generate_mbi(draw: &mut Draw) -> String {
    LAYOUT.iter().map(|class| char::from(*draw.pick(class.alphabet()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_mbis() {
        for mbi in ["1EG4TE5MK72", "1EG4TE5MK73", "9AA0AA0AA00", "1A00A00AA00", "5Y99Y99YY99"] {
            assert_eq!(validate_mbi(mbi), Ok(()), "{mbi}");
        }
    }

    #[test]
    fn rejects_each_broken_position() {
        let cases = [
            ("0EG4TE5MK72", 1),  // position 1 may not be 0
            ("11G4TE5MK72", 2),  // position 2 is a letter
            ("1EGATE5MK72", 4),  // position 4 is a digit
            ("1EG45E5MK72", 5),  // position 5 is a letter
            ("1EG4TEAMK72", 7),  // position 7 is a digit
            ("1EG4TE55K72", 8),  // position 8 is a letter
            ("1EG4TE5M172", 9),  // position 9 is a letter
            ("1EG4TE5MKA2", 10), // position 10 is a digit
            ("1EG4TE5MK7A", 11), // position 11 is a digit
            ("1eg4te5mk72", 2),  // letters are upper case
            ("1EÉ4TE5MK72", 3),  // not ASCII
        ];
        for (mbi, position) in cases {
            match validate_mbi(mbi) {
                Err(MbiError::Character { position: found, .. }) => assert_eq!(found, position, "{mbi}"),
                other => panic!("{mbi}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_the_excluded_letters_wherever_letters_go() {
        for letter in ['S', 'L', 'O', 'I', 'B', 'Z'] {
            for position in [2, 3, 5, 6, 8, 9] {
                let mut chars: Vec<char> = "1EG4TE5MK72".chars().collect();
                chars[position - 1] = letter;
                let mbi: String = chars.into_iter().collect();
                assert!(!is_valid_mbi(&mbi), "{mbi}");
            }
        }
    }

    #[test]
    fn rejects_wrong_lengths_and_dashes() {
        assert_eq!(validate_mbi("1EG4-TE5-MK72"), Err(MbiError::Length { found: 13 }));
        assert_eq!(validate_mbi(""), Err(MbiError::Length { found: 0 }));
        assert_eq!(validate_mbi("1EG4TE5MK7"), Err(MbiError::Length { found: 10 }));
    }

    #[test]
    fn generated_mbis_are_valid_and_vary() {
        let mbis: Vec<String> = (0..1_000).map(|i| generate_mbi(&mut Draw::new(3, i, b"mbi test"))).collect();
        for mbi in &mbis {
            assert_eq!(validate_mbi(mbi), Ok(()), "{mbi}");
        }
        let distinct: std::collections::HashSet<_> = mbis.iter().collect();
        assert_eq!(distinct.len(), mbis.len());
    }

    #[test]
    fn the_letter_table_excludes_exactly_six_letters() {
        assert_eq!(LETTERS.len(), 20);
        assert!(!LETTERS.iter().any(|l| b"SLOIBZ".contains(l)));
        assert_eq!(LETTERS_AND_DIGITS.len(), 30);
    }
}
