//! Lenient wire types for values the documentation sends in more than one JSON form.

use std::fmt;
use std::num::NonZeroU32;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A record count sent as a JSON integer (templates) or a string of digits (Workspace
/// members); both decode, and it is encoded as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Count(pub u64);

impl Count {
    /// The count.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

/// Decodes a non-negative whole number from a JSON integer, a whole float or a digit string.
struct WholeNumber(&'static str);

impl Visitor<'_> for WholeNumber {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as an integer or a string of digits", self.0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v.fract() == 0.0 && (0.0..1e18).contains(&v) {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::invalid_value(de::Unexpected::Str(v), &self));
        }
        v.parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(WholeNumber("a record count"))
            .map(Count)
    }
}

/// A signer's signing-order group, from 1.
///
/// The request schema declares it a string while every example sends an integer, and
/// responses declare a number: it decodes from either and is sent as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignerGroup(NonZeroU32);

/// A signer group of 0: groups start at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("signer groups start at 1")]
pub struct SignerGroupError;

impl SignerGroup {
    /// The first group.
    pub const FIRST: SignerGroup = SignerGroup(NonZeroU32::MIN);

    /// Group `number`, from 1.
    pub fn new(number: u32) -> Result<Self, SignerGroupError> {
        NonZeroU32::new(number).map(Self).ok_or(SignerGroupError)
    }

    /// The group number.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl TryFrom<u32> for SignerGroup {
    type Error = SignerGroupError;
    fn try_from(number: u32) -> Result<Self, SignerGroupError> {
        Self::new(number)
    }
}

impl fmt::Display for SignerGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for SignerGroup {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.get())
    }
}

impl<'de> Deserialize<'de> for SignerGroup {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = deserializer.deserialize_any(WholeNumber("a signer group"))?;
        u32::try_from(n)
            .ok()
            .and_then(NonZeroU32::new)
            .map(SignerGroup)
            .ok_or_else(|| de::Error::custom(format_args!("signer group {n} is not 1 or more")))
    }
}

/// A URL that grants access by itself (`sign_url`, `signed_url`, `details_url`, file
/// URLs): whoever holds it can sign or download. `Debug` and `Display` show its scheme,
/// host and path, never its query or fragment (where the signature lives); the full URL
/// is available only through [`SignedUrl::expose`].
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SignedUrl(String);

impl SignedUrl {
    /// The full URL, credentials included: hand it to whoever must use it, never to a log.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without its query and fragment.
    pub fn redacted(&self) -> &str {
        let end = self.0.find(['?', '#']).unwrap_or(self.0.len());
        &self.0[..end]
    }
}

impl From<String> for SignedUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl From<&str> for SignedUrl {
    fn from(url: &str) -> Self {
        Self(url.to_owned())
    }
}

impl fmt::Debug for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedUrl({:?}", self.redacted())?;
        if self.redacted().len() < self.0.len() {
            f.write_str(" + [REDACTED]")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.redacted())?;
        if self.redacted().len() < self.0.len() {
            f.write_str("?[REDACTED]")?;
        }
        Ok(())
    }
}

/// Path ids are given as `&String` as often as `&str` or `String`; typify generates only the
/// latter two for [`PathId`](crate::types::PathId).
impl TryFrom<&String> for crate::types::PathId {
    type Error = crate::types::error::ConversionError;
    fn try_from(value: &String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// A field of a generated builder, read when the builder is used. `lumin-codegen` starts
/// every required field as an empty error, which allocates nothing, instead of a message
/// made on every call; an empty error reads as `missing`, the message it replaced.
pub(crate) fn unset<T>(field: Result<T, String>, missing: &'static str) -> Result<T, String> {
    match field {
        Err(error) if error.is_empty() => Err(missing.to_owned()),
        field => field,
    }
}
