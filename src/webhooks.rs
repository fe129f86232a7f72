//! Verifying and reading Lumin webhook deliveries, in any web framework.
//!
//! Lumin POSTs one JSON event per delivery and signs it: `X-Signature` is the lowercase
//! hex HMAC-SHA256 of the **raw request body**, keyed with the Workspace's Primary API
//! key (account webhooks) or the app's signing secret (app webhooks). Verify the bytes
//! exactly as received, before any JSON parsing: re-serialized JSON has another digest.
//!
//! ```
//! use lumin::webhooks::{WebhookVerifier, SIGNATURE_HEADER};
//!
//! let verifier = WebhookVerifier::new("my_primary_api_key");
//! # let body = br#"{"event":{"event_time":1758812586180,"event_type":"signature_request_viewed"}}"#;
//! # let header = lumin::webhooks::signature("my_primary_api_key", body);
//! // In your handler: the raw body bytes and the `X-Signature` header value.
//! let event = verifier.verify_and_parse(body, Some(header.as_str()))?;
//! println!("{} at {}", event.event.event_type, event.event.event_time);
//! // Answer exactly `200` within 30 seconds; do slow work in the background.
//! # Ok::<(), lumin::webhooks::WebhookError>(())
//! ```
//!
//! Several secrets can be accepted at once ([`WebhookVerifier::with_secret`]) while the
//! Primary API key is being rotated. Comparison is constant time, and every configured
//! secret is tried, so timing tells neither the digest nor which secret matched.
//!
//! [`parse_unverified`] reads a body without checking it, for bodies verified by other
//! means; a handler should not need it.
//!
//! Lumin retries a delivery that did not get a `200` six times over about 30 hours
//! (5 min, 15 min, 45 min, 2 h 15, 6 h 45, 20 h 15), sends no event id, and promises no
//! order. [`WebhookEvent::dedup_key`] gives a stable key to drop duplicates. An optional
//! maximum age ([`WebhookVerifier::with_max_age`]) rejects events whose `event_time` is
//! older than a window by the crate's clock; a window shorter than the retry schedule
//! (about 30 h 20 min) drops the later retries of a delivery your endpoint missed.
//!
//! With the `axum` feature, `lumin::webhooks::axum::VerifiedEvent` does all of this as an
//! extractor.

#[cfg(feature = "axum")]
pub mod axum;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::Sha256;

use crate::clock::SharedClock;
use crate::time::{Millis, Timestamp};

/// The header that carries the signature (header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "x-signature";

/// Length of the hex signature: a SHA-256 digest is 32 bytes.
const SIGNATURE_HEX_LEN: usize = 64;

/// Why a delivery was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No `X-Signature` header.
    #[error("the X-Signature header is missing")]
    MissingSignature,
    /// The header is not hexadecimal.
    #[error("the X-Signature header is not hexadecimal")]
    SignatureNotHex,
    /// The header is hexadecimal but not 64 digits long.
    #[error("the X-Signature header has {0} hex digits; an HMAC-SHA256 has 64")]
    SignatureLength(usize),
    /// The body was not signed with any of the configured secrets.
    #[error("the X-Signature does not match the body for any configured secret")]
    SignatureMismatch,
    /// The verifier has no secret to check with (every secret given was empty).
    #[error("no webhook secret is configured")]
    NoSecret,
    /// The event is older than the configured maximum age.
    #[error("the event time {event_time} is more than {max_age:?} before now ({now})")]
    TooOld {
        /// The event's `event_time`.
        event_time: Timestamp<Millis>,
        /// The clock's time when it was checked.
        now: Timestamp<Millis>,
        /// The configured window.
        max_age: Duration,
    },
    /// The body is not a webhook event.
    #[error("the body is not a Lumin webhook event: {0}")]
    Malformed(String),
}

/// The lowercase hex HMAC-SHA256 of `body` keyed with `secret`: the `X-Signature` value
/// Lumin sends. Useful for testing a receiver.
pub fn signature(secret: &str, body: &[u8]) -> String {
    mac(secret.as_bytes(), body)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// HMAC-SHA256 of `body`; `None` never happens (HMAC takes keys of any length), but it
/// keeps the verification path free of panics.
fn mac(key: &[u8], body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(body);
    Some(mac)
}

/// Checks `X-Signature` against one or more secrets, and optionally the event's age.
#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Vec<SecretString>,
    max_age: Option<(Duration, SharedClock)>,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("max_age", &self.max_age.as_ref().map(|(age, _)| age))
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier for deliveries signed with `secret`: the Primary API key (account
    /// webhooks) or the app's signing secret (app webhooks), used as UTF-8 bytes.
    ///
    /// An empty secret is ignored, since anyone can sign with it: a verifier left with
    /// no secret rejects every delivery with [`WebhookError::NoSecret`].
    pub fn new(secret: impl Into<SecretString>) -> Self {
        Self {
            secrets: Vec::new(),
            max_age: None,
        }
        .with_secret(secret)
    }

    /// Also accepts deliveries signed with `secret`, for the days of a key rotation.
    /// An empty secret is ignored.
    pub fn with_secret(mut self, secret: impl Into<SecretString>) -> Self {
        let secret = secret.into();
        if !secret.expose_secret().is_empty() {
            self.secrets.push(secret);
        }
        self
    }

    /// Rejects events whose `event_time` lies more than `max_age` before `clock`'s now
    /// (an event exactly `max_age` old is accepted). Checked by
    /// [`verify_and_parse`](Self::verify_and_parse), after the signature.
    ///
    /// Off by default. Lumin retries a failed delivery 6 times over about 30 h 20 min and
    /// each retry carries the original `event_time`, so a window shorter than that drops
    /// the later retries of an event your endpoint missed. Events dated in the future
    /// (clock skew) are accepted.
    pub fn with_max_age(mut self, max_age: Duration, clock: SharedClock) -> Self {
        self.max_age = Some((max_age, clock));
        self
    }

    /// Checks the `X-Signature` header value (`None` when the header is absent) against
    /// the raw `body` bytes, exactly as received. Surrounding white space and upper-case
    /// hex digits in the header are accepted.
    pub fn verify(&self, body: &[u8], signature: Option<&str>) -> Result<(), WebhookError> {
        let signature = signature.ok_or(WebhookError::MissingSignature)?.trim();
        if !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(WebhookError::SignatureNotHex);
        }
        if signature.len() != SIGNATURE_HEX_LEN {
            return Err(WebhookError::SignatureLength(signature.len()));
        }
        let expected = hex::decode(signature).map_err(|_| WebhookError::SignatureNotHex)?;
        if self.secrets.is_empty() {
            return Err(WebhookError::NoSecret);
        }
        // Every secret is tried, so the time taken does not tell which one matched;
        // `verify_slice` compares in constant time.
        let matched = self.secrets.iter().fold(false, |matched, secret| {
            let ok = mac(secret.expose_secret().as_bytes(), body)
                .is_some_and(|mac| mac.verify_slice(&expected).is_ok());
            matched | ok
        });
        if matched {
            Ok(())
        } else {
            Err(WebhookError::SignatureMismatch)
        }
    }

    /// Verifies the delivery, then reads it, then checks its age when a maximum age is
    /// set: the safe path for a webhook handler.
    pub fn verify_and_parse(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<WebhookEvent, WebhookError> {
        self.verify(body, signature)?;
        let event = parse_unverified(body)?;
        if let Some((max_age, clock)) = &self.max_age {
            let now = clock.now();
            if event.event.event_time + *max_age < now {
                return Err(WebhookError::TooOld {
                    event_time: event.event.event_time,
                    now,
                    max_age: *max_age,
                });
            }
        }
        Ok(event)
    }
}

/// Reads a delivery **without checking its signature or its age**. Only for bodies
/// already verified by other means, or for tests; a handler should call
/// [`WebhookVerifier::verify_and_parse`].
pub fn parse_unverified(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))
}

/// What happened: a documented event type, or one this crate does not know yet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventType {
    /// `signature_request_created`: the request was created.
    SignatureRequestCreated,
    /// `signature_request_viewed`: a signer opened the document.
    SignatureRequestViewed,
    /// `signature_request_signed`: one signer signed.
    SignatureRequestSigned,
    /// `signature_request_approved`: every signer signed.
    SignatureRequestApproved,
    /// `signature_request_declined`: a signer declined; the request is REJECTED.
    SignatureRequestDeclined,
    /// `signature_request_downloadable`: the signed file or certificate is ready.
    SignatureRequestDownloadable,
    /// `signature_request_invalid`: processing failed (for example bad text tags).
    SignatureRequestInvalid,
    /// `signature_request_canceled` (one "l"): the request was cancelled.
    SignatureRequestCanceled,
    /// `signature_request_cancel_failed`: cancelling failed.
    SignatureRequestCancelFailed,
    /// `signature_request_due_date_updated`: the due date moved.
    SignatureRequestDueDateUpdated,
    /// Any other name, kept as sent (such as `signature_request_sent` of the docs' examples).
    Unknown(String),
}

impl EventType {
    const KNOWN: [(&'static str, EventType); 10] = [
        ("signature_request_created", Self::SignatureRequestCreated),
        ("signature_request_viewed", Self::SignatureRequestViewed),
        ("signature_request_signed", Self::SignatureRequestSigned),
        ("signature_request_approved", Self::SignatureRequestApproved),
        ("signature_request_declined", Self::SignatureRequestDeclined),
        (
            "signature_request_downloadable",
            Self::SignatureRequestDownloadable,
        ),
        ("signature_request_invalid", Self::SignatureRequestInvalid),
        ("signature_request_canceled", Self::SignatureRequestCanceled),
        (
            "signature_request_cancel_failed",
            Self::SignatureRequestCancelFailed,
        ),
        (
            "signature_request_due_date_updated",
            Self::SignatureRequestDueDateUpdated,
        ),
    ];

    /// The name as Lumin sends it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown(name) => name,
            known => Self::KNOWN
                .iter()
                .find(|(_, event)| event == known)
                .map(|(name, _)| *name)
                .unwrap_or_default(),
        }
    }
}

impl FromStr for EventType {
    type Err = std::convert::Infallible;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::KNOWN
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, event)| event.clone())
            .unwrap_or_else(|| Self::Unknown(name.to_owned())))
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(name.parse().unwrap_or_else(|never| match never {}))
    }
}

/// A webhook delivery.
///
/// Every field but `event` is optional, since the error events (`invalid`, `canceled`,
/// `cancel_failed`) have no documented payload. `Deserialize` is implemented so that
/// events can be stored and read back; deserializing a delivery directly skips the
/// signature check, so read deliveries with [`WebhookVerifier::verify_and_parse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// What happened and when.
    pub event: EventInfo,
    /// The signature request it happened to; absent in error events Lumin never showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_request: Option<WebhookSignatureRequest>,
    /// Where to view the request, when sent at the top level (see [`Self::details_url`]).
    /// It carries an access token: do not log it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_url: Option<String>,
    /// Any other top-level field (app webhooks add user context).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl WebhookEvent {
    /// The details URL, wherever it was sent: at the top level (preferred when both are
    /// present) or inside `signature_request` (the docs show both). It carries an access
    /// token: do not log it.
    pub fn details_url(&self) -> Option<&str> {
        self.details_url.as_deref().or_else(|| {
            self.signature_request
                .as_ref()
                .and_then(|sr| sr.details_url.as_deref())
        })
    }

    /// A stable key for dropping repeated deliveries (Lumin sends no event id and may
    /// deliver an event more than once): event type, signature request id and event time.
    pub fn dedup_key(&self) -> DedupKey {
        DedupKey {
            event_type: self.event.event_type.as_str().to_owned(),
            signature_request_id: self
                .signature_request
                .as_ref()
                .and_then(|sr| sr.signature_request_id.clone()),
            event_time: self.event.event_time,
        }
    }
}

/// Identifies one event across retried deliveries. Its [`Display`](fmt::Display) form,
/// `event_type:signature_request_id:event_time_ms` (`-` for a missing id), is stable and
/// fit for a database key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupKey {
    /// The event type's name as sent.
    pub event_type: String,
    /// The signature request id, when the event has one.
    pub signature_request_id: Option<String>,
    /// When the event happened.
    pub event_time: Timestamp<Millis>,
}

impl fmt::Display for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.event_type,
            self.signature_request_id.as_deref().unwrap_or("-"),
            self.event_time.unix_millis()
        )
    }
}

/// Reads `null` as the default value, for containers Lumin might send as `null`.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The `event` object of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    /// When it happened (milliseconds since the Unix epoch).
    pub event_time: Timestamp<Millis>,
    /// What happened.
    pub event_type: EventType,
    /// Context such as the Workspace and the signer.
    #[serde(default, deserialize_with = "null_as_default")]
    pub event_metadata: EventMetadata,
}

/// The `event_metadata` object: known keys, and anything else as sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventMetadata {
    /// The Workspace the event belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The signer the event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_email: Option<String>,
    /// Any other key.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A signature request as webhooks send it: unlike the REST object, timestamps are
/// milliseconds, signers carry `email` and no `group`, and every field may be missing.
/// Fields the docs do not show (such as the reason of an error event) are kept in
/// [`other`](Self::other).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookSignatureRequest {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_request_id: Option<String>,
    /// Its title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp<Millis>>,
    /// When it last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp<Millis>>,
    /// Its due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp<Millis>>,
    /// Its status, as sent (`NEED_TO_SIGN`, `APPROVED`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Where to view it, when sent inside the signature request (see
    /// [`WebhookEvent::details_url`]). It carries an access token: do not log it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_url: Option<String>,
    /// Its signers (empty when not sent).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub signers: Vec<WebhookSigner>,
    /// Any other field.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A signer as webhooks send it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookSigner {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email (webhooks say `email` where the REST API says `email_address`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Status, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Whether the signer has signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_approved: Option<bool>,
    /// Any other field.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}
