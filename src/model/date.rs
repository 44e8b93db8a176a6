//! Calendar dates and wall-clock times as scenarios write them and FHIR carries them.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date (`YYYY-MM-DD`), such as a birth date or a date of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub jiff::civil::Date);

/// A wall-clock time in the practice's day (`YYYY-MM-DDTHH:MM`), such as an appointment start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub jiff::civil::DateTime);

impl Date {
    pub fn new(year: i16, month: i8, day: i8) -> Option<Date> {
        jiff::civil::Date::new(year, month, day).ok().map(Date)
    }
}

impl DateTime {
    pub fn date(&self) -> Date {
        Date(self.0.date())
    }
}

impl FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // FHIR dates may carry a time; only the calendar day matters here.
        let day = s.get(..10).unwrap_or(s);
        day.parse::<jiff::civil::Date>()
            .map(Date)
            .map_err(|_| format!("`{s}` is not a date; write it as YYYY-MM-DD, for example 1958-03-12"))
    }
}

impl FromStr for DateTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
            return Ok(DateTime(dt));
        }
        // FHIR instants carry an offset; the practice's wall clock is what the scenario wrote.
        if let Ok(zoned) = s.parse::<jiff::Timestamp>() {
            return Ok(DateTime(zoned.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime()));
        }
        Err(format!("`{s}` is not a date and time; write it as YYYY-MM-DDTHH:MM, for example 2026-12-01T09:00"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%dT%H:%M"))
    }
}

macro_rules! string_serde {
    ($ty:ty, $format:literal, $example:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "format": $format, "examples": [$example] })
            }
        }
    };
}

string_serde!(Date, "date", "1958-03-12");
string_serde!(DateTime, "date-time-local", "2026-12-01T09:00");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fhir_instants_as_wall_clock() {
        let dt: DateTime = "2026-12-01T09:00:00Z".parse().unwrap();
        assert_eq!(dt.to_string(), "2026-12-01T09:00");
        let dt: DateTime = "2026-12-01T09:00".parse().unwrap();
        assert_eq!(dt.to_string(), "2026-12-01T09:00");
    }

    #[test]
    fn rejects_a_day_that_does_not_exist() {
        let err = "2026-02-30".parse::<Date>().unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{err}");
    }
}
