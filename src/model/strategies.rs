//! proptest strategies for the canonical records, shared by the property tests of every wire format: values a
//! front desk or a coder could really key, awkward characters included.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::{Address, Coverage, Date, HumanName, Identifier, Patient, Relationship, Sex};

pub fn date() -> impl Strategy<Value = Date> {
    (1900i16..=2030, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date(jiff::civil::date(y, m, d)))
}

/// Free text as typed: any printable characters, starting and ending with a visible one.
pub fn text() -> impl Strategy<Value = String> {
    "[^\\s\\pC]([^\\pC]{0,24}[^\\s\\pC])?"
}

/// ICD-10-CM, with its dot when it has more than three characters.
pub fn icd10() -> impl Strategy<Value = String> {
    "[A-TV-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?"
}

/// CPT (five digits, or four and a category letter) or HCPCS Level II (a letter and four digits).
pub fn procedure() -> impl Strategy<Value = String> {
    "[0-9]{4}[0-9FTU]|[A-V][0-9]{4}"
}

pub fn modifier() -> impl Strategy<Value = String> {
    "[0-9A-Z]{2}"
}

pub fn npi() -> impl Strategy<Value = String> {
    "[0-9]{10}"
}

pub fn place_of_service() -> impl Strategy<Value = String> {
    "[0-9]{2}"
}

/// Hundredths, as units and dollar amounts are written on claims.
pub fn hundredths(max: u32) -> impl Strategy<Value = f64> {
    (1..=max).prop_map(|n| f64::from(n) / 100.0)
}

pub fn sex() -> impl Strategy<Value = Sex> {
    prop_oneof![Just(Sex::Female), Just(Sex::Male), Just(Sex::Other), Just(Sex::Unknown)]
}

pub fn relationship() -> impl Strategy<Value = Relationship> {
    prop_oneof![
        Just(Relationship::Self_),
        Just(Relationship::Spouse),
        Just(Relationship::Child),
        Just(Relationship::Other)
    ]
}

pub fn coverage() -> impl Strategy<Value = Coverage> {
    (text(), text(), relationship()).prop_map(|(payer, member_id, relationship)| Coverage {
        payer,
        member_id,
        relationship,
    })
}

/// An identifier system as practices write them: a local name, a URI or an OID.
pub fn identifier_system() -> impl Strategy<Value = String> {
    "[A-Z][A-Z0-9-]{0,11}|urn:oid:[1-2](\\.[0-9]{1,5}){1,6}|urn:[a-z]{1,8}:[a-z0-9.-]{1,12}|https://[a-z]{1,10}\\.example/[a-z]{1,8}"
}

pub fn identifier() -> impl Strategy<Value = Identifier> {
    (identifier_system(), text()).prop_map(|(system, value)| Identifier { system, value })
}

pub fn address() -> impl Strategy<Value = Address> {
    (vec(text(), 1..=2), text(), "[A-Z]{2}", "[0-9]{5}(-[0-9]{4})?")
        .prop_map(|(line, city, state, postal_code)| Address { line, city, state, postal_code })
}

/// A patient; `given` names hold no spaces, as HL7 v2 keeps all middle names in one component.
pub fn patient() -> impl Strategy<Value = Patient> {
    let name = (vec("[^\\s\\pC]{1,12}", 1..=2), text()).prop_map(|(given, family)| HumanName { given, family });
    (
        name,
        date(),
        sex(),
        option::of(address()),
        option::of(text()),
        vec(identifier(), 0..=2),
        option::of(coverage()),
        option::of(coverage()),
    )
        .prop_map(|(name, birth_date, sex, address, phone, identifiers, coverage, secondary_coverage)| Patient {
            name,
            birth_date,
            sex,
            address,
            phone,
            identifiers,
            coverage,
            secondary_coverage,
        })
}
