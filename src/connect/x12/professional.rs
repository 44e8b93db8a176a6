//! The 837P professional claim (005010X222A1): a canonical [`Claim`] and the parties around it out as a
//! transaction set, and every claim in an 837P interchange back into the model.

use crate::model::{Address, Claim, ClaimLine, Coverage, Date, DateTime, HumanName, Patient, Relationship, Sex};

use super::envelope::TransactionSet;
use super::error::{ReadError, WriteError};
use super::parse::{Document, Transaction, set_text};
use super::reader::{
    amount, date, format_amount, format_date, icd_from_x12, icd_to_x12, invalid, required, transactions,
};
use super::segment::{Element, Segment};

pub const VERSION_837P: &str = "005010X222A1";
/// HI can hold twelve diagnoses and SV107 four pointers; more cannot be sent.
pub const MAX_DIAGNOSES: usize = 12;
pub const MAX_POINTERS: usize = 4;
pub const MAX_LINES: usize = 50;

/// Loop 1000A: who sends the batch (the practice or its billing service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    pub name: String,
    /// NM109, the id the clearinghouse assigned.
    pub id: String,
    pub contact: String,
    /// Ten digits, no punctuation.
    pub phone: String,
}

/// Loop 1000B: the clearinghouse or payer that receives the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    pub name: String,
    pub id: String,
}

/// Loop 2010AA: the organisation paid for the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingProvider {
    pub name: String,
    pub npi: String,
    /// The EIN, nine digits.
    pub tax_id: String,
    /// The guide requires a nine-digit ZIP here, and a street address rather than a PO box.
    pub address: Address,
}

/// A clinician by NPI and name, for the rendering provider loops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub npi: String,
    pub name: HumanName,
}

/// Everything an 837P needs beyond the claim itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimSubmission {
    /// BHT03, the batch reference the practice keeps.
    pub reference: String,
    pub created: DateTime,
    pub submitter: Submitter,
    pub receiver: Receiver,
    pub billing: BillingProvider,
    /// The subscriber, who is also the patient (the 2000C patient loop is not written).
    pub subscriber: Patient,
    pub coverage: Coverage,
    /// NM109 of loop 2010BB, the payer's electronic id.
    pub payer_id: String,
    /// SBR09: `MB` Medicare Part B, `MC` Medicaid, `CI` commercial, ...
    pub claim_filing_code: String,
    /// CLM05-1; a line whose place of service differs carries its own in SV105.
    pub place_of_service: String,
    /// Names for the rendering NPIs the lines carry; an NPI missing here is written with its NPI as the name.
    pub providers: Vec<Provider>,
    pub claim: Claim,
}

/// One 837P transaction set holding one claim.
pub fn professional_claim(sub: &ClaimSubmission, control_number: u32) -> Result<TransactionSet, WriteError> {
    check_limits(sub)?;
    let claim = &sub.claim;
    let mut body = vec![
        Segment::simple(
            "BHT",
            &[
                "0019",
                "00",
                &sub.reference,
                &format_date(sub.created.date()),
                &sub.created.0.strftime("%H%M").to_string(),
                "CH",
            ],
        ),
        organisation("41", &sub.submitter.name, "46", &sub.submitter.id),
        Segment::simple("PER", &["IC", &sub.submitter.contact, "TE", &sub.submitter.phone]),
        organisation("40", &sub.receiver.name, "46", &sub.receiver.id),
        Segment::simple("HL", &["1", "", "20", "1"]),
        organisation("85", &sub.billing.name, "XX", &sub.billing.npi),
    ];
    body.extend(address(&sub.billing.address));
    body.push(Segment::simple("REF", &["EI", &sub.billing.tax_id]));

    body.push(Segment::simple("HL", &["2", "1", "22", "0"]));
    body.push(Segment::simple("SBR", &["P", "18", "", "", "", "", "", "", &sub.claim_filing_code]));
    body.push(person("IL", &sub.subscriber.name, "MI", &claim.member_id));
    if let Some(addr) = &sub.subscriber.address {
        body.extend(address(addr));
    }
    body.push(Segment::simple("DMG", &["D8", &format_date(sub.subscriber.birth_date), sex_code(sub.subscriber.sex)]));
    body.push(organisation("PR", &claim.payer, "PI", &sub.payer_id));

    body.push(Segment::new(
        "CLM",
        vec![
            claim.id.as_str().into(),
            format_amount(claim.total_charge).into(),
            Element::default(),
            Element::default(),
            Element::composite(&[sub.place_of_service.as_str(), "B", "1"]),
            "Y".into(),
            "A".into(),
            "Y".into(),
            "Y".into(),
        ],
    ));
    let hi = claim
        .diagnoses
        .iter()
        .enumerate()
        .map(|(i, code)| Element::composite(&[if i == 0 { "ABK" } else { "ABF" }, &icd_to_x12(code)]))
        .collect();
    body.push(Segment::new("HI", hi));
    let claim_rendering = claim.lines.first().map(|l| l.rendering_npi.as_str()).unwrap_or("");
    if !claim_rendering.is_empty() && claim_rendering != sub.billing.npi {
        body.push(rendering(sub, claim_rendering));
    }
    for (n, line) in claim.lines.iter().enumerate() {
        body.extend(service_line(sub, n + 1, line, claim_rendering));
    }
    Ok(TransactionSet { id: "837".into(), version: VERSION_837P.into(), control_number, body })
}

fn check_limits(sub: &ClaimSubmission) -> Result<(), WriteError> {
    let claim = &sub.claim;
    let claim_id = || claim.id.clone();
    if sub.coverage.relationship != Relationship::Self_ {
        return Err(WriteError::DependentPatient { found: sub.coverage.relationship.as_str() });
    }
    if claim.diagnoses.is_empty() {
        return Err(WriteError::Missing { claim_id: claim_id(), what: "diagnosis" });
    }
    if claim.lines.is_empty() {
        return Err(WriteError::Missing { claim_id: claim_id(), what: "service line" });
    }
    let too_many = |what, found, max| WriteError::TooMany { claim_id: claim_id(), what, found, max };
    if claim.diagnoses.len() > MAX_DIAGNOSES {
        return Err(too_many("diagnoses", claim.diagnoses.len(), MAX_DIAGNOSES));
    }
    if claim.lines.len() > MAX_LINES {
        return Err(too_many("service lines", claim.lines.len(), MAX_LINES));
    }
    for (n, line) in claim.lines.iter().enumerate() {
        if line.dx_pointers.is_empty() {
            return Err(WriteError::Missing { claim_id: claim_id(), what: "diagnosis pointer on a line" });
        }
        if line.dx_pointers.len() > MAX_POINTERS {
            return Err(too_many("diagnosis pointers on one line", line.dx_pointers.len(), MAX_POINTERS));
        }
        if line.modifiers.len() > 4 {
            return Err(too_many("modifiers on one line", line.modifiers.len(), 4));
        }
        if let Some(&pointer) = line.dx_pointers.iter().find(|&&p| p == 0 || usize::from(p) > claim.diagnoses.len()) {
            return Err(WriteError::BadPointer {
                claim_id: claim_id(),
                line: n + 1,
                pointer,
                count: claim.diagnoses.len(),
            });
        }
    }
    Ok(())
}

fn service_line(sub: &ClaimSubmission, n: usize, line: &ClaimLine, claim_rendering: &str) -> Vec<Segment> {
    let mut procedure = vec!["HC".to_string(), line.code.clone()];
    procedure.extend(line.modifiers.iter().cloned());
    let pos = if line.place_of_service == sub.place_of_service { "" } else { line.place_of_service.as_str() };
    let pointers: Vec<String> = line.dx_pointers.iter().map(u8::to_string).collect();
    let mut out = vec![
        Segment::simple("LX", &[&n.to_string()]),
        Segment::new(
            "SV1",
            vec![
                Element::composite(&procedure),
                format_amount(line.charge).into(),
                "UN".into(),
                format_amount(line.units).into(),
                pos.into(),
                Element::default(),
                Element::composite(&pointers),
            ],
        ),
        Segment::simple("DTP", &["472", "D8", &format_date(line.date_of_service)]),
    ];
    if line.rendering_npi != claim_rendering && !line.rendering_npi.is_empty() {
        out.push(rendering(sub, &line.rendering_npi));
    }
    out
}

fn organisation(entity: &str, name: &str, qualifier: &str, id: &str) -> Segment {
    Segment::simple("NM1", &[entity, "2", name, "", "", "", "", qualifier, id])
}

fn person(entity: &str, name: &HumanName, qualifier: &str, id: &str) -> Segment {
    let first = name.given.first().map(String::as_str).unwrap_or("");
    let middle = name.given.get(1..).map(|m| m.join(" ")).unwrap_or_default();
    Segment::simple("NM1", &[entity, "1", &name.family, first, &middle, "", "", qualifier, id])
}

fn rendering(sub: &ClaimSubmission, npi: &str) -> Segment {
    match sub.providers.iter().find(|p| p.npi == npi) {
        Some(p) => person("82", &p.name, "XX", npi),
        None => person("82", &HumanName { given: vec![], family: npi.to_string() }, "XX", npi),
    }
}

fn address(addr: &Address) -> Vec<Segment> {
    let lines: Vec<&str> = addr.line.iter().take(2).map(String::as_str).collect();
    let postal: String = addr.postal_code.chars().filter(char::is_ascii_digit).collect();
    vec![Segment::simple("N3", &lines), Segment::simple("N4", &[&addr.city, &addr.state, &postal])]
}

pub(super) fn sex_code(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "F",
        Sex::Male => "M",
        Sex::Other | Sex::Unknown => "U",
    }
}

/// Every claim in every 837 transaction set of the interchange, in order.
pub fn read_837p(doc: &Document) -> Result<Vec<Claim>, ReadError> {
    let mut claims = Vec::new();
    for tx in transactions(doc, "837", EXPECTED_837)? {
        read_claims(tx.segments, &mut claims)?;
    }
    Ok(claims)
}

/// What an 837P reader expects to find in ST01.
pub(super) const EXPECTED_837: &str = "837, a professional claim";

/// The claims of one 837 transaction set, so a receiver can accept or reject each set on its own (999 AK2).
pub fn read_837p_set(tx: &Transaction<'_>) -> Result<Vec<Claim>, ReadError> {
    let mut claims = Vec::new();
    read_claims(tx.segments, &mut claims)?;
    Ok(claims)
}

/// What the loops above a claim say about it, carried down as the reader walks the segments.
#[derive(Default)]
struct Context {
    billing_npi: String,
    member_id: String,
    payer: String,
    place_of_service: String,
    claim_rendering: Option<String>,
    line_rendering: Option<String>,
}

fn read_claims(segments: &[Segment], claims: &mut Vec<Claim>) -> Result<(), ReadError> {
    let mut loops = ClaimLoops::default();
    for seg in segments {
        claims.extend(loops.feed(seg)?);
    }
    claims.extend(loops.close()?);
    Ok(())
}

/// One 837 transaction set read a segment at a time: a claim (its 2300 loop, its 2400 lines and what the 2000A and
/// 2000B loops above it say) comes out when the next HL or CLM, or the SE, shows it is complete.
#[derive(Default)]
pub(super) struct ClaimLoops {
    ctx: Context,
    open: Option<Claim>,
}

impl ClaimLoops {
    /// The segment's part of the claim; the previous claim, if this segment closed it.
    pub(super) fn feed(&mut self, seg: &Segment) -> Result<Option<Claim>, ReadError> {
        let (ctx, open) = (&mut self.ctx, &mut self.open);
        match seg.id.as_str() {
            "HL" | "SE" => return finish(open, ctx),
            "NM1" => match seg.element(1) {
                "85" => set_text(&mut ctx.billing_npi, seg.element(9)),
                "IL" => set_text(&mut ctx.member_id, required(seg, 9, 1, "the subscriber's member id")?),
                "PR" if open.is_none() => set_text(&mut ctx.payer, seg.element(3)),
                "82" => {
                    let npi = Some(required(seg, 9, 1, "the rendering provider's NPI")?.to_string());
                    match open.as_ref().map(|c| c.lines.is_empty()) {
                        Some(false) => ctx.line_rendering = npi,
                        _ => ctx.claim_rendering = npi,
                    }
                }
                _ => {}
            },
            "CLM" => {
                let done = finish(open, ctx)?;
                set_text(&mut ctx.place_of_service, required(seg, 5, 1, "the place of service in CLM05-1")?);
                *open = Some(Claim {
                    id: required(seg, 1, 1, "the claim id (patient control number)")?.to_string(),
                    payer: ctx.payer.clone(),
                    member_id: ctx.member_id.clone(),
                    diagnoses: Vec::new(),
                    lines: Vec::new(),
                    total_charge: amount(seg, 2, "the claim's total charge")?,
                });
                return Ok(done);
            }
            "HI" => {
                if let Some(claim) = open.as_mut() {
                    for n in 1..=seg.elements.len() {
                        if matches!(seg.component(n, 1), "ABK" | "ABF" | "BK" | "BF") {
                            claim.diagnoses.push(icd_from_x12(required(seg, n, 2, "a diagnosis code")?));
                        }
                    }
                }
            }
            "LX" => {
                if let Some(claim) = open.as_mut() {
                    close_line(claim, ctx)?;
                }
            }
            "SV1" => {
                if let Some(claim) = open.as_mut() {
                    claim.lines.push(read_sv1(seg, ctx)?);
                }
            }
            "DTP" if seg.element(1) == "472" => {
                if let Some(line) = open.as_mut().and_then(|c| c.lines.last_mut()) {
                    line.date_of_service = date(seg, 3, "the date of service as CCYYMMDD")?;
                }
            }
            _ => {}
        }
        Ok(None)
    }

    /// The set ended: the claim still open, if any.
    pub(super) fn close(&mut self) -> Result<Option<Claim>, ReadError> {
        finish(&mut self.open, &mut self.ctx)
    }
}

fn read_sv1(seg: &Segment, ctx: &Context) -> Result<ClaimLine, ReadError> {
    let code = required(seg, 1, 2, "the procedure code (HC:code)")?.to_string();
    let modifiers = seg.components(1).iter().skip(2).filter(|m| !m.is_empty()).map(|m| m.to_string()).collect();
    let mut dx_pointers = Vec::new();
    for (c, p) in seg.components(7).iter().enumerate() {
        let pointer = p.parse::<u8>().map_err(|_| invalid(seg, 7, Some(c + 1), p, "a diagnosis pointer 1-12"))?;
        dx_pointers.push(pointer);
    }
    let pos = seg.element(5);
    Ok(ClaimLine {
        code,
        modifiers,
        units: amount(seg, 4, "the service units")?,
        dx_pointers,
        place_of_service: if pos.is_empty() { ctx.place_of_service.clone() } else { pos.to_string() },
        // The DTP*472 that follows fills this in; close_line refuses a line that never got one.
        date_of_service: NO_DATE,
        rendering_npi: String::new(),
        charge: amount(seg, 2, "the line charge")?,
    })
}

const NO_DATE: Date = Date(jiff::civil::Date::ZERO);

/// A line's rendering provider is its own 2420A, else the claim's 2310B, else the billing provider.
fn close_line(claim: &mut Claim, ctx: &mut Context) -> Result<(), ReadError> {
    if let Some(line) = claim.lines.last_mut().filter(|l| l.rendering_npi.is_empty()) {
        line.rendering_npi = ctx
            .line_rendering
            .take()
            .or_else(|| ctx.claim_rendering.clone())
            .unwrap_or_else(|| ctx.billing_npi.clone());
        if line.date_of_service == NO_DATE {
            return Err(ReadError::MissingSegment {
                transaction: "837".into(),
                segment_id: "DTP",
                purpose: "the date of service (DTP*472) of a service line",
            });
        }
    }
    ctx.line_rendering = None;
    Ok(())
}

fn finish(open: &mut Option<Claim>, ctx: &mut Context) -> Result<Option<Claim>, ReadError> {
    let mut done = open.take();
    if let Some(claim) = done.as_mut() {
        close_line(claim, ctx)?;
    }
    ctx.claim_rendering = None;
    ctx.line_rendering = None;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{BILLING_NPI, RENDERING_NPI, claim, interchange, submission};
    use super::*;

    fn written(sub: &ClaimSubmission) -> String {
        let set = professional_claim(sub, 1).unwrap();
        interchange(1).with_group(1, vec![set]).to_x12()
    }

    fn segments(text: &str) -> Vec<&str> {
        text.split('~').collect()
    }

    #[test]
    fn writes_the_claim_loops_element_by_element() {
        let text = written(&submission(claim()));
        let segs = segments(&text);
        for expected in [
            "ST*837*0001*005010X222A1",
            "BHT*0019*00*BATCH0001*20261201*1430*CH",
            "NM1*41*2*Bayview Clinic*****46*BAYVIEW01",
            "NM1*40*2*Gulf Coast Clearinghouse*****46*GCCH01",
            "HL*1**20*1",
            "NM1*85*2*Bayview Clinic*****XX*1234567893",
            "N4*Tampa*FL*336061234",
            "REF*EI*591234567",
            "HL*2*1*22*0",
            "SBR*P*18*******MB",
            "NM1*IL*1*Lopez-Hernandez*Ana*Maria***MI*1EG4TE5MK72",
            "DMG*D8*19580312*F",
            "NM1*PR*2*MEDICARE*****PI*09102",
            "CLM*C123*250***11:B:1*Y*A*Y*Y",
            "HI*ABK:M1711*ABF:E1165*ABF:I10",
            "NM1*82*1*Raman*Priya****XX*1497758544",
            "SV1*HC:99214:25*150*UN*1***1:2",
            "SV1*HC:J3301*14.5*UN*4***1",
            "DTP*472*D8*20261201",
        ] {
            assert!(segs.contains(&expected), "missing {expected} in\n{}", text.replace('~', "~\n"));
        }
        assert_eq!(segs.iter().filter(|s| s.starts_with("LX*")).count(), 3);
    }

    #[test]
    fn a_write_read_round_trip_gives_back_the_same_claim() {
        let original = claim();
        let doc = Document::parse(&written(&submission(original.clone()))).unwrap();
        assert_eq!(read_837p(&doc).unwrap(), vec![original]);
    }

    #[test]
    fn rendering_and_place_of_service_survive_when_lines_differ() {
        let mut c = claim();
        c.lines[1].rendering_npi = BILLING_NPI.into();
        c.lines[2].place_of_service = "22".into();
        c.lines[2].modifiers = vec!["JZ".into(), "59".into(), "XU".into(), "76".into()];
        c.diagnoses = (0..12).map(|i| format!("E11.{i}")).collect();
        c.lines[2].dx_pointers = vec![12, 3, 2, 1];
        let text = written(&submission(c.clone()));
        assert!(text.contains("SV1*HC:J3301:JZ:59:XU:76*14.5*UN*4*22**12:3:2:1~"));
        assert!(text.contains("~NM1*82*1*1234567893*****XX*1234567893~"));
        let doc = Document::parse(&text).unwrap();
        assert_eq!(read_837p(&doc).unwrap(), vec![c]);
        let mut billing_only = claim();
        for line in &mut billing_only.lines {
            line.rendering_npi = BILLING_NPI.into();
        }
        let text = written(&submission(billing_only.clone()));
        assert!(!text.contains("NM1*82"), "no 2310B when the billing provider renders");
        assert_eq!(read_837p(&Document::parse(&text).unwrap()).unwrap(), vec![billing_only]);
        assert!(!text.contains(RENDERING_NPI));
    }

    #[test]
    fn refuses_what_the_guide_cannot_carry() {
        let mut c = claim();
        c.diagnoses = (0..13).map(|i| format!("E11.{i}")).collect();
        assert!(matches!(professional_claim(&submission(c), 1), Err(WriteError::TooMany { max: 12, .. })));
        let mut c = claim();
        c.lines[0].dx_pointers = vec![4];
        assert_eq!(
            professional_claim(&submission(c), 1).unwrap_err().to_string(),
            "claim C123 line 1 points at diagnosis 4; expected a pointer from 1 to 3"
        );
        let mut sub = submission(claim());
        sub.coverage.relationship = Relationship::Child;
        assert!(matches!(professional_claim(&sub, 1), Err(WriteError::DependentPatient { .. })));
    }

    #[test]
    fn reading_bad_values_names_the_element() {
        let text = written(&submission(claim())).replace("SV1*HC:99214:25*150*", "SV1*HC:99214:25*1X0*");
        let err = read_837p(&Document::parse(&text).unwrap()).unwrap_err();
        assert!(err.to_string().starts_with("SV102 (segment "), "{err}");
        let text = written(&submission(claim())).replace("*1:2~", "*1:Z~");
        let err = read_837p(&Document::parse(&text).unwrap()).unwrap_err();
        assert!(err.to_string().contains("SV107-2"), "{err}");
    }
}
