//! How the simulated PM builds a professional claim from the charges and diagnoses it holds, and the 837P it
//! would send its clearinghouse for it.

use crate::connect::fhir::resources::pointers;
use crate::connect::x12::{
    BillingProvider, ClaimSubmission, Interchange, InterchangeHeader, Party, Receiver, Submitter, WriteError,
    professional_claim,
};
use crate::model::{Address, Charge, Claim, ClaimLine, Coverage, DateTime, Patient};

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
            dx_pointers: pointers(&diagnoses, &c.diagnoses).into_iter().take(4).collect(),
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

/// The simulated practice: a simulator has no real one, so its parties are made up (the NPI passes the check digit).
const PRACTICE: &str = "Handoff Simulated Practice";
const PRACTICE_NPI: &str = "1999999992";
const SUBMITTER_ID: &str = "HANDOFFSIM";
const CLEARINGHOUSE_ID: &str = "SIMCLEARHOUSE";

/// The 837P (005010X222A1) the simulated PM would send its clearinghouse for `claim`, one interchange with one
/// claim, segments one per line. `control_number` numbers the interchange, its group and its transaction set.
pub fn claim_interchange(
    claim: &Claim,
    patient: &Patient,
    coverage: &Coverage,
    control_number: u32,
    created: DateTime,
) -> Result<String, WriteError> {
    let submission = ClaimSubmission {
        reference: format!("SIM{control_number:06}"),
        created,
        submitter: Submitter {
            name: PRACTICE.into(),
            id: SUBMITTER_ID.into(),
            contact: "Billing Office".into(),
            phone: "8005550100".into(),
        },
        receiver: Receiver { name: "Simulated Clearinghouse".into(), id: CLEARINGHOUSE_ID.into() },
        billing: BillingProvider {
            name: PRACTICE.into(),
            npi: PRACTICE_NPI.into(),
            tax_id: "990000001".into(),
            address: Address {
                line: vec!["1 Simulation Way".into()],
                city: "Tampa".into(),
                state: "FL".into(),
                postal_code: "33606-0001".into(),
            },
        },
        subscriber: in_x12_characters(patient),
        coverage: coverage.clone(),
        payer_id: payer_id(&coverage.payer),
        claim_filing_code: claim_filing_code(&coverage.payer).into(),
        place_of_service: claim.lines.first().map(|l| l.place_of_service.clone()).unwrap_or_default(),
        providers: Vec::new(),
        claim: claim.clone(),
    };
    let set = professional_claim(&submission, control_number)?;
    let header = InterchangeHeader {
        sender: Party { qualifier: "ZZ".into(), id: SUBMITTER_ID.into() },
        receiver: Party { qualifier: "ZZ".into(), id: CLEARINGHOUSE_ID.into() },
        created,
        control_number,
        production: false,
        ack_requested: false,
    };
    let text = Interchange::new(header).with_group(control_number, vec![set]).to_x12();
    // One segment a line, as billing staff read a batch file; X12 readers skip the line breaks.
    Ok(text.replace('~', "~\n"))
}

/// The patient as a PM's X12 export writes them: X12 carries no letters beyond ASCII, so `Muñoz` goes as `Munoz`.
fn in_x12_characters(patient: &Patient) -> Patient {
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

/// SBR09: the kind of plan the claim is filed under.
fn claim_filing_code(payer: &str) -> &'static str {
    match payer.to_ascii_lowercase().as_str() {
        "medicare" => "MB",
        "medicaid" => "MC",
        _ => "CI",
    }
}

/// A payer's electronic id, which a simulator does not know: the payer's name in capitals stands in.
fn payer_id(payer: &str) -> String {
    let id: String = payer.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
    if id.len() < 2 { "UNKNOWN".into() } else { id.chars().take(20).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::x12::{Document, read_837p};
    use crate::model::Relationship;

    #[test]
    fn the_837p_reads_back_as_the_claim_it_was_written_from() {
        let coverage =
            Coverage { payer: "medicare".into(), member_id: "1EG4TE5MK72".into(), relationship: Relationship::Self_ };
        let patient = Patient { coverage: Some(coverage.clone()), ..crate::model::fixtures::ana() };
        let charge = |code: &str, dx: &[&str]| Charge {
            code: code.into(),
            modifiers: vec![],
            units: 1.0,
            diagnoses: dx.iter().map(|d| d.to_string()).collect(),
            place_of_service: "11".into(),
            date_of_service: "2026-06-01".parse().unwrap(),
            rendering_npi: "1234567893".into(),
        };
        let claim = build_claim(
            "p7",
            &["M17.11".into(), "I10".into()],
            &[charge("99214", &["M17.11", "I10"]), charge("20610", &["M17.11"])],
            Some(&coverage),
        );
        let text = claim_interchange(&claim, &patient, &coverage, 42, "2026-06-01T10:30".parse().unwrap()).unwrap();
        assert!(text.starts_with("ISA*"), "{text}");
        assert!(text.contains("SBR*P*18*******MB~"), "{text}");
        let read = read_837p(&Document::parse(&text).unwrap()).unwrap();
        assert_eq!(read, vec![claim]);
    }

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

    #[test]
    fn a_dependent_cannot_be_billed_as_the_subscriber() {
        let coverage =
            Coverage { payer: "aetna".into(), member_id: "W123456789".into(), relationship: Relationship::Child };
        let claim = build_claim("p1", &["I10".into()], &[], Some(&coverage));
        let patient = crate::model::fixtures::ana();
        let refused = claim_interchange(&claim, &patient, &coverage, 1, "2026-06-01T10:30".parse().unwrap());
        assert!(matches!(refused, Err(WriteError::DependentPatient { .. })), "{refused:?}");
    }
}
