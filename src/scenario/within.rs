//! How long a scenario will wait for something to arrive (`30s`, `500ms`, `2m`).

use std::borrow::Cow;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Within(pub Duration);

impl std::str::FromStr for Within {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a duration; write a number and a unit: 500ms, 30s, 2m or 1h");
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit.trim() {
            "ms" => number / 1000.0,
            "s" => number,
            "m" | "min" => number * 60.0,
            "h" => number * 3600.0,
            _ => return Err(bad()),
        };
        if !seconds.is_finite() || seconds > 86_400.0 {
            return Err(format!("`{text}` is longer than a day; a scenario waits at most 24h"));
        }
        Ok(Within(Duration::from_secs_f64(seconds)))
    }
}

impl std::fmt::Display for Within {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) { write!(f, "{}s", ms / 1000) } else { write!(f, "{ms}ms") }
    }
}

impl Serialize for Within {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Within {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Within {
    fn schema_name() -> Cow<'static, str> {
        "Within".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]+)?(ms|s|m|min|h)$",
            "examples": ["30s", "500ms", "2m"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_unit() {
        assert_eq!("500ms".parse::<Within>().unwrap().0, Duration::from_millis(500));
        assert_eq!("30s".parse::<Within>().unwrap().0, Duration::from_secs(30));
        assert_eq!("2m".parse::<Within>().unwrap().0, Duration::from_secs(120));
        assert_eq!("1.5s".parse::<Within>().unwrap().0, Duration::from_millis(1500));
    }

    #[test]
    fn refuses_a_bare_number_with_a_hint() {
        let err = "30".parse::<Within>().unwrap_err();
        assert!(err.contains("500ms, 30s"), "{err}");
    }
}
