//! Writing an interchange: the fixed-width ISA, one GS/GE group per transaction kind and ST/SE around each set,
//! with the counts computed here and every control number passed in, so the same input always gives the same text.

use crate::model::DateTime;

use super::segment::{Delimiters, Segment};

/// Who sends or receives the interchange: an ISA05/ISA07 qualifier (`ZZ` mutually defined, `30` tax id) and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub qualifier: String,
    pub id: String,
}

/// What varies between two sends of the same content.
#[derive(Debug, Clone, PartialEq)]
pub struct InterchangeHeader {
    pub sender: Party,
    pub receiver: Party,
    pub created: DateTime,
    /// ISA13/IEA02; written as nine digits.
    pub control_number: u32,
    /// ISA15: `P` when true, `T` (test) otherwise.
    pub production: bool,
    /// ISA14: ask the receiver for a TA1.
    pub ack_requested: bool,
}

/// One transaction set's content between ST and SE; the envelope adds those two.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionSet {
    /// ST01: `837`, `270`, ...
    pub id: String,
    /// ST03 and GS08: the implementation guide, such as `005010X222A1`.
    pub version: String,
    /// ST02/SE02; written with at least four digits.
    pub control_number: u32,
    pub body: Vec<Segment>,
}

impl TransactionSet {
    /// GS01, the functional identifier a set of this kind travels under.
    pub fn functional_id(&self) -> &'static str {
        match self.id.as_str() {
            "837" => "HC",
            "270" => "HS",
            "271" => "HB",
            "276" => "HR",
            "277" => "HN",
            "835" => "HP",
            "999" => "FA",
            _ => "ZZ",
        }
    }

    /// ST, the body, then SE with the count of segments from ST to SE inclusive.
    pub fn segments(&self) -> Vec<Segment> {
        let (st, se) = self.envelope();
        let mut out = Vec::with_capacity(self.body.len() + 2);
        out.push(st);
        out.extend(self.body.iter().cloned());
        out.push(se);
        out
    }

    /// The ST and the SE around the body.
    fn envelope(&self) -> (Segment, Segment) {
        let control = format!("{:04}", self.control_number);
        // The 835 guide does not use ST03; every other 005010 guide requires it.
        let version = if self.id == "835" { "" } else { self.version.as_str() };
        let st = Segment::simple("ST", &[&self.id, &control, version]);
        let count = (self.body.len() + 2).to_string();
        let se = Segment::simple("SE", &[&count, &control]);
        (st, se)
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Group {
    control_number: u32,
    sets: Vec<TransactionSet>,
}

/// An interchange under construction: a header, then groups of transaction sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Interchange {
    pub header: InterchangeHeader,
    pub delimiters: Delimiters,
    groups: Vec<Group>,
}

impl Interchange {
    pub fn new(header: InterchangeHeader) -> Interchange {
        Interchange { header, delimiters: Delimiters::default(), groups: Vec::new() }
    }

    /// Adds a GS/GE group; its functional id and version come from the first set, as a group holds one kind.
    pub fn with_group(mut self, control_number: u32, sets: Vec<TransactionSet>) -> Interchange {
        self.groups.push(Group { control_number, sets });
        self
    }

    /// Every segment after the ISA, in order.
    pub fn segments(&self) -> Vec<Segment> {
        let mut out = Vec::new();
        self.each_segment(|seg| out.push(seg.clone()));
        out
    }

    /// Each segment after the ISA, in order, lent rather than copied: the sets' bodies are written as they are.
    fn each_segment(&self, mut each: impl FnMut(&Segment)) {
        let h = &self.header;
        let date = h.created.0.strftime("%Y%m%d").to_string();
        let time = h.created.0.strftime("%H%M").to_string();
        for group in &self.groups {
            let (functional_id, version) =
                group.sets.first().map(|s| (s.functional_id(), s.version.as_str())).unwrap_or(("ZZ", ""));
            let control = group.control_number.to_string();
            each(&Segment::simple(
                "GS",
                &[functional_id, &h.sender.id, &h.receiver.id, &date, &time, &control, "X", version],
            ));
            for set in &group.sets {
                let (st, se) = set.envelope();
                each(&st);
                set.body.iter().for_each(&mut each);
                each(&se);
            }
            each(&Segment::simple("GE", &[&group.sets.len().to_string(), &control]));
        }
        each(&Segment::simple("IEA", &[&self.groups.len().to_string(), &self.isa_control()]));
    }

    fn isa_control(&self) -> String {
        format!("{:09}", self.header.control_number % 1_000_000_000)
    }

    /// The ISA, built by hand because its fields are fixed width and ISA11/ISA16 are delimiters themselves.
    fn isa(&self) -> String {
        let h = &self.header;
        let d = &self.delimiters;
        let fields = [
            "00".to_string(),
            fixed("", 10),
            "00".to_string(),
            fixed("", 10),
            fixed(&h.sender.qualifier, 2),
            fixed(&h.sender.id, 15),
            fixed(&h.receiver.qualifier, 2),
            fixed(&h.receiver.id, 15),
            h.created.0.strftime("%y%m%d").to_string(),
            h.created.0.strftime("%H%M").to_string(),
            d.repetition.to_string(),
            "00501".to_string(),
            self.isa_control(),
            if h.ack_requested { "1" } else { "0" }.to_string(),
            if h.production { "P" } else { "T" }.to_string(),
            d.component.to_string(),
        ];
        let mut out = "ISA".to_string();
        for f in fields {
            out.push(d.element);
            out.push_str(&f);
        }
        out
    }

    /// The interchange as one line of text, each segment ended by the terminator.
    pub fn to_x12(&self) -> String {
        let d = &self.delimiters;
        let body: usize = self.groups.iter().flat_map(|g| &g.sets).map(|s| s.body.len() + 2).sum();
        // Room for what most segments take, so the text is not copied each time it outgrows its buffer.
        let mut out = String::with_capacity(128 + 48 * (body + 3 * self.groups.len()));
        out.push_str(&self.isa());
        out.push(d.segment);
        self.each_segment(|seg| {
            seg.render_into(d, &mut out);
            out.push(d.segment);
        });
        out
    }
}

/// Left-aligned and space-padded to exactly `width` characters, cut if longer: the ISA does not stretch.
fn fixed(value: &str, width: usize) -> String {
    let cut: String = value.chars().filter(char::is_ascii).take(width).collect();
    format!("{cut:<width$}")
}
