//! IN1 ⇄ [`Coverage`]: payer, member id, the patient's relationship to the insured and the billing order.

use crate::model::{Coverage, Relationship};

use super::reader::Located;
use super::{Field, ReadError, Segment};

/// Which payer is billed first; HL7 carries it in IN1-22 as `1` or `2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingOrder {
    Primary,
    Secondary,
}

/// IN1 for one coverage, `set_id` counting from 1 within the message.
///
/// The model knows the payer by one short name, so it serves as IN1-2 plan id, IN1-3 company id and IN1-4 name.
pub fn in1(set_id: usize, coverage: &Coverage, order: BillingOrder) -> Segment {
    let (code, text) = relationship_code(coverage.relationship);
    let payer = coverage.payer.as_str();
    Segment::new("IN1")
        .with(1, set_id.to_string())
        .with(2, payer)
        .with(3, payer)
        .with(4, payer)
        .with(17, Field::from_components([code, text, "HL70063"]))
        .with(
            22,
            match order {
                BillingOrder::Primary => "1",
                BillingOrder::Secondary => "2",
            },
        )
        .with(36, coverage.member_id.as_str())
}

/// HL7 table 0063 (relationship), code and display.
fn relationship_code(relationship: Relationship) -> (&'static str, &'static str) {
    match relationship {
        Relationship::Self_ => ("SEL", "Self"),
        Relationship::Spouse => ("SPO", "Spouse"),
        Relationship::Child => ("CHD", "Child"),
        Relationship::Other => ("OTH", "Other"),
    }
}

fn relationship_from_code(code: &str) -> Relationship {
    match code {
        // An empty IN1-17 means the patient is the insured, as most payers assume.
        "SEL" | "" => Relationship::Self_,
        "SPO" => Relationship::Spouse,
        "CHD" => Relationship::Child,
        _ => Relationship::Other,
    }
}

/// The coverage an IN1 describes and its billing order; an IN1 that does not say (IN1-22) is taken as `fallback`.
pub fn read_in1(in1: Located<'_>, fallback: BillingOrder) -> Result<(Coverage, BillingOrder), ReadError> {
    let segment = in1.segment;
    let payer = [segment.component(4, 1), segment.component(3, 1), segment.component(2, 1)]
        .into_iter()
        .find(|p| !p.is_empty())
        .ok_or(ReadError::MissingValue { location: in1.location(4, None), expected: "the payer's name" })?;
    let member_id = in1.required(36, 1, "the member id on the insurance card (policy number)")?;
    let order = match segment.value(22) {
        "1" => BillingOrder::Primary,
        "2" => BillingOrder::Secondary,
        "" => fallback,
        other => return Err(in1.invalid(22, None, other, "the coordination-of-benefits priority, 1 or 2")),
    };
    let coverage = Coverage {
        payer: payer.to_string(),
        member_id: member_id.to_string(),
        relationship: relationship_from_code(segment.component(17, 1)),
    };
    Ok((coverage, order))
}
