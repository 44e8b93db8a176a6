//! Test patients shared by the modules' unit tests, so each test says only what it changes.

use super::{Address, HumanName, Patient, Sex};

/// The patient of DESIGN §5: two given names, a hyphenated family name, an address with a unit, a phone.
pub fn ana() -> Patient {
    Patient {
        name: HumanName { given: vec!["Ana".into(), "Maria".into()], family: "Lopez-Hernandez".into() },
        birth_date: super::Date(jiff::civil::date(1958, 3, 12)),
        sex: Sex::Female,
        address: Some(Address {
            line: vec!["1200 Bayview Ave Apt 4B".into()],
            city: "Tampa".into(),
            state: "FL".into(),
            postal_code: "33606".into(),
        }),
        phone: Some("(813) 555-0142".into()),
        identifiers: vec![],
        coverage: None,
        secondary_coverage: None,
    }
}
