//! Writes a synthetic 837P batch of any size for the X12 throughput comparison (`benches/x12_vs_pyx12.sh`):
//! `cargo run --release --example x12_837p_batch -- CLAIMS SEED OUT.x12`.
//!
//! One interchange, one functional group, one transaction set per claim as handoff's own 837P writer builds it;
//! 1 to 7 service lines a claim (4 on average, about the 1,800 lines per 440 claims of issue 7's pyx12 figures),
//! 1 to 4 diagnoses, real CPT/HCPCS codes and modifiers. Sets are written as they are made, so memory stays small.

use std::fs::File;
use std::io::{BufWriter, Write};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use handoff::connect::x12::{
    BillingProvider, ClaimSubmission, Delimiters, Interchange, InterchangeHeader, Party, Provider, Receiver, Segment,
    Submitter, VERSION_837P, professional_claim,
};
use handoff::model::{Address, Claim, ClaimLine, Coverage, Date, HumanName, Patient, Relationship, Sex};

const BILLING_NPI: &str = "1234567893";
const RENDERING_NPI: &str = "1497758544";
const PROCEDURES: [&str; 8] = ["99213", "99214", "20610", "J3301", "36415", "81002", "93000", "71046"];
const MODIFIERS: [&str; 4] = ["25", "59", "RT", "LT"];
const DIAGNOSES: [&str; 8] = ["M17.11", "E11.65", "I10", "E78.5", "Z79.84", "J06.9", "M12.9", "L02.511"];
const FAMILY: [&str; 6] = ["Lopez-Hernandez", "Nguyen", "Okafor", "Smith", "Kowalski", "Haddad"];
const GIVEN: [&str; 6] = ["Ana", "Minh", "Chidi", "Jordan", "Ewa", "Layla"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [claims, seed, out] = args.as_slice() else {
        return Err("usage: x12_837p_batch CLAIMS SEED OUT.x12".into());
    };
    let mut out = BufWriter::new(File::create(out)?);
    write_batch(claims.parse()?, seed.parse()?, &mut out)?;
    out.flush()?;
    Ok(())
}

/// The batch of `claims` claims the seed gives, written to `out` (`benches/x12.rs` writes it to memory).
pub fn write_batch(claims: u32, seed: u64, out: &mut impl Write) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = Delimiters::default();
    let header = InterchangeHeader {
        sender: Party { qualifier: "ZZ".into(), id: "BAYVIEWCLINIC".into() },
        receiver: Party { qualifier: "ZZ".into(), id: "CLEARHOUSE".into() },
        created: "2026-12-01T14:30".parse()?,
        control_number: 1,
        production: false,
        ack_requested: false,
    };
    // The ISA as the writer makes it: the first 106 characters of an interchange with no groups.
    let empty = Interchange::new(header).to_x12();
    out.write_all(&empty.as_bytes()[..106])?;
    let gs = ["HC", "BAYVIEWCLINIC", "CLEARHOUSE", "20261201", "1430", "1", "X", VERSION_837P];
    write_segment(out, &Segment::simple("GS", &gs), &d)?;
    for n in 1..=claims {
        let set = professional_claim(&submission(&mut rng, n), n)?;
        for segment in set.segments() {
            write_segment(out, &segment, &d)?;
        }
    }
    write_segment(out, &Segment::simple("GE", &[&claims.to_string(), "1"]), &d)?;
    write_segment(out, &Segment::simple("IEA", &["1", "000000001"]), &d)?;
    Ok(())
}

fn write_segment(out: &mut impl Write, segment: &Segment, d: &Delimiters) -> std::io::Result<()> {
    write!(out, "{}{}", segment.render(d), d.segment)
}

fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from[rng.next_u32() as usize % from.len()]
}

fn submission(rng: &mut ChaCha8Rng, n: u32) -> ClaimSubmission {
    let diagnoses: Vec<String> = (0..1 + rng.next_u32() % 4).map(|_| pick(rng, &DIAGNOSES).to_string()).collect();
    let day = Date::new(2026, 6, 1 + (rng.next_u32() % 28) as i8).expect("a June day");
    let lines: Vec<ClaimLine> = (0..1 + rng.next_u32() % 7)
        .map(|_| ClaimLine {
            code: pick(rng, &PROCEDURES).to_string(),
            modifiers: (0..rng.next_u32() % 2).map(|_| pick(rng, &MODIFIERS).to_string()).collect(),
            units: f64::from(1 + rng.next_u32() % 3),
            dx_pointers: (1..=diagnoses.len() as u8).take(4).collect(),
            place_of_service: "11".into(),
            date_of_service: day,
            rendering_npi: RENDERING_NPI.into(),
            charge: f64::from(20 + rng.next_u32() % 300),
        })
        .collect();
    let member_id = format!("{}EG4TE5MK{:02}", 1 + n % 9, n % 97);
    let coverage =
        Coverage { payer: "medicare".into(), member_id: member_id.clone(), relationship: Relationship::Self_ };
    let subscriber = Patient {
        name: HumanName { given: vec![pick(rng, &GIVEN).to_string()], family: pick(rng, &FAMILY).to_string() },
        birth_date: Date::new(1930 + (rng.next_u32() % 60) as i16, 3, 12).expect("a birth date"),
        sex: if rng.next_u32().is_multiple_of(2) { Sex::Female } else { Sex::Male },
        address: Some(Address {
            line: vec![format!("{} Bayshore Blvd", 100 + n % 900)],
            city: "Tampa".into(),
            state: "FL".into(),
            postal_code: "33606".into(),
        }),
        phone: None,
        identifiers: Vec::new(),
        coverage: Some(coverage.clone()),
        secondary_coverage: None,
    };
    ClaimSubmission {
        reference: format!("BATCH{n:06}"),
        created: "2026-12-01T14:30".parse().expect("a time"),
        submitter: Submitter {
            name: "Bayview Clinic".into(),
            id: "BAYVIEW01".into(),
            contact: "Billing Office".into(),
            phone: "8135550100".into(),
        },
        receiver: Receiver { name: "Gulf Coast Clearinghouse".into(), id: "GCCH01".into() },
        billing: BillingProvider {
            name: "Bayview Clinic".into(),
            npi: BILLING_NPI.into(),
            tax_id: "591234567".into(),
            address: Address {
                line: vec!["500 Harbor Blvd".into()],
                city: "Tampa".into(),
                state: "FL".into(),
                postal_code: "33606-1234".into(),
            },
        },
        subscriber,
        coverage,
        payer_id: "09102".into(),
        claim_filing_code: "MB".into(),
        place_of_service: "11".into(),
        providers: vec![Provider {
            npi: RENDERING_NPI.into(),
            name: HumanName { given: vec!["Priya".into()], family: "Raman".into() },
        }],
        claim: Claim {
            id: format!("C{n}"),
            payer: "MEDICARE".into(),
            member_id,
            total_charge: lines.iter().map(|l| l.charge).sum(),
            diagnoses,
            lines,
        },
    }
}
