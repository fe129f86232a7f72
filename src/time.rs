//! One typed notion of an instant, with the wire encoding of each field in its type.
//!
//! Lumin sends instants in several encodings: milliseconds since the Unix epoch almost
//! everywhere, seconds for the `expires_at` of some signed URLs, ISO-8601 text for a
//! Space's `created_at`, and the same millisecond value sometimes as a JSON number and
//! sometimes as a string of digits. [`Timestamp<E>`] is an instant (kept in
//! milliseconds) whose type parameter `E` names the encoding the field is documented to
//! use. Instants of different encodings compare and convert freely.
//!
//! The unit comes from the documentation of the field, with two explicit exceptions for
//! where the documentation contradicts itself:
//!
//! - [`Seconds`]: a value whose magnitude is above [`MILLIS_THRESHOLD`] (10^11) is read as
//!   milliseconds. As seconds it would lie after the year 5000; as milliseconds, 10^11 is
//!   in March 1973, so no instant Lumin sends is ambiguous. (Get Agreement File documents
//!   seconds and shows milliseconds in its example.)
//! - [`Rfc3339`]: a JSON number (or a string of digits) is read as milliseconds, the unit of
//!   every other timestamp of the API. (A Space's `created_at` is documented as text.)

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;

mod sealed {
    pub trait Sealed {}
}

/// A wire encoding of an instant. Implemented by [`Millis`], [`Seconds`] and [`Rfc3339`].
pub trait Encoding: sealed::Sealed + Send + Sync + 'static {
    /// How the encoding is named in error messages.
    const NAME: &'static str;
    #[doc(hidden)]
    fn decode_integer(value: i128) -> Option<i64>;
    #[doc(hidden)]
    fn decode_str(value: &str) -> Option<i64>;
    #[doc(hidden)]
    fn encode<S: Serializer>(millis: i64, serializer: S) -> Result<S::Ok, S::Error>;
}

/// The magnitude above which a value of a field documented in seconds can only be
/// milliseconds, and is read as such: 10^11 (in seconds, a date after the year 5000; in
/// milliseconds, 1973-03-03).
pub const MILLIS_THRESHOLD: i128 = 100_000_000_000;

/// Milliseconds since the Unix epoch, as a JSON integer or a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Millis;

/// Seconds since the Unix epoch, as a JSON integer or a string of digits; a magnitude
/// above [`MILLIS_THRESHOLD`] is read as milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Seconds;

/// An RFC 3339 (ISO-8601) date-time string such as `2026-04-09T06:38:59.381Z`; a number
/// (or a string of digits) is read as milliseconds since the Unix epoch. Sent as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rfc3339;

fn digits(value: &str) -> Option<i128> {
    if value.is_empty() || value.len() > 30 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

impl sealed::Sealed for Millis {}
impl Encoding for Millis {
    const NAME: &'static str = "milliseconds since the Unix epoch (integer or digit string)";
    fn decode_integer(value: i128) -> Option<i64> {
        i64::try_from(value).ok()
    }
    fn decode_str(value: &str) -> Option<i64> {
        digits(value).and_then(Self::decode_integer)
    }
    fn encode<S: Serializer>(millis: i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(millis)
    }
}

impl sealed::Sealed for Seconds {}
impl Encoding for Seconds {
    const NAME: &'static str = "seconds since the Unix epoch (integer or digit string)";
    fn decode_integer(value: i128) -> Option<i64> {
        if value.abs() > MILLIS_THRESHOLD {
            // Only milliseconds can be this large (see `MILLIS_THRESHOLD`).
            return i64::try_from(value).ok();
        }
        value
            .checked_mul(1000)
            .and_then(|ms| i64::try_from(ms).ok())
    }
    fn decode_str(value: &str) -> Option<i64> {
        digits(value).and_then(Self::decode_integer)
    }
    fn encode<S: Serializer>(millis: i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(millis.div_euclid(1000))
    }
}

impl sealed::Sealed for Rfc3339 {}
impl Encoding for Rfc3339 {
    const NAME: &'static str = "an RFC 3339 date-time string or milliseconds since the Unix epoch";
    fn decode_integer(value: i128) -> Option<i64> {
        Millis::decode_integer(value)
    }
    fn decode_str(value: &str) -> Option<i64> {
        if let Some(millis) = digits(value) {
            return Self::decode_integer(millis);
        }
        let parsed =
            time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                .ok()?;
        i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()
    }
    fn encode<S: Serializer>(millis: i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_rfc3339(millis))
    }
}

fn format_rfc3339(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{millis} ms since the Unix epoch"))
}

/// An instant, decoded from and encoded to the wire form `E` that its field uses.
///
/// Internally the instant is kept in milliseconds since the Unix epoch, the finest unit
/// Lumin uses. Equality, ordering and hashing look only at the instant, so a
/// `Timestamp<Seconds>` and a `Timestamp<Millis>` for the same moment are equal after
/// [`Timestamp::convert`].
pub struct Timestamp<E: Encoding = Millis> {
    millis: i64,
    encoding: PhantomData<fn() -> E>,
}

impl<E: Encoding> Timestamp<E> {
    /// The instant `millis` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self {
            millis,
            encoding: PhantomData,
        }
    }

    /// The instant `seconds` seconds after the Unix epoch (saturating).
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self::from_unix_millis(seconds.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(&self) -> i64 {
        self.millis
    }

    /// Whole seconds since the Unix epoch (rounded towards the past).
    pub const fn unix_seconds(&self) -> i64 {
        self.millis.div_euclid(1000)
    }

    /// The same instant in another wire encoding.
    pub const fn convert<F: Encoding>(self) -> Timestamp<F> {
        Timestamp::from_unix_millis(self.millis)
    }

    /// The instant `by` later (saturating); also `timestamp + duration`.
    pub fn saturating_add(self, by: Duration) -> Self {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        Self::from_unix_millis(self.millis.saturating_add(by))
    }

    /// The instant `by` earlier (saturating); also `timestamp - duration`.
    pub fn saturating_sub(self, by: Duration) -> Self {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        Self::from_unix_millis(self.millis.saturating_sub(by))
    }

    /// True when this instant lies strictly after `now`.
    pub fn is_after<F: Encoding>(&self, now: Timestamp<F>) -> bool {
        self.millis > now.millis
    }

    /// True once `now` has reached this instant, read as an expiry time.
    pub fn is_expired<F: Encoding>(&self, now: Timestamp<F>) -> bool {
        now.millis >= self.millis
    }

    /// Time left until this instant, read as an expiry time; zero once it has passed.
    pub fn remaining<F: Encoding>(&self, now: Timestamp<F>) -> Duration {
        let left = self.millis.saturating_sub(now.millis);
        Duration::from_millis(u64::try_from(left).unwrap_or(0))
    }

    /// The instant as a [`std::time::SystemTime`].
    pub fn to_system_time(&self) -> std::time::SystemTime {
        let magnitude = Duration::from_millis(self.millis.unsigned_abs());
        if self.millis >= 0 {
            std::time::UNIX_EPOCH + magnitude
        } else {
            std::time::UNIX_EPOCH - magnitude
        }
    }
}

impl<E: Encoding> std::ops::Add<Duration> for Timestamp<E> {
    type Output = Self;
    fn add(self, by: Duration) -> Self {
        self.saturating_add(by)
    }
}

impl<E: Encoding> std::ops::Sub<Duration> for Timestamp<E> {
    type Output = Self;
    fn sub(self, by: Duration) -> Self {
        self.saturating_sub(by)
    }
}

impl<E: Encoding> Clone for Timestamp<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Encoding> Copy for Timestamp<E> {}

impl<E: Encoding> PartialEq for Timestamp<E> {
    fn eq(&self, other: &Self) -> bool {
        self.millis == other.millis
    }
}
impl<E: Encoding> Eq for Timestamp<E> {}
impl<E: Encoding> PartialOrd for Timestamp<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E: Encoding> Ord for Timestamp<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.millis.cmp(&other.millis)
    }
}
impl<E: Encoding> Hash for Timestamp<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.millis.hash(state);
    }
}

impl<E: Encoding> fmt::Debug for Timestamp<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", format_rfc3339(self.millis))
    }
}

impl<E: Encoding> fmt::Display for Timestamp<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_rfc3339(self.millis))
    }
}

impl<E: Encoding> serde::Serialize for Timestamp<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        E::encode(self.millis, serializer)
    }
}

impl<'de, E: Encoding> serde::Deserialize<'de> for Timestamp<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<E>(PhantomData<fn() -> E>);
        impl<E: Encoding> V<E> {
            fn integer<Er: de::Error>(value: i128) -> Result<Timestamp<E>, Er> {
                E::decode_integer(value)
                    .map(Timestamp::from_unix_millis)
                    .ok_or_else(|| Er::custom(format_args!("timestamp {value} is not {}", E::NAME)))
            }
        }
        impl<E: Encoding> Visitor<'_> for V<E> {
            type Value = Timestamp<E>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(E::NAME)
            }
            fn visit_i64<Er: de::Error>(self, v: i64) -> Result<Self::Value, Er> {
                Self::integer(i128::from(v))
            }
            fn visit_u64<Er: de::Error>(self, v: u64) -> Result<Self::Value, Er> {
                Self::integer(i128::from(v))
            }
            fn visit_f64<Er: de::Error>(self, v: f64) -> Result<Self::Value, Er> {
                // A JSON number written with a fraction or exponent: accept whole values only.
                if v.fract() == 0.0 && v.abs() < 1e18 {
                    Self::integer(v as i128)
                } else {
                    Err(Er::custom(format_args!("timestamp {v} is not {}", E::NAME)))
                }
            }
            fn visit_str<Er: de::Error>(self, v: &str) -> Result<Self::Value, Er> {
                E::decode_str(v)
                    .map(Timestamp::from_unix_millis)
                    .ok_or_else(|| Er::custom(format_args!("timestamp {v:?} is not {}", E::NAME)))
            }
        }
        deserializer.deserialize_any(V::<E>(PhantomData))
    }
}
