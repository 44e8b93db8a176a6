//! JSON fields read the way `serde_json::Value`'s accessors read them (a field of the wrong type is absent, not an
//! error), but straight from an answer's bytes: a reader names the few fields it needs and every other is skipped
//! unbuilt, where a `Value` built a map for every object and a string for every field of every answer.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What each lenient field keeps of a JSON value; whatever it does not take reads as its default.
trait Lenient<'de>: Default {
    fn string(_: String) -> Self {
        Self::default()
    }
    fn number(_: Number) -> Self {
        Self::default()
    }
    fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        IgnoredAny::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Self::default())
    }
    fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        IgnoredAny::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Self::default())
    }
}

/// A JSON number as the parser gave it.
#[derive(Clone, Copy)]
enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_u64<E>(self, v: u64) -> Result<T, E> {
        Ok(T::number(Number::Unsigned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<T, E> {
        Ok(T::number(Number::Signed(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<T, E> {
        Ok(T::number(Number::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<T, E> {
        Ok(T::string(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<T, E> {
        Ok(T::string(v))
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_none<E>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::map(map)
    }
}

macro_rules! deserialize_leniently {
    ($name:ident $(<$param:ident>)?) => {
        impl<'de, $($param: Deserialize<'de> + Default)?> Deserialize<'de> for $name $(<$param>)? {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(LenientVisitor(PhantomData))
            }
        }
    };
}

/// A string field: `Value::as_str`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl Text {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }

    pub fn is(&self, wanted: &str) -> bool {
        self.0.as_deref() == Some(wanted)
    }

    /// As a `Value` shows it in a message: quoted, or `null`.
    pub fn shown(&self) -> String {
        match &self.0 {
            Some(text) => serde_json::Value::from(text.as_str()).to_string(),
            None => "null".into(),
        }
    }
}

impl Lenient<'_> for Text {
    fn string(v: String) -> Self {
        Text(Some(v))
    }
}
deserialize_leniently!(Text);

/// A count or a sequence number: `Value::as_u64` (a non-negative integer; not a float, however whole).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count(pub Option<u64>);

impl Lenient<'_> for Count {
    fn number(n: Number) -> Self {
        Count(match n {
            Number::Unsigned(v) => Some(v),
            Number::Signed(v) => u64::try_from(v).ok(),
            Number::Float(_) => None,
        })
    }
}
deserialize_leniently!(Count);

/// An amount or a quantity: `Value::as_f64` (any number).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Amount(pub Option<f64>);

impl Lenient<'_> for Amount {
    fn number(n: Number) -> Self {
        Amount(Some(match n {
            Number::Unsigned(v) => v as f64,
            Number::Signed(v) => v as f64,
            Number::Float(v) => v,
        }))
    }
}
deserialize_leniently!(Amount);

/// An array field: `Value::as_array`, empty when absent or not an array. Its items should be lenient themselves
/// (`Obj`, `Text`, ...), so that an item of the wrong kind is read as empty rather than failing the whole answer.
#[derive(Debug, Clone, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> std::ops::Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> IntoIterator for List<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'de, T: Deserialize<'de>> Lenient<'de> for List<T> {
    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(List(items))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

/// An object field read into `T` (a struct of lenient fields with `#[serde(default)]`): `T::default()` when the
/// value is absent or not an object, as `Value::get` on it finds nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obj<T>(pub T);

impl<T> std::ops::Deref for Obj<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: Deserialize<'de> + Default> Lenient<'de> for Obj<T> {
    fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Obj)
    }
}
deserialize_leniently!(Obj<T>);

/// For `#[serde(deserialize_with = "present")]`: `Some` whenever the field is there, whatever it holds (`null`
/// too), so a reader can tell a field that is absent from one that is empty.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `T` read from a `Value` the way it is read from bytes; lenient fields never fail on a `Value`, whose objects
/// cannot hold a key twice.
pub fn from_value<T: for<'de> Deserialize<'de> + Default>(value: &serde_json::Value) -> T {
    Obj::<T>::deserialize(value).map(|o| o.0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, rename_all = "camelCase")]
    struct Sample {
        name: Text,
        order: Count,
        value: Amount,
        tags: List<Text>,
        inner: Obj<Inner>,
        #[serde(deserialize_with = "present")]
        period: Option<Obj<Inner>>,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        code: Text,
    }

    fn read(text: &str) -> Sample {
        serde_json::from_str::<Obj<Sample>>(text).unwrap().0
    }

    #[test]
    fn fields_of_the_wrong_kind_read_as_absent_like_value_accessors() {
        let sample = read(
            r#"{"name": 7, "order": 1.0, "value": "12", "tags": {"a": 1}, "inner": ["x"], "period": null, "extra": [{}]}"#,
        );
        assert_eq!(sample.name.0, None);
        assert_eq!(sample.order.0, None);
        assert_eq!(sample.value.0, None);
        assert!(sample.tags.is_empty());
        assert_eq!(sample.inner.code.0, None);
        assert_eq!(sample.period, Some(Obj(Inner::default())));
    }

    #[test]
    fn fields_of_the_right_kind_are_read_with_escapes_and_mixed_lists() {
        let sample = read(
            r#"{"name": "O\u0027Connor", "order": 2, "value": -3, "tags": ["a", 1, "b"], "inner": {"code": "Z"}}"#,
        );
        assert_eq!(sample.name.as_deref(), Some("O'Connor"));
        assert_eq!(sample.order.0, Some(2));
        assert_eq!(sample.value.0, Some(-3.0));
        assert_eq!(sample.tags.iter().filter_map(Text::as_deref).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(sample.inner.code.as_deref(), Some("Z"));
        assert_eq!(sample.period, None);
        assert_eq!(read(r#"{"order": -1}"#).order.0, None);
    }

    #[test]
    fn reads_the_same_from_a_value_as_from_bytes() {
        let text =
            r#"{"name": "Ana", "order": 2, "value": 1.5, "tags": ["a", null], "inner": {"code": "Z"}, "period": {}}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(from_value::<Sample>(&value), read(text));
        assert_eq!(from_value::<Sample>(&json!("not an object")), Sample::default());
    }

    #[test]
    fn a_broken_body_is_an_error_with_its_line_and_column() {
        let error = serde_json::from_str::<Obj<Sample>>("{\"name\": \"Ana\",\n \"order\": }").unwrap_err();
        assert_eq!(error.to_string(), "expected value at line 2 column 11");
    }
}
