//! Tokens, the token endpoint's answers, and the HTTP client that carries token requests.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use oauth2::{AccessToken, RefreshToken};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{IdToken, Scopes};
use crate::time::{Millis, Timestamp};

/// An access token with its lifetime, for private apps the refresh token, and with the
/// `openid` scope the validated ID token.
///
/// `Debug` never shows the tokens. `Serialize` does write them, for a
/// [`TokenStore`](super::TokenStore) to keep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    access_token: AccessToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp<Millis>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Scopes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<IdToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued_at: Option<Timestamp<Millis>>,
}

impl Token {
    /// A token that expires at `expires_at` (`None`: lifetime unknown).
    pub fn new(access_token: AccessToken, expires_at: Option<Timestamp<Millis>>) -> Self {
        Self {
            access_token,
            refresh_token: None,
            expires_at,
            scopes: None,
            id_token: None,
            issued_at: None,
        }
    }

    /// This token, issued at `issued_at` (which bounds how early a session refreshes it:
    /// never before half its lifetime).
    #[must_use]
    pub fn with_issued_at(mut self, issued_at: Timestamp<Millis>) -> Self {
        self.issued_at = Some(issued_at);
        self
    }

    /// The ID token (scope `openid`), validated when the code was exchanged.
    pub fn id_token(&self) -> Option<&IdToken> {
        self.id_token.as_ref()
    }

    /// When the token was requested, if known.
    pub fn issued_at(&self) -> Option<Timestamp<Millis>> {
        self.issued_at
    }

    /// This token with a refresh token.
    #[must_use]
    pub fn with_refresh_token(mut self, refresh_token: RefreshToken) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// This token with the scopes it was granted.
    #[must_use]
    pub fn with_scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// The access token, sent as `Authorization: Bearer`.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The refresh token (private apps that asked for `offline_access`).
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// When the access token expires, computed from `expires_in` and the injected clock.
    pub fn expires_at(&self) -> Option<Timestamp<Millis>> {
        self.expires_at
    }

    /// The scopes the server says it granted, when it said.
    pub fn scopes(&self) -> Option<&Scopes> {
        self.scopes.as_ref()
    }

    /// True once `now` has reached the expiry time. A token without one never expires here.
    pub fn is_expired(&self, now: Timestamp<Millis>) -> bool {
        self.expires_at.is_some_and(|at| at.is_expired(now))
    }

    /// Time left at `now` (zero once expired); `None` for a token without an expiry.
    pub fn remaining(&self, now: Timestamp<Millis>) -> Option<Duration> {
        self.expires_at.map(|at| at.remaining(now))
    }

    /// True once `now` is within `skew` of the expiry time; the skew is capped at half the
    /// token's lifetime when it is known, so that a long skew cannot make every call refresh.
    pub(crate) fn expires_within(&self, skew: Duration, now: Timestamp<Millis>) -> bool {
        let Some(at) = self.expires_at else {
            return false;
        };
        let skew = match self.issued_at {
            Some(issued) => skew.min(at.remaining(issued) / 2),
            None => skew,
        };
        at.saturating_sub(skew).is_expired(now)
    }

    /// Keeps `previous`'s ID token (a refresh answer's is not kept).
    pub(crate) fn keep_id_token(&mut self, previous: &Token) {
        if self.id_token.is_none() {
            self.id_token = previous.id_token.clone();
        }
    }

    /// Drops the ID token.
    pub(crate) fn without_id_token(mut self) -> Self {
        self.id_token = None;
        self
    }

    /// Keeps `previous` when a refresh response did not rotate the refresh token.
    pub(crate) fn keep_refresh_token(&mut self, previous: Option<&RefreshToken>) {
        if self.refresh_token.is_none() {
            self.refresh_token = previous.cloned();
        }
    }

    /// Drops the refresh token (public apps never hold one).
    pub(crate) fn without_refresh_token(mut self) -> Self {
        self.refresh_token = None;
        self
    }
}

/// An OAuth 2.0 error code (RFC 6749 §4.1.2.1 and §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `invalid_grant`: the code or refresh token is invalid, expired, revoked or used.
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `invalid_scope`
    InvalidScope,
    /// `access_denied`: the user declined.
    AccessDenied,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// Another code, as sent.
    Other(String),
}

impl OAuthErrorCode {
    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other(code) => code,
        }
    }

    /// The code named `code`.
    pub fn new(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The raw body of a token endpoint response, kept for diagnosis.
///
/// A token response carries secrets, so `Debug` shows a JSON body with every string value
/// redacted, at any depth, except those of the OAuth error and metadata members
/// (`error`, `error_description`, `error_uri`, `token_type`, `scope`); any other body
/// only by its length. [`ResponseBody::as_bytes`] gives the body as received.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseBody(Bytes);

impl ResponseBody {
    /// The body as received. It may contain tokens: do not log it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length of the body in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the body is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Members whose string values are shown; every other string is redacted.
const SHOWN_FIELDS: [&str; 5] = [
    "error",
    "error_description",
    "error_uri",
    "token_type",
    "scope",
];

/// Redacts every string in `value` but those of [`SHOWN_FIELDS`] members of the top level.
fn redact(value: &mut Value, top_level: bool) {
    match value {
        Value::String(text) => *text = "[redacted]".to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, false)),
        Value::Object(fields) => {
            for (name, value) in fields.iter_mut() {
                if !(top_level && SHOWN_FIELDS.contains(&name.as_str()) && value.is_string()) {
                    redact(value, false);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::from_slice::<Value>(&self.0) {
            Ok(mut value @ (Value::Object(_) | Value::Array(_))) => {
                redact(&mut value, true);
                write!(f, "ResponseBody({value})")
            }
            _ => write!(f, "ResponseBody(<{} bytes>)", self.0.len()),
        }
    }
}

/// A token request failed. Never contains a token, code, verifier or secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The server answered with an OAuth error (`invalid_grant`, ...).
    #[error("the token endpoint answered {status} with OAuth error `{code}`{}", describe(.description))]
    OAuth {
        /// The HTTP status.
        status: StatusCode,
        /// The `error` code.
        code: OAuthErrorCode,
        /// The server's `error_description`.
        description: Option<String>,
        /// The server's `error_uri`.
        uri: Option<String>,
    },
    /// An error status whose body is not an OAuth error.
    #[error("the token endpoint answered {status} with a body that is not an OAuth error ({} bytes)", body.len())]
    UnexpectedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The body as received.
        body: ResponseBody,
    },
    /// A success status whose body is not a valid token response.
    #[error("the token endpoint answered {status} with an invalid token response: {reason}")]
    Malformed {
        /// The HTTP status.
        status: StatusCode,
        /// What is wrong, naming the field (never its value).
        reason: String,
        /// The body as received.
        body: ResponseBody,
    },
    /// The request could not be sent or the response could not be read. Unless the
    /// connection could not even be made, the server may have acted on the request (see
    /// [`TokenError::outcome_unknown`]).
    #[error("{}", if transport_outcome_unknown(.0) {
        "the token request got no complete answer (it timed out or the connection broke), \
         so the server may have acted on it"
    } else {
        "the token request could not be sent"
    })]
    Transport(#[source] reqwest::Error),
    /// The request could not be built.
    #[error("the token request could not be built: {0}")]
    Request(String),
    /// A public app's code exchange needs the PKCE verifier of its authorization, and the
    /// pending authorization has none (it was made by a private app).
    #[error("the pending authorization has no PKCE verifier; a public app needs one")]
    MissingPkceVerifier,
    /// The answer carried an ID token that failed validation; the token was not kept.
    #[error("the ID token in the token response is not valid")]
    IdToken(#[source] super::IdTokenError),
}

/// True unless the request provably never left (no connection could be made).
fn transport_outcome_unknown(error: &reqwest::Error) -> bool {
    !error.is_connect() && !error.is_builder()
}

fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

impl TokenError {
    /// The OAuth error code, when the server sent one.
    pub fn oauth_code(&self) -> Option<&OAuthErrorCode> {
        match self {
            Self::OAuth { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the request may have reached the server, which may have acted on it,
    /// but no complete answer came back (a timeout, a dropped connection). After a refresh
    /// this means the refresh token may be spent.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Transport(e) if transport_outcome_unknown(e))
    }
}

/// Reads a token endpoint response. `sent_at` is when the request left, so the expiry
/// errs early rather than late.
pub(crate) fn parse_token_response(
    status: StatusCode,
    body: Bytes,
    sent_at: Timestamp<Millis>,
) -> Result<Token, TokenError> {
    let json = serde_json::from_slice::<Value>(&body).ok();
    let fields = match json {
        Some(Value::Object(fields)) => Some(fields),
        _ => None,
    };
    // An `error` member is an OAuth error, unless a success also carries a token.
    let has_token = fields
        .as_ref()
        .is_some_and(|f| f.contains_key("access_token"));
    if let Some(error) = fields.as_ref().and_then(|f| oauth_error(status, f))
        && (!status.is_success() || !has_token)
    {
        return Err(error);
    }
    let body = ResponseBody(body);
    if !status.is_success() {
        return Err(TokenError::UnexpectedResponse { status, body });
    }
    let malformed = |reason: String| TokenError::Malformed {
        status,
        reason,
        body: body.clone(),
    };
    let Some(fields) = fields else {
        return Err(malformed("the body is not a JSON object".to_owned()));
    };
    let access_token = match fields.get("access_token") {
        Some(Value::String(token)) if !token.is_empty() => AccessToken::new(token.clone()),
        Some(_) => return Err(malformed("`access_token` is not a non-empty string".into())),
        None => return Err(malformed("`access_token` is missing".into())),
    };
    match fields.get("token_type") {
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(kind)) => {
            return Err(malformed(format!(
                "`token_type` is {kind:?}, expected \"bearer\""
            )));
        }
        Some(_) => return Err(malformed("`token_type` is not a string".into())),
        None => return Err(malformed("`token_type` is missing".into())),
    }
    let expires_in = match fields.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(value) => Some(seconds(value).ok_or_else(|| {
            malformed("`expires_in` is neither a whole number nor a string of digits".into())
        })?),
    };
    let refresh_token = match fields.get("refresh_token") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) if !token.is_empty() => Some(RefreshToken::new(token.clone())),
        Some(_) => {
            return Err(malformed(
                "`refresh_token` is not a non-empty string".into(),
            ));
        }
    };
    let scopes = match fields.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(scope)) => Some(Scopes::parse(scope)),
        Some(_) => return Err(malformed("`scope` is not a string".into())),
    };
    let id_token = match fields.get("id_token") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) if !token.is_empty() => Some(IdToken::new(token.clone())),
        Some(_) => return Err(malformed("`id_token` is not a non-empty string".into())),
    };
    Ok(Token {
        access_token,
        refresh_token,
        expires_at: expires_in.map(|secs| sent_at.saturating_add(Duration::from_secs(secs))),
        scopes,
        id_token,
        issued_at: Some(sent_at),
    })
}

/// `expires_in` as a JSON number or a string of digits (both occur in the wild).
fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..1e15).contains(f))
                .map(|f| f as u64)
        }),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

/// The OAuth error in a body with an `error` member.
fn oauth_error(status: StatusCode, fields: &Map<String, Value>) -> Option<TokenError> {
    let code = fields.get("error")?.as_str()?;
    let text = |name| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(TokenError::OAuth {
        status,
        code: OAuthErrorCode::new(code),
        description: text("error_description"),
        uri: text("error_uri"),
    })
}

/// Our one reqwest client, as the HTTP client of `oauth2`'s token requests.
///
/// It keeps the raw response of the request it carried, which this module parses itself
/// (see the module documentation for why).
pub(crate) struct TokenHttp<'a> {
    client: &'a reqwest::Client,
    /// A timeout for each request, when the client is the caller's own.
    timeout: Option<Duration>,
    response: Mutex<Option<(StatusCode, Bytes)>>,
}

impl<'a> TokenHttp<'a> {
    pub(crate) fn new(client: &'a reqwest::Client, timeout: Option<Duration>) -> Self {
        Self {
            client,
            timeout,
            response: Mutex::new(None),
        }
    }

    /// The status and body of the response, once one was received.
    pub(crate) fn take_response(&self) -> Option<(StatusCode, Bytes)> {
        self.response
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for TokenHttp<'_> {
    type Error = reqwest::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, reqwest::Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let mut request = reqwest::Request::try_from(request)?;
            if let Some(timeout) = self.timeout {
                *request.timeout_mut() = Some(timeout);
            }
            let response = self.client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            *self
                .response
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((status, body.clone()));
            let mut out = http::Response::new(body.to_vec());
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}
