//! Credentials for the Lumin API and how they reach each request.
//!
//! Lumin accepts an API key in the `X-API-KEY` header or as the user name of HTTP Basic
//! authentication (with an empty password), and OAuth 2.0 access tokens as
//! `Authorization: Bearer`. A [`TokenSource`] supplies access tokens that change over
//! time (see the `oauth` module); the client asks it for a token before every request and,
//! after a `401`, for one refreshed token and a single retry.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// The header that carries an API key.
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// A boxed future, as returned by [`TokenSource`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The error a [`TokenSource`] reports when it has no usable token.
pub type TokenSourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Supplies OAuth access tokens to the client, refreshing them as needed.
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// A currently valid access token, refreshed first when it is about to expire.
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, TokenSourceError>>;

    /// Called when the API answered `401` to a request that carried `rejected`.
    ///
    /// Returns a token to retry with once: a refreshed one, or the current one when another
    /// caller refreshed in the meantime.
    fn refresh_rejected<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, TokenSourceError>>;
}

/// How the client authenticates. Secrets are never printed by `Debug`.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// An API key sent as `X-API-KEY: <key>` (the documented default).
    ApiKey(SecretString),
    /// An API key sent as HTTP Basic user name with an empty password.
    ApiKeyBasic(SecretString),
    /// A fixed OAuth access token sent as `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// OAuth access tokens from a source that refreshes them.
    TokenSource(Arc<dyn TokenSource>),
}

impl Credentials {
    /// An API key in the `X-API-KEY` header.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self::ApiKey(SecretString::from(key.into()))
    }

    /// An API key as the HTTP Basic user name with an empty password.
    pub fn api_key_basic(key: impl Into<String>) -> Self {
        Self::ApiKeyBasic(SecretString::from(key.into()))
    }

    /// A fixed OAuth access token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::Bearer(SecretString::from(token.into()))
    }

    /// What kind of credential is empty or only whitespace (`API key`, `access token`),
    /// if one is.
    pub(crate) fn empty_kind(&self) -> Option<&'static str> {
        let (secret, kind) = match self {
            Self::ApiKey(key) | Self::ApiKeyBasic(key) => (key, "API key"),
            Self::Bearer(token) => (token, "access token"),
            Self::TokenSource(_) => return None,
        };
        secret.expose_secret().trim().is_empty().then_some(kind)
    }

    /// The header that carries a static credential, marked sensitive; `None` for a
    /// token source, whose header is set per request.
    pub(crate) fn static_header(
        &self,
    ) -> Result<Option<(HeaderName, HeaderValue)>, InvalidCredential> {
        let (name, value) = match self {
            Self::ApiKey(key) => (API_KEY_HEADER, key.expose_secret().to_owned()),
            Self::ApiKeyBasic(key) => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:", key.expose_secret()));
                (AUTHORIZATION, format!("Basic {encoded}"))
            }
            Self::Bearer(token) => (
                AUTHORIZATION,
                bearer_value(token)?
                    .to_str()
                    .map_err(|_| InvalidCredential)?
                    .to_owned(),
            ),
            Self::TokenSource(_) => return Ok(None),
        };
        let mut value = HeaderValue::from_str(&value).map_err(|_| InvalidCredential)?;
        value.set_sensitive(true);
        Ok(Some((name, value)))
    }
}

/// `Bearer <token>` as a sensitive header value; an empty token is refused.
pub(crate) fn bearer_value(token: &SecretString) -> Result<HeaderValue, InvalidCredential> {
    if token.expose_secret().trim().is_empty() {
        return Err(InvalidCredential);
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
        .map_err(|_| InvalidCredential)?;
    value.set_sensitive(true);
    Ok(value)
}

/// A credential is empty, or contains bytes that cannot be sent in an HTTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the credential is empty or contains characters that are not allowed in an HTTP header")]
pub struct InvalidCredential;

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("Credentials::ApiKey([REDACTED])"),
            Self::ApiKeyBasic(_) => f.write_str("Credentials::ApiKeyBasic([REDACTED])"),
            Self::Bearer(_) => f.write_str("Credentials::Bearer([REDACTED])"),
            Self::TokenSource(source) => write!(f, "Credentials::TokenSource({source:?})"),
        }
    }
}
