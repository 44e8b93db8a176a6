//! The X12 segment: an id and elements, each element repetitions of components, and the delimiters that join them.

use compact_str::CompactString;
use smallvec::{SmallVec, smallvec};

/// One value of an element. Nearly every X12 value (a code, a date, an amount, a name) fits in 24 bytes and is
/// held inline: reading a segment allocates for its list of elements, not for each of their values.
pub type Value = CompactString;

/// The components of one repetition: most elements have one, held without a list of its own.
pub type Components = SmallVec<[Value; 1]>;

/// The four characters an interchange declares in its ISA header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub element: char,
    pub repetition: char,
    pub component: char,
    pub segment: char,
}

impl Default for Delimiters {
    /// The delimiters most clearinghouses expect from a practice.
    fn default() -> Self {
        Delimiters { element: '*', repetition: '^', component: ':', segment: '~' }
    }
}

impl Delimiters {
    fn contains(&self, c: char) -> bool {
        c == self.element || c == self.repetition || c == self.component || c == self.segment
    }
}

/// One element: its repetitions, each a list of components. Most elements have one of each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element(pub SmallVec<[Components; 1]>);

impl Element {
    pub fn simple(value: impl Into<Value>) -> Element {
        Element(smallvec![smallvec![value.into()]])
    }

    pub fn composite<S: AsRef<str>>(components: &[S]) -> Element {
        Element(smallvec![components.iter().map(|c| Value::from(c.as_ref())).collect()])
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|rep| rep.iter().all(Value::is_empty))
    }
}

impl From<&str> for Element {
    fn from(value: &str) -> Element {
        Element::simple(value)
    }
}

impl From<String> for Element {
    fn from(value: String) -> Element {
        Element::simple(value)
    }
}

/// A segment as read (with its 1-based position from ISA) or as about to be written (position 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub index: usize,
    pub id: Value,
    /// Elements from position 1; `elements[0]` is element 01.
    pub elements: Vec<Element>,
}

impl Segment {
    pub fn new(id: &str, elements: Vec<Element>) -> Segment {
        Segment { index: 0, id: id.into(), elements }
    }

    /// Shorthand for segments whose elements are all simple.
    pub fn simple(id: &str, values: &[&str]) -> Segment {
        Segment::new(id, values.iter().map(|v| Element::simple(*v)).collect())
    }

    /// Element `n` (1-based), first repetition, first component; empty when absent.
    pub fn element(&self, n: usize) -> &str {
        self.component(n, 1)
    }

    /// Component `c` of element `n`, both 1-based, from the first repetition; empty when absent.
    pub fn component(&self, n: usize, c: usize) -> &str {
        self.components(n).get(c.wrapping_sub(1)).map(Value::as_str).unwrap_or("")
    }

    /// Every component of element `n`'s first repetition.
    pub fn components(&self, n: usize) -> &[Value] {
        self.repetitions(n).first().map(|r| r.as_slice()).unwrap_or(&[])
    }

    pub fn repetitions(&self, n: usize) -> &[Components] {
        self.elements.get(n.wrapping_sub(1)).map(|e| e.0.as_slice()).unwrap_or(&[])
    }

    /// The segment as text without its terminator. X12 has no escape sequence, so a delimiter inside a value
    /// would change the structure: it is written as a space. Trailing empty elements and components are dropped,
    /// as the standard requires.
    pub fn render(&self, d: &Delimiters) -> String {
        let mut out = String::new();
        self.render_into(d, &mut out);
        out
    }

    /// [`Segment::render`], onto the end of `out`: an interchange is written into one string, not a string for
    /// every element, repetition and component of it.
    pub fn render_into(&self, d: &Delimiters, out: &mut String) {
        out.push_str(&self.id);
        // Where the text ends once trailing empty elements are dropped.
        let mut kept = out.len();
        for element in &self.elements {
            out.push(d.element);
            if element.is_empty() {
                continue;
            }
            for (r, repetition) in element.0.iter().enumerate() {
                if r > 0 {
                    out.push(d.repetition);
                }
                // Where the repetition ends once trailing empty components are dropped.
                let mut filled = out.len();
                for (c, component) in repetition.iter().enumerate() {
                    if c > 0 {
                        out.push(d.component);
                    }
                    if component.contains(|c| d.contains(c)) {
                        out.extend(component.chars().map(|c| if d.contains(c) { ' ' } else { c }));
                    } else {
                        out.push_str(component);
                    }
                    if !component.is_empty() {
                        filled = out.len();
                    }
                }
                out.truncate(filled);
            }
            kept = out.len();
        }
        out.truncate(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_composites_and_drops_trailing_empties() {
        let seg = Segment::new(
            "SV1",
            vec![Element::composite(&["HC", "99214", "25", ""]), "150".into(), "UN".into(), "1".into(), "".into()],
        );
        assert_eq!(seg.render(&Delimiters::default()), "SV1*HC:99214:25*150*UN*1");
    }

    #[test]
    fn delimiters_inside_values_cannot_break_structure() {
        let seg = Segment::simple("N3", &["12 Pipe*Caret~St:3^"]);
        assert_eq!(seg.render(&Delimiters::default()), "N3*12 Pipe Caret St 3 ");
    }

    #[test]
    fn keeps_empty_elements_and_repetitions_between_filled_ones() {
        let seg = Segment::new(
            "HI",
            vec![
                "".into(),
                Element(smallvec![
                    smallvec!["ABK".into(), "".into()],
                    smallvec!["".into()],
                    smallvec!["ABF".into(), "E11".into()]
                ]),
                Element::composite(&["", ""]),
                "X".into(),
                Element::composite(&["", ""]),
            ],
        );
        assert_eq!(seg.render(&Delimiters::default()), "HI**ABK^^ABF:E11**X");
    }

    #[test]
    fn absent_elements_read_as_empty() {
        let seg = Segment::simple("LX", &["1"]);
        assert_eq!(seg.element(1), "1");
        assert_eq!(seg.element(9), "");
        assert_eq!(seg.component(0, 0), "");
    }
}
