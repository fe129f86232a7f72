//! ID tokens (OpenID Connect): kept with the token, validated against the issuer's keys.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Deserializer, Serialize};
use subtle::ConstantTimeEq as _;
use url::Url;

use crate::time::{Millis, Timestamp};

/// How far past its `exp` an ID token is still accepted, for clocks that disagree.
pub const ID_TOKEN_LEEWAY: Duration = Duration::from_secs(60);

/// Signature algorithms accepted for ID tokens: asymmetric ones only (a JWKS publishes
/// public keys; `HS*` would make the key set a shared secret).
const ACCEPTED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// An OpenID Connect ID token (a signed JWT), as the token endpoint returned it.
///
/// A code exchange validates it before returning the token: its signature against the
/// issuer's JWKS, `iss`, `aud` (the client id), `exp` (by the injected clock) and the
/// `nonce` of the authorization. `Debug` redacts it; `Serialize` writes it, for a
/// [`TokenStore`](super::TokenStore) to keep.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdToken(String);

impl IdToken {
    pub(crate) fn new(jwt: String) -> Self {
        Self(jwt)
    }

    /// The JWT as received.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The identity claims of the token. They are read without checking the signature
    /// again: the token was validated when the code was exchanged.
    pub fn claims(&self) -> Result<IdTokenClaims, IdTokenError> {
        let payload = self.0.split('.').nth(1).ok_or(IdTokenError::Malformed)?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| IdTokenError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| IdTokenError::Malformed)
    }
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken([redacted])")
    }
}

/// The claims of an ID token that say who the user is (the `nonce` is left out: it is a
/// secret of the authorization).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// The issuer.
    pub iss: String,
    /// The user's identifier at the issuer.
    pub sub: String,
    /// The audiences (the client id among them).
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, in seconds since the Unix epoch.
    #[serde(default)]
    pub iat: Option<i64>,
    /// The user's email address, when the issuer shares it.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's name, when the issuer shares it.
    #[serde(default)]
    pub name: Option<String>,
}

/// The claims validation needs besides those in [`IdTokenClaims`].
#[derive(Deserialize)]
struct CheckedClaims {
    #[serde(flatten)]
    public: IdTokenClaims,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// An ID token failed validation. Never contains the token or the nonce.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The token is not a well-formed JWT with the required claims.
    #[error("the ID token is not a well-formed JWT with `iss`, `sub`, `aud` and `exp`")]
    Malformed,
    /// The token is signed with an algorithm that is not accepted (symmetric, or none).
    #[error("the ID token is signed with {0}, which is not accepted")]
    UnacceptedAlgorithm(String),
    /// The issuer's key set could not be fetched or read.
    #[error("the issuer's key set (JWKS) could not be fetched or read")]
    Jwks(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// No key of the issuer's key set matches the token's `kid` and algorithm.
    #[error("no key in the issuer's key set matches the ID token's key id and algorithm")]
    NoMatchingKey,
    /// The signature does not verify with the issuer's key.
    #[error("the ID token's signature does not verify with the issuer's key")]
    BadSignature,
    /// `iss` is not the configured issuer.
    #[error("the ID token's `iss` is not the configured issuer")]
    WrongIssuer,
    /// `aud` does not contain the client id, or `azp` names another client.
    #[error("the ID token is not meant for this client (`aud`/`azp`)")]
    WrongAudience,
    /// `exp` has passed (beyond [`ID_TOKEN_LEEWAY`]).
    #[error("the ID token has expired")]
    Expired,
    /// `nonce` is missing or not the one the authorization sent: possibly a replayed token.
    #[error("the ID token's `nonce` is not the one the authorization sent")]
    NonceMismatch,
    /// Another validation failure.
    #[error("the ID token is not valid")]
    Invalid(#[source] jsonwebtoken::errors::Error),
}

/// What an ID token is checked against.
pub(crate) struct IdTokenCheck<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) nonce: &'a str,
    pub(crate) now: Timestamp<Millis>,
}

/// Validates `jwt` with the keys published at `jwks_url` (fetched with `http`).
pub(crate) async fn validate(
    http: &reqwest::Client,
    jwks_url: &Url,
    jwt: &str,
    check: &IdTokenCheck<'_>,
) -> Result<IdTokenClaims, IdTokenError> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| IdTokenError::Malformed)?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(IdTokenError::UnacceptedAlgorithm(format!(
            "{:?}",
            header.alg
        )));
    }
    let keys = fetch_jwks(http, jwks_url).await?;
    let jwk = pick_key(&keys, header.kid.as_deref(), header.alg)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| IdTokenError::Jwks(Box::new(e)))?;

    let mut validation = Validation::new(header.alg);
    // Expiry is checked below against the injected clock, not the system time.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_issuer(&[check.issuer]);
    validation.set_audience(&[check.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<CheckedClaims>(jwt, &key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::InvalidSignature => IdTokenError::BadSignature,
            ErrorKind::InvalidIssuer => IdTokenError::WrongIssuer,
            ErrorKind::InvalidAudience => IdTokenError::WrongAudience,
            ErrorKind::InvalidToken
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_)
            | ErrorKind::MissingRequiredClaim(_) => IdTokenError::Malformed,
            _ => IdTokenError::Invalid(e),
        }
    })?;
    let claims = data.claims;
    let expires = Timestamp::<Millis>::from_unix_seconds(claims.public.exp);
    if expires
        .saturating_add(ID_TOKEN_LEEWAY)
        .is_expired(check.now)
    {
        return Err(IdTokenError::Expired);
    }
    if claims.public.aud.len() > 1 && claims.azp.as_deref() != Some(check.client_id) {
        return Err(IdTokenError::WrongAudience);
    }
    let nonce_ok = claims
        .nonce
        .as_deref()
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(check.nonce.as_bytes())));
    if !nonce_ok {
        return Err(IdTokenError::NonceMismatch);
    }
    Ok(claims.public)
}

async fn fetch_jwks(http: &reqwest::Client, url: &Url) -> Result<JwkSet, IdTokenError> {
    let boxed = |e: reqwest::Error| IdTokenError::Jwks(Box::new(e));
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(boxed)?
        .error_for_status()
        .map_err(boxed)?;
    let body = response.bytes().await.map_err(boxed)?;
    serde_json::from_slice(&body).map_err(|e| IdTokenError::Jwks(Box::new(e)))
}

/// The key for `kid` (or the only key, when the token names none), whose algorithm, if the
/// key set says one, is `alg`.
fn pick_key<'a>(
    keys: &'a JwkSet,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<&'a Jwk, IdTokenError> {
    let jwk = match kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(IdTokenError::NoMatchingKey)?;
    if let Some(key_alg) = jwk.common.key_algorithm
        && format!("{key_alg:?}") != format!("{alg:?}")
    {
        return Err(IdTokenError::NoMatchingKey);
    }
    Ok(jwk)
}
