//! Eligibility (005010X279A1): the 270 inquiry a PM sends before the visit, and the 271 answer read back into
//! whether coverage is active and on what plan.

use crate::model::{Date, DateTime, Patient};

use super::envelope::TransactionSet;
use super::error::ReadError;
use super::parse::Document;
use super::professional::sex_code;
use super::reader::{format_date, optional_amount, required, transactions};
use super::segment::Segment;

pub const VERSION_270: &str = "005010X279A1";
pub const VERSION_271: &str = "005010X279A1";

/// What a front desk asks a payer: is this member covered for an office visit on this day?
#[derive(Debug, Clone, PartialEq)]
pub struct EligibilityInquiry {
    /// BHT03, the practice's reference for the inquiry.
    pub reference: String,
    pub created: DateTime,
    pub payer_name: String,
    pub payer_id: String,
    pub provider_name: String,
    pub provider_npi: String,
    pub subscriber: Patient,
    pub member_id: String,
    /// TRN02, echoed by the payer so the answer can be matched to the question.
    pub trace: String,
    /// TRN03: `1` followed by the practice's EIN, ten characters.
    pub trace_originator: String,
    pub service_date: Date,
}

/// A 270 asking about health benefit plan coverage (EQ*30) for one subscriber.
pub fn eligibility_inquiry(inquiry: &EligibilityInquiry, control_number: u32) -> TransactionSet {
    let s = &inquiry.subscriber;
    let first = s.name.given.first().map(String::as_str).unwrap_or("");
    let middle = s.name.given.get(1..).map(|m| m.join(" ")).unwrap_or_default();
    let body = vec![
        Segment::simple(
            "BHT",
            &[
                "0022",
                "13",
                &inquiry.reference,
                &format_date(inquiry.created.date()),
                &inquiry.created.0.strftime("%H%M").to_string(),
            ],
        ),
        Segment::simple("HL", &["1", "", "20", "1"]),
        Segment::simple("NM1", &["PR", "2", &inquiry.payer_name, "", "", "", "", "PI", &inquiry.payer_id]),
        Segment::simple("HL", &["2", "1", "21", "1"]),
        Segment::simple("NM1", &["1P", "2", &inquiry.provider_name, "", "", "", "", "XX", &inquiry.provider_npi]),
        Segment::simple("HL", &["3", "2", "22", "0"]),
        Segment::simple("TRN", &["1", &inquiry.trace, &inquiry.trace_originator]),
        Segment::simple("NM1", &["IL", "1", &s.name.family, first, &middle, "", "", "MI", &inquiry.member_id]),
        Segment::simple("DMG", &["D8", &format_date(s.birth_date), sex_code(s.sex)]),
        Segment::simple("DTP", &["291", "D8", &format_date(inquiry.service_date)]),
        Segment::simple("EQ", &["30"]),
    ];
    TransactionSet { id: "270".into(), version: VERSION_270.into(), control_number, body }
}

/// What a 271 says about one subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct Eligibility {
    pub payer: String,
    pub member_id: String,
    /// TRN02 of the inquiry this answers, when the payer echoed it.
    pub trace: Option<String>,
    /// True when any EB01 is `1`, active coverage.
    pub active: bool,
    pub benefits: Vec<Benefit>,
    /// AAA03 reject reasons (`72` invalid member id, `75` subscriber not found, ...).
    pub rejections: Vec<String>,
}

/// One EB segment: the basics a front desk reads off a 271.
#[derive(Debug, Clone, PartialEq)]
pub struct Benefit {
    /// EB01: `1` active, `6` inactive, `C` deductible, `B` co-payment, `A` co-insurance, ...
    pub information: String,
    /// EB02: `IND` individual, `FAM` family.
    pub coverage_level: String,
    /// EB03 repetitions: `30` health benefit plan coverage, `98` office visit, ...
    pub service_types: Vec<String>,
    /// EB04: `MB` Medicare Part B, `HM` HMO, ...
    pub insurance_type: String,
    /// EB05, the plan's name as the payer calls it.
    pub plan: String,
    /// EB07, a deductible or co-payment amount.
    pub amount: Option<f64>,
    /// EB08, co-insurance as a fraction (`0.2` is 20%).
    pub percent: Option<f64>,
}

/// Every subscriber answered in every 271 of the interchange.
pub fn read_271(doc: &Document) -> Result<Vec<Eligibility>, ReadError> {
    let mut out = Vec::new();
    for tx in transactions(doc, "271", "271, an eligibility response")? {
        let mut payer = String::new();
        let mut open: Option<Eligibility> = None;
        for seg in tx.segments {
            match (seg.id.as_str(), seg.element(1)) {
                ("HL", _) if seg.element(3) == "22" => {
                    out.extend(open.take());
                    open = Some(Eligibility {
                        payer: payer.clone(),
                        member_id: String::new(),
                        trace: None,
                        active: false,
                        benefits: Vec::new(),
                        rejections: Vec::new(),
                    });
                }
                ("NM1", "PR") => payer = seg.element(3).to_string(),
                ("NM1", "IL") => {
                    if let Some(e) = open.as_mut() {
                        e.member_id = required(seg, 9, 1, "the subscriber's member id")?.to_string();
                    }
                }
                ("TRN", "2") => {
                    if let Some(e) = open.as_mut() {
                        e.trace = Some(required(seg, 2, 1, "the trace number of the inquiry")?.to_string());
                    }
                }
                ("AAA", _) => {
                    if let Some(e) = open.as_mut() {
                        e.rejections.push(required(seg, 3, 1, "the reject reason code")?.to_string());
                    }
                }
                ("EB", _) => {
                    if let Some(e) = open.as_mut() {
                        let benefit = read_eb(seg)?;
                        e.active |= benefit.information == "1";
                        e.benefits.push(benefit);
                    }
                }
                _ => {}
            }
        }
        out.extend(open.take());
    }
    Ok(out)
}

fn read_eb(seg: &Segment) -> Result<Benefit, ReadError> {
    Ok(Benefit {
        information: required(seg, 1, 1, "the eligibility or benefit information code")?.to_string(),
        coverage_level: seg.element(2).to_string(),
        service_types: seg
            .repetitions(3)
            .iter()
            .filter_map(|r| r.first())
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
            .collect(),
        insurance_type: seg.element(4).to_string(),
        plan: seg.element(5).to_string(),
        amount: optional_amount(seg, 7, "a monetary amount")?,
        percent: optional_amount(seg, 8, "a percentage as a decimal fraction")?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{input, inquiry, interchange};
    use super::*;

    #[test]
    fn writes_the_inquiry_loops() {
        let text = interchange(7).with_group(7, vec![eligibility_inquiry(&inquiry(), 1)]).to_x12();
        for expected in [
            "~GS*HS*BAYVIEWCLINIC*CLEARHOUSE*20261201*1430*7*X*005010X279A1~",
            "~ST*270*0001*005010X279A1~BHT*0022*13*ELIG0001*20261201*0815~",
            "~NM1*PR*2*MEDICARE*****PI*09102~HL*2*1*21*1~NM1*1P*2*Bayview Clinic*****XX*1234567893~",
            "~HL*3*2*22*0~TRN*1*93175-0001*1591234567~NM1*IL*1*Lopez-Hernandez*Ana*Maria***MI*1EG4TE5MK72~",
            "~DMG*D8*19580312*F~DTP*291*D8*20261201~EQ*30~SE*13*0001~",
        ] {
            assert!(text.contains(expected), "missing {expected} in {text}");
        }
    }

    #[test]
    fn reads_active_coverage_and_a_rejection() {
        let answers = read_271(&input("271.x12")).unwrap();
        assert_eq!(answers.len(), 2);
        let ana = &answers[0];
        assert_eq!((ana.payer.as_str(), ana.member_id.as_str()), ("MEDICARE", "1EG4TE5MK72"));
        assert_eq!(ana.trace.as_deref(), Some("93175-0001"));
        assert!(ana.active);
        assert_eq!(ana.benefits.len(), 3);
        assert_eq!(ana.benefits[0].service_types, vec!["30", "1", "98"]);
        assert_eq!((ana.benefits[0].insurance_type.as_str(), ana.benefits[0].plan.as_str()), ("MB", "MEDICARE PART B"));
        assert_eq!(ana.benefits[1].amount, Some(257.0));
        assert_eq!(ana.benefits[2].percent, Some(0.2));
        let unknown = &answers[1];
        assert!(!unknown.active);
        assert_eq!(unknown.rejections, vec!["75"]);
    }
}
