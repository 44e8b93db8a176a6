//! Property tests: any claim the 837P writer accepts comes back from the reader exactly as it was written.

use proptest::collection::vec;
use proptest::prelude::*;

use super::fixtures::{BILLING_NPI, RENDERING_NPI, interchange, submission};
use super::{Document, MAX_DIAGNOSES, MAX_POINTERS, professional_claim, read_837p};
use crate::model::strategies::{date, hundredths, icd10, modifier, place_of_service, procedure};
use crate::model::{Claim, ClaimLine};

/// The rendering provider of a line: mostly the claim's, sometimes another or the billing provider itself.
fn rendering_npi() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(RENDERING_NPI.to_string()),
        1 => Just("1679576722".to_string()),
        1 => Just(BILLING_NPI.to_string()),
    ]
}

fn line(diagnoses: usize) -> impl Strategy<Value = ClaimLine> {
    (
        procedure(),
        vec(modifier(), 0..=4),
        hundredths(99_900),
        vec(1..=diagnoses as u8, 1..=MAX_POINTERS),
        prop_oneof![3 => Just("11".to_string()), 1 => place_of_service()],
        date(),
        rendering_npi(),
        hundredths(9_999_999),
    )
        .prop_map(
            |(code, modifiers, units, dx_pointers, place_of_service, date_of_service, rendering_npi, charge)| {
                ClaimLine {
                    code,
                    modifiers,
                    units,
                    dx_pointers,
                    place_of_service,
                    date_of_service,
                    rendering_npi,
                    charge,
                }
            },
        )
}

fn claim() -> impl Strategy<Value = Claim> {
    vec(icd10(), 1..=MAX_DIAGNOSES).prop_flat_map(|diagnoses| {
        let count = diagnoses.len();
        (
            "[A-Z0-9]{1,20}",
            "[A-Z][A-Z0-9 ]{0,18}[A-Z0-9]",
            "[A-Z0-9]{1,20}",
            vec(line(count), 1..=8),
            hundredths(99_999_999),
        )
            .prop_map(move |(id, payer, member_id, lines, total_charge)| Claim {
                id,
                payer,
                member_id,
                diagnoses: diagnoses.clone(),
                lines,
                total_charge,
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn an_837p_written_then_read_gives_back_the_same_claim(claim in claim()) {
        let set = professional_claim(&submission(claim.clone()), 1).unwrap();
        let text = interchange(1).with_group(1, vec![set]).to_x12();
        let document = Document::parse(&text).unwrap();
        prop_assert_eq!(read_837p(&document).unwrap(), vec![claim]);
    }
}
