//! The five characters that give ER7 text its structure, as MSH-1 and MSH-2 declare them.

/// Each message declares its own delimiters in MSH-1/MSH-2, so nothing may assume `|^~\&`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub field: char,
    pub component: char,
    pub repetition: char,
    pub escape: char,
    pub subcomponent: char,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' }
    }
}

impl Delimiters {
    /// MSH-2 as written on the wire: component, repetition, escape, subcomponent.
    pub fn encoding_characters(&self) -> String {
        [self.component, self.repetition, self.escape, self.subcomponent].iter().collect()
    }

    /// Reads MSH-1 and MSH-2; `None` unless they are five distinct printable non-alphanumeric characters.
    ///
    /// MSH-2 may carry a fifth (v2.7 truncation) character, which this version ignores.
    pub fn from_header(field: char, encoding: &str) -> Option<Delimiters> {
        let mut chars = encoding.chars();
        let delimiters = Delimiters {
            field,
            component: chars.next()?,
            repetition: chars.next()?,
            escape: chars.next()?,
            subcomponent: chars.next()?,
        };
        let truncation = chars.next();
        if chars.next().is_some() {
            return None;
        }
        let all =
            [delimiters.field, delimiters.component, delimiters.repetition, delimiters.escape, delimiters.subcomponent];
        let usable = |c: &char| !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control();
        let distinct = all.iter().enumerate().all(|(i, c)| !all[..i].contains(c));
        let truncation_ok = truncation.is_none_or(|t| usable(&t) && !all.contains(&t));
        (all.iter().all(usable) && distinct && truncation_ok).then_some(delimiters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_delimiters_round_trip_through_msh_2() {
        let d = Delimiters::default();
        assert_eq!(d.encoding_characters(), "^~\\&");
        assert_eq!(Delimiters::from_header('|', &d.encoding_characters()), Some(d));
    }

    #[test]
    fn rejects_repeated_alphanumeric_or_short_encoding_characters() {
        assert_eq!(Delimiters::from_header('|', "^~\\"), None);
        assert_eq!(Delimiters::from_header('|', "^^\\&"), None);
        assert_eq!(Delimiters::from_header('|', "^~\\A"), None);
        assert_eq!(Delimiters::from_header('^', "^~\\&"), None);
        assert_eq!(Delimiters::from_header('|', "^~\\&#!"), None);
        assert!(Delimiters::from_header('|', "^~\\&#").is_some());
    }
}
