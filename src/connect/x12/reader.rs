//! What every transaction reader needs: find the transaction, take a value from a segment, and say exactly where
//! one was missing or malformed; plus the X12 spellings of amounts, dates and ICD-10-CM codes.

use crate::model::Date;

use super::error::{Location, ReadError, excerpt};
use super::parse::{Document, Transaction};
use super::segment::Segment;

pub fn location(seg: &Segment, element: usize, component: Option<usize>) -> Location {
    Location::new(seg.index, &seg.id, element, component)
}

/// The transaction sets of one kind; an interchange of another kind is refused with the ST that says so.
pub fn transactions<'d>(
    doc: &'d Document,
    id: &str,
    expected: &'static str,
) -> Result<Vec<Transaction<'d>>, ReadError> {
    let all = doc.transactions();
    let wanted: Vec<Transaction<'d>> = all.iter().copied().filter(|t| t.id() == id).collect();
    if wanted.is_empty() {
        return Err(no_transaction(all.first().and_then(|t| t.segments.first()), id, expected));
    }
    Ok(wanted)
}

/// An interchange without a set of the kind wanted: named by its first ST, if it has one.
pub fn no_transaction(first_st: Option<&Segment>, id: &str, expected: &'static str) -> ReadError {
    match first_st {
        Some(st) => {
            ReadError::WrongTransaction { location: location(st, 1, None), found: excerpt(st.element(1)), expected }
        }
        None => ReadError::MissingSegment { transaction: id.into(), segment_id: "ST", purpose: expected },
    }
}

/// Component `c` of element `n`, or an error naming the spot and what belongs there.
pub fn required<'s>(seg: &'s Segment, n: usize, c: usize, expected: &'static str) -> Result<&'s str, ReadError> {
    let value = seg.component(n, c);
    if value.is_empty() {
        let component = (seg.components(n).len() > 1 || c > 1).then_some(c);
        return Err(ReadError::MissingValue { location: location(seg, n, component), expected });
    }
    Ok(value)
}

pub fn invalid(seg: &Segment, n: usize, component: Option<usize>, found: &str, expected: &'static str) -> ReadError {
    ReadError::InvalidValue { location: location(seg, n, component), found: excerpt(found), expected }
}

/// The person an NM1 names: NM103 the family name, NM104 and NM105 the given and middle names.
pub fn person_name(seg: &Segment) -> crate::model::HumanName {
    crate::model::HumanName {
        given: [seg.element(4), seg.element(5)].iter().filter(|g| !g.is_empty()).map(|g| g.to_string()).collect(),
        family: seg.element(3).to_string(),
    }
}

/// A required decimal element, such as a charge or a paid amount.
pub fn amount(seg: &Segment, n: usize, expected: &'static str) -> Result<f64, ReadError> {
    let text = required(seg, n, 1, expected)?;
    parse_amount(text).ok_or_else(|| invalid(seg, n, None, text, expected))
}

/// An optional decimal element: empty reads as `None`, garbage is still an error.
pub fn optional_amount(seg: &Segment, n: usize, expected: &'static str) -> Result<Option<f64>, ReadError> {
    let text = seg.element(n);
    if text.is_empty() {
        return Ok(None);
    }
    parse_amount(text).map(Some).ok_or_else(|| invalid(seg, n, None, text, expected))
}

fn parse_amount(text: &str) -> Option<f64> {
    let valid = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    text.parse::<f64>().ok().filter(|v| valid && v.is_finite())
}

/// A `CCYYMMDD` date, or the first day of an `RD8` range `CCYYMMDD-CCYYMMDD`.
pub fn date(seg: &Segment, n: usize, expected: &'static str) -> Result<Date, ReadError> {
    let text = required(seg, n, 1, expected)?;
    let day = text.get(..8).unwrap_or(text);
    let parsed = (day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()))
        .then(|| Date::new(day[..4].parse().ok()?, day[4..6].parse().ok()?, day[6..].parse().ok()?))
        .flatten();
    parsed.ok_or_else(|| invalid(seg, n, None, text, expected))
}

/// X12 decimals carry no trailing zeros and no needless point: 250.00 is `250`, 12.50 is `12.5`.
pub fn format_amount(value: f64) -> String {
    // Most amounts are whole cents, written from the integer: `{:.2}` takes the float's exact (slow) path. When
    // `value * 100` is an integer below 2^50 the float is within far less than half a cent of it, so rounding it
    // to two places gives the same text.
    let cents = value * 100.0;
    if cents == cents.trunc() && cents.abs() < (1u64 << 50) as f64 {
        let cents = cents as i64;
        let (whole, part) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
        let sign = if cents < 0 { "-" } else { "" };
        return match part {
            0 => format!("{sign}{whole}"),
            _ if part % 10 == 0 => format!("{sign}{whole}.{}", part / 10),
            _ => format!("{sign}{whole}.{part:02}"),
        };
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text.is_empty() { "0".into() } else { text.into() }
}

pub fn format_date(date: Date) -> String {
    date.0.strftime("%Y%m%d").to_string()
}

/// ICD-10-CM codes travel in X12 without their dot (`E11.65` is `E1165`).
pub fn icd_to_x12(code: &str) -> String {
    code.chars().filter(|c| *c != '.').collect::<String>().to_ascii_uppercase()
}

/// The dot goes back after the third character, where ICD-10-CM always puts it.
pub fn icd_from_x12(code: &str) -> String {
    match (code.get(..3), code.get(3..)) {
        (Some(head), Some(tail)) if !tail.is_empty() && !code.contains('.') => format!("{head}.{tail}"),
        _ => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_without_needless_zeros() {
        assert_eq!(format_amount(250.0), "250");
        assert_eq!(format_amount(12.5), "12.5");
        assert_eq!(format_amount(99.999), "100");
        assert_eq!(format_amount(-0.001), "0");
        assert_eq!(format_amount(-35.25), "-35.25");
        assert_eq!(format_amount(0.05), "0.05");
        assert_eq!(format_amount(100.1), "100.1");
        assert_eq!(format_amount(-0.0), "0");
        assert_eq!(format_amount(1e20), "100000000000000000000");
    }

    #[test]
    fn whole_cents_are_written_as_rounding_to_two_places_writes_them() {
        let slow = |value: f64| {
            let text = format!("{value:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.').to_string();
            if text == "-0" || text.is_empty() { "0".to_string() } else { text }
        };
        for cents in -20_000..20_000 {
            let value = cents as f64 / 100.0;
            assert_eq!(format_amount(value), slow(value), "{value}");
        }
        for value in [0.29, 0.57, 1.005, 2.675, 12345678.91, 0.125, -0.125, 1e-9, 99.995] {
            assert_eq!(format_amount(value), slow(value), "{value}");
        }
    }

    #[test]
    fn icd_codes_lose_and_regain_their_dot() {
        assert_eq!(icd_to_x12("E11.65"), "E1165");
        assert_eq!(icd_from_x12("E1165"), "E11.65");
        assert_eq!(icd_from_x12("I10"), "I10");
        assert_eq!(icd_from_x12("M1"), "M1");
    }

    #[test]
    fn garbage_amounts_and_dates_are_located() {
        let seg = Segment::simple("CLP", &["C1", "1", "1e9", "abc"]);
        let err = amount(&Segment { index: 7, ..seg.clone() }, 3, "the claim charge").unwrap_err();
        assert_eq!(err.to_string(), "CLP03 (segment 7) is `1e9`; expected the claim charge");
        assert!(date(&Segment::simple("DTP", &["472", "D8", "2026133"]), 3, "a date").is_err());
        assert!(date(&Segment::simple("DTP", &["472", "D8", "20260230"]), 3, "a date").is_err());
    }
}
