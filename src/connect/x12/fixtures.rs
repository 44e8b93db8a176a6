//! Sample parties, a patient and a claim shared by the X12 tests: the DESIGN.md Medicare patient at Bayview Clinic.

use crate::model::{Address, Claim, ClaimLine, Coverage, HumanName, Patient, Relationship};

use super::{BillingProvider, ClaimSubmission, Interchange, InterchangeHeader, Party, Provider, Receiver, Submitter};

pub const BILLING_NPI: &str = "1234567893";
pub const RENDERING_NPI: &str = "1497758544";

pub fn header(control_number: u32) -> InterchangeHeader {
    InterchangeHeader {
        sender: Party { qualifier: "ZZ".into(), id: "BAYVIEWCLINIC".into() },
        receiver: Party { qualifier: "ZZ".into(), id: "CLEARHOUSE".into() },
        created: "2026-12-01T14:30".parse().unwrap(),
        control_number,
        production: false,
        ack_requested: false,
    }
}

pub fn interchange(control_number: u32) -> Interchange {
    Interchange::new(header(control_number))
}

pub fn ana() -> Patient {
    Patient { coverage: Some(medicare()), ..crate::model::fixtures::ana() }
}

pub fn medicare() -> Coverage {
    Coverage { payer: "medicare".into(), member_id: "1EG4TE5MK72".into(), relationship: Relationship::Self_ }
}

fn line(code: &str, modifiers: &[&str], charge: f64, units: f64, pointers: &[u8]) -> ClaimLine {
    ClaimLine {
        code: code.into(),
        modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
        units,
        dx_pointers: pointers.to_vec(),
        place_of_service: "11".into(),
        date_of_service: "2026-12-01".parse().unwrap(),
        rendering_npi: RENDERING_NPI.into(),
        charge,
    }
}

/// A follow-up with a modifier-25 visit, a same-day injection and a lab draw: three lines, three diagnoses.
pub fn claim() -> Claim {
    Claim {
        id: "C123".into(),
        payer: "MEDICARE".into(),
        member_id: "1EG4TE5MK72".into(),
        diagnoses: vec!["M17.11".into(), "E11.65".into(), "I10".into()],
        lines: vec![
            line("99214", &["25"], 150.0, 1.0, &[1, 2]),
            line("20610", &["RT"], 85.5, 1.0, &[1]),
            line("J3301", &[], 14.5, 4.0, &[1]),
        ],
        total_charge: 250.0,
    }
}

pub fn submission(claim: Claim) -> ClaimSubmission {
    ClaimSubmission {
        reference: "BATCH0001".into(),
        created: "2026-12-01T14:30".parse().unwrap(),
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
        subscriber: ana(),
        coverage: medicare(),
        payer_id: "09102".into(),
        claim_filing_code: "MB".into(),
        place_of_service: "11".into(),
        providers: vec![Provider {
            npi: RENDERING_NPI.into(),
            name: HumanName { given: vec!["Priya".into()], family: "Raman".into() },
        }],
        claim,
    }
}

pub fn inquiry() -> super::EligibilityInquiry {
    super::EligibilityInquiry {
        reference: "ELIG0001".into(),
        created: "2026-12-01T08:15".parse().unwrap(),
        payer_name: "MEDICARE".into(),
        payer_id: "09102".into(),
        provider_name: "Bayview Clinic".into(),
        provider_npi: BILLING_NPI.into(),
        subscriber: ana(),
        member_id: "1EG4TE5MK72".into(),
        trace: "93175-0001".into(),
        trace_originator: "1591234567".into(),
        service_date: "2026-12-01".parse().unwrap(),
    }
}

/// A fixture from `tests/inputs/x12/`, parsed.
pub fn input(name: &str) -> super::Document {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/x12").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    super::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
