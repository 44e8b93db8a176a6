//! The text forms of HL7 primitive values this module writes and reads: DT, DTM and NM.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::model::{Date, DateTime};

/// DT: `YYYYMMDD`.
pub fn format_date(date: Date) -> String {
    date.0.strftime("%Y%m%d").to_string()
}

/// DTM to the minute, `YYYYMMDDHHMM`, for a wall-clock time in the practice's day (no offset: the model has none).
pub fn format_minute(time: DateTime) -> String {
    time.0.strftime("%Y%m%d%H%M").to_string()
}

/// DTM to the second with an explicit UTC offset, for when a message was sent.
pub fn format_timestamp(at: Timestamp) -> String {
    at.to_zoned_datetime(TimeZone::UTC).strftime("%Y%m%d%H%M%S+0000").to_string()
}

/// The calendar day of a DT or DTM; senders often put a full DTM where a date is asked for.
pub fn parse_date(text: &str) -> Option<Date> {
    let digits = text.get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits.get(..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    Date::new(year, month, day)
}

/// The wall-clock minute of a DTM (`YYYYMMDD[HHMM[SS[.S]]][+ZZZZ]`); seconds and offset are dropped because an
/// appointment is booked to the minute in the practice's own time.
pub fn parse_minute(text: &str) -> Option<DateTime> {
    let date = parse_date(text)?;
    let time = text.get(8..).unwrap_or_default();
    let two = |range: std::ops::Range<usize>| -> Option<i8> {
        let part = time.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (hour, minute) = match (two(0..2), two(2..4)) {
        (Some(h), Some(m)) => (h, m),
        (Some(h), None) => (h, 0),
        _ => (0, 0),
    };
    let clock = jiff::civil::Time::new(hour, minute, 0, 0).ok()?;
    Some(DateTime(date.0.to_datetime(clock)))
}

/// A DTM with its offset as an instant; a DTM without an offset is taken as UTC.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let (local, offset) = match text.find(['+', '-']) {
        Some(at) => (text.get(..at)?, text.get(at..)?),
        None => (text, "+0000"),
    };
    let digits = local.split('.').next().unwrap_or_default();
    if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{digits:0<14}");
    let stamp = format!("{padded}{offset}");
    Timestamp::strptime("%Y%m%d%H%M%S%z", &stamp).ok()
}

/// NM as people write it: whole numbers without a decimal point (`1`, not `1.0`).
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { value.to_string() }
}

/// NM: an optional sign, digits and at most one decimal point, nothing else.
pub fn parse_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let well_formed = !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && unsigned.bytes().filter(|b| *b == b'.').count() <= 1
        && unsigned != ".";
    if well_formed { text.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_use_hl7_forms() {
        assert_eq!(format_date("1958-03-12".parse().unwrap()), "19580312");
        assert_eq!(format_minute("2026-12-01T09:05".parse().unwrap()), "202612010905");
        let at: Timestamp = "2026-12-01T14:30:05Z".parse().unwrap();
        assert_eq!(format_timestamp(at), "20261201143005+0000");
    }

    #[test]
    fn reads_what_senders_actually_send() {
        let day = "1958-03-12".parse::<Date>().unwrap();
        assert_eq!(parse_date("19580312"), Some(day));
        assert_eq!(parse_date("195803121200-0500"), Some(day));
        assert_eq!(parse_date("1958031"), None);
        assert_eq!(parse_date("19580230"), None);
        assert_eq!(parse_date("1958-03-"), None);
        assert_eq!(parse_minute("202612010900"), Some("2026-12-01T09:00".parse().unwrap()));
        assert_eq!(parse_minute("20261201093015.5-0500"), Some("2026-12-01T09:30".parse().unwrap()));
        assert_eq!(parse_minute("2026120109"), Some("2026-12-01T09:00".parse().unwrap()));
        assert_eq!(parse_minute("202612012599"), None);
        let at: Timestamp = "2026-12-01T19:30:05Z".parse().unwrap();
        assert_eq!(parse_timestamp("20261201143005-0500"), Some(at));
        assert_eq!(parse_timestamp("20261201193005.123"), Some(at));
        assert_eq!(parse_timestamp("2026120119"), Some("2026-12-01T19:00:00Z".parse().unwrap()));
        assert_eq!(parse_timestamp("garbage"), None);
    }

    #[test]
    fn numbers_round_trip_without_noise() {
        for (value, text) in [(1.0, "1"), (2.5, "2.5"), (0.333, "0.333"), (-4.0, "-4")] {
            assert_eq!(format_number(value), text);
            assert_eq!(parse_number(text), Some(value));
        }
        for bad in ["", ".", "1.2.3", "1e3", "NaN", "inf", "1,5"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
