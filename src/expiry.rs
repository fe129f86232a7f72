//! Expiry rules checked before a request leaves, and expiry of what Lumin hands back.
//!
//! - [`SigningSessionExpiry`]: how long a signing session's `sign_url` lives, 5 to 60
//!   minutes inclusive, 15 by default. Only checked values can be built.
//! - [`DueDate`]: the `expires_at` of a signature request (Send, Send from Template,
//!   Update), which must lie in the future by the injected [`Clock`].
//! - [`Expiring`]: responses that carry an expiry (signing session URLs, signed file
//!   URLs, generated, merged and compressed documents) say whether they are still usable.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::clock::Clock;
use crate::time::{Encoding, Millis, Timestamp};

/// A requested time that breaks a documented rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpiryError {
    /// A signing session expiry outside 300000–3600000 ms.
    #[error(
        "signing session expiry must be 300000 to 3600000 ms (5 to 60 minutes), not {requested_ms} ms"
    )]
    SigningSessionExpiryOutOfRange {
        /// The requested expiry in milliseconds.
        requested_ms: u128,
    },
    /// A due date that is not in the future.
    #[error("the due date {due} is not in the future (now is {now})")]
    DueDateNotInFuture {
        /// The requested due date.
        due: Timestamp<Millis>,
        /// The clock's time when it was checked.
        now: Timestamp<Millis>,
    },
}

/// How long a signing session's `sign_url` stays valid: 5 to 60 minutes inclusive.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SigningSessionExpiry(u32);

impl SigningSessionExpiry {
    /// The shortest session, 5 minutes.
    pub const MIN: SigningSessionExpiry = SigningSessionExpiry(300_000);
    /// The longest session, 60 minutes.
    pub const MAX: SigningSessionExpiry = SigningSessionExpiry(3_600_000);
    /// The server's default, 15 minutes.
    pub const DEFAULT: SigningSessionExpiry = SigningSessionExpiry(900_000);

    /// A session of `duration`, which must be 5 to 60 minutes inclusive (to the millisecond).
    pub fn from_duration(duration: Duration) -> Result<Self, ExpiryError> {
        Self::from_millis(duration.as_millis())
    }

    /// A session of `millis` milliseconds, which must be 300000 to 3600000.
    pub fn from_millis(millis: u128) -> Result<Self, ExpiryError> {
        if (u128::from(Self::MIN.0)..=u128::from(Self::MAX.0)).contains(&millis) {
            // In range, so it fits in u32.
            Ok(Self(millis as u32))
        } else {
            Err(ExpiryError::SigningSessionExpiryOutOfRange {
                requested_ms: millis,
            })
        }
    }

    /// The length in milliseconds.
    pub fn as_millis(self) -> u32 {
        self.0
    }

    /// The length.
    pub fn as_duration(self) -> Duration {
        Duration::from_millis(u64::from(self.0))
    }
}

impl Default for SigningSessionExpiry {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<Duration> for SigningSessionExpiry {
    type Error = ExpiryError;
    fn try_from(duration: Duration) -> Result<Self, ExpiryError> {
        Self::from_duration(duration)
    }
}

impl fmt::Debug for SigningSessionExpiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningSessionExpiry({} ms)", self.0)
    }
}

impl fmt::Display for SigningSessionExpiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

impl Serialize for SigningSessionExpiry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for SigningSessionExpiry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let millis = u64::deserialize(deserializer)?;
        Self::from_millis(u128::from(millis)).map_err(serde::de::Error::custom)
    }
}

/// When a signature request expires: an instant checked to lie in the future.
///
/// Sent as milliseconds since the Unix epoch. Build it with [`DueDate::at`] or
/// [`DueDate::after`], which read the injected clock. Decoding one from JSON (for
/// example in a mock server) does not check it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DueDate(Timestamp<Millis>);

impl DueDate {
    /// The due date `at`, which must lie strictly after the clock's now.
    pub fn at<E: Encoding>(at: Timestamp<E>, clock: &dyn Clock) -> Result<Self, ExpiryError> {
        let now = clock.now();
        let due = at.convert::<Millis>();
        if due.is_after(now) {
            Ok(Self(due))
        } else {
            Err(ExpiryError::DueDateNotInFuture { due, now })
        }
    }

    /// The due date `from_now` after the clock's now; `from_now` must not be zero.
    pub fn after(from_now: Duration, clock: &dyn Clock) -> Result<Self, ExpiryError> {
        Self::at(clock.now() + from_now, clock)
    }

    /// The instant.
    pub fn instant(self) -> Timestamp<Millis> {
        self.0
    }
}

impl fmt::Debug for DueDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DueDate({})", self.0)
    }
}

impl fmt::Display for DueDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for DueDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DueDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Timestamp::<Millis>::deserialize(deserializer).map(Self)
    }
}

/// Something Lumin hands back that stops working at a known instant.
pub trait Expiring {
    /// When it stops working.
    fn expires_at(&self) -> Timestamp<Millis>;

    /// True once `now` has reached the expiry.
    fn is_expired(&self, now: Timestamp<Millis>) -> bool {
        self.expires_at().is_expired(now)
    }

    /// Time left at `now`; zero once expired.
    fn remaining(&self, now: Timestamp<Millis>) -> Duration {
        self.expires_at().remaining(now)
    }

    /// True when less than `margin` is left at `now`, so it should be fetched again
    /// before it is handed on (for example a `sign_url` before it goes to a browser).
    fn expires_within(&self, margin: Duration, now: Timestamp<Millis>) -> bool {
        self.remaining(now) < margin || self.is_expired(now)
    }
}

macro_rules! expiring {
    ($($ty:ty),* $(,)?) => {$(
        impl Expiring for $ty {
            fn expires_at(&self) -> Timestamp<Millis> {
                self.expires_at.convert()
            }
        }
    )*};
}

expiring!(
    crate::types::SigningSessionResponse,
    crate::types::SignedFileUrlSeconds,
    crate::types::FileUrlResponse,
    crate::types::DocumentGenerateResponse,
    crate::types::PdfOperationResponse,
);
