//! How the simulated PM builds a professional claim from the charges and diagnoses it holds, and writes its
//! patient in the characters an 837P can carry.

use crate::model::{Charge, Claim, ClaimLine, Coverage, Patient};

/// What the simulated practice charges per unit of service; real fee schedules vary by code, which scoring does not need.
pub const FEE_PER_UNIT: f64 = 100.0;
/// An 837P carries at most 12 diagnoses.
const MAX_CLAIM_DIAGNOSES: usize = 12;

/// A claim listing the encounter's diagnoses in rank order, each charge as a line pointing at the diagnoses it names.
pub fn build_claim(id: &str, diagnoses: &[String], charges: &[Charge], coverage: Option<&Coverage>) -> Claim {
    // Charges keyed by hand have no encounter; their own diagnoses, in order of first mention, stand in.
    let mut diagnoses: Vec<String> = diagnoses.to_vec();
    if diagnoses.is_empty() {
        for code in charges.iter().flat_map(|c| &c.diagnoses) {
            if !diagnoses.contains(code) {
                diagnoses.push(code.clone());
            }
        }
    }
    diagnoses.truncate(MAX_CLAIM_DIAGNOSES);
    let lines: Vec<ClaimLine> = charges
        .iter()
        .map(|c| ClaimLine {
            code: c.code.clone(),
            modifiers: c.modifiers.clone(),
            units: c.units,
            // A charge naming a diagnosis the claim does not list loses that pointer, as PMs do.
            dx_pointers: c.pointers_into(&diagnoses).into_iter().take(4).collect(),
            place_of_service: c.place_of_service.clone(),
            date_of_service: c.date_of_service,
            rendering_npi: c.rendering_npi.clone(),
            charge: FEE_PER_UNIT * c.units,
        })
        .collect();
    Claim {
        id: id.to_string(),
        payer: coverage.map(|c| c.payer.clone()).unwrap_or_default(),
        member_id: coverage.map(|c| c.member_id.clone()).unwrap_or_default(),
        total_charge: lines.iter().map(|l| l.charge).sum(),
        diagnoses,
        lines,
    }
}

/// The patient as a PM's X12 export writes them: X12 carries no letters beyond ASCII, so `Muñoz` goes as `Munoz`.
pub(super) fn in_x12_characters(patient: &Patient) -> Patient {
    let mut patient = patient.clone();
    let name = &mut patient.name;
    for text in name.given.iter_mut().chain([&mut name.family]) {
        *text = ascii_fold(text);
    }
    if let Some(address) = &mut patient.address {
        for text in address.line.iter_mut().chain([&mut address.city]) {
            *text = ascii_fold(text);
        }
    }
    patient
}

/// Latin letters with marks as the letter without them; any other character beyond ASCII is left out.
fn ascii_fold(text: &str) -> String {
    const FOLDS: &[(&str, &str)] = &[
        ("ÀÁÂÃÄÅĀĂĄẠẢẤẦẨẪẬẮẰẲẴẶ", "A"),
        ("àáâãäåāăąạảấầẩẫậắằẳẵặ", "a"),
        ("ÇĆČ", "C"),
        ("çćč", "c"),
        ("ĐĎ", "D"),
        ("đď", "d"),
        ("ÈÉÊËĒĘĚẸẺẼẾỀỂỄỆ", "E"),
        ("èéêëēęěẹẻẽếềểễệ", "e"),
        ("ÌÍÎÏĪỈỊ", "I"),
        ("ìíîïīỉị", "i"),
        ("Ł", "L"),
        ("ł", "l"),
        ("ÑŃŇ", "N"),
        ("ñńň", "n"),
        ("ÒÓÔÕÖØŌƠỌỎỐỒỔỖỘỚỜỞỠỢ", "O"),
        ("òóôõöøōơọỏốồổỗộớờởỡợ", "o"),
        ("ŘŔ", "R"),
        ("řŕ", "r"),
        ("ŚŠŞ", "S"),
        ("śšş", "s"),
        ("ŤŢ", "T"),
        ("ťţ", "t"),
        ("ÙÚÛÜŪŮƯỤỦỨỪỬỮỰ", "U"),
        ("ùúûüūůưụủứừửữự", "u"),
        ("ÝŸỲỴỶỸ", "Y"),
        ("ýÿỳỵỷỹ", "y"),
        ("ŹŻŽ", "Z"),
        ("źżž", "z"),
        ("ß", "ss"),
        ("Æ", "AE"),
        ("æ", "ae"),
        ("Œ", "OE"),
        ("œ", "oe"),
    ];
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some((_, plain)) = FOLDS.iter().find(|(marked, _)| marked.contains(c)) {
            out.push_str(plain);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    #[test]
    fn names_and_addresses_go_out_in_x12_characters() {
        let mut patient = crate::model::fixtures::ana();
        patient.name.family = "Muñoz-Łukasiewicz".into();
        patient.name.given = vec!["Thị Ngọc".into(), "Zoë".into()];
        patient.address = Some(Address {
            line: vec!["12 Calle Ñandú".into()],
            city: "Peñuelas".into(),
            state: "PR".into(),
            postal_code: "00624".into(),
        });
        let folded = in_x12_characters(&patient);
        assert_eq!(folded.name.family, "Munoz-Lukasiewicz");
        assert_eq!(folded.name.given, ["Thi Ngoc", "Zoe"]);
        let address = folded.address.unwrap();
        assert_eq!((address.line[0].as_str(), address.city.as_str()), ("12 Calle Nandu", "Penuelas"));
        assert_eq!(ascii_fold("Straße → 東京"), "Strasse  ");
    }
}
