//! PV1: the visit a message is about. The practices this harness serves see outpatients only.

use super::Segment;

/// HL7 table 0004: outpatient.
pub const OUTPATIENT: &str = "O";

/// PV1 with the one field 2.5.1 requires, PV1-2 patient class.
pub fn pv1_outpatient() -> Segment {
    Segment::new("PV1").with(1, "1").with(2, OUTPATIENT)
}

/// PV1 naming the visit (PV1-19 visit number), so a receiver can tie every charge of one visit together.
pub fn pv1_visit(visit_number: &str) -> Segment {
    pv1_outpatient().with(19, visit_number)
}
