//! Building a client, and what it does around every request.
//!
//! [`ClientBuilder`] makes the generated [`Client`](crate::Client): base URL, credentials,
//! timeouts, `User-Agent`, clock. The client's hooks then, for every operation:
//!
//! - set the required headers the spec gives a default (`X-Lumin-API-Version: 1.1` on
//!   List Templates), so callers never pass them;
//! - take an access token from a [`TokenSource`] when one is
//!   configured, and after a `401` refresh once and retry once;
//! - keep the raw body of every error response, so a body that is not the documented
//!   envelope still reaches the caller with its status (see [`crate::Error`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Request, Response, StatusCode};

use crate::auth::{Credentials, InvalidCredential, TokenSource, bearer_value};
use crate::clock::{SharedClock, SystemClock};
use crate::error::{ApiErrorBody, RawBody};

/// The production base URL of the Lumin API.
pub const DEFAULT_BASE_URL: &str = "https://api.luminpdf.com/v1";

/// The `User-Agent` the client sends: crate name and version.
pub const DEFAULT_USER_AGENT: &str = concat!("lumin-rust/", env!("CARGO_PKG_VERSION"));

/// What a client carries besides its HTTP client and base URL.
#[derive(Clone)]
pub struct ClientState {
    token_source: Option<Arc<dyn TokenSource>>,
    clock: SharedClock,
}

impl ClientState {
    /// The clock the client checks expiry against.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("token_source", &self.token_source)
            .field("clock", &self.clock)
            .finish()
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No credentials were given.
    #[error("no credentials: set an API key, an access token or a token source")]
    MissingCredentials,
    /// A credential cannot be sent in a header.
    #[error(transparent)]
    InvalidCredential(#[from] InvalidCredential),
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid base URL {0:?}: expected an absolute http or https URL")]
    InvalidBaseUrl(String),
    /// The user agent cannot be sent in a header.
    #[error("the user agent contains characters not allowed in an HTTP header")]
    InvalidUserAgent,
    /// The HTTP client could not be built (for example, no TLS backend).
    #[error("the HTTP client could not be built: {0}")]
    Http(#[source] reqwest::Error),
}

/// Configures and builds a [`Client`](crate::Client).
///
/// ```
/// # fn main() -> Result<(), lumin::client::BuildError> {
/// use std::time::Duration;
/// use lumin::{ClientBuilder, auth::Credentials};
///
/// let client = ClientBuilder::new()
///     .credentials(Credentials::api_key("my-api-key"))
///     .timeout(Duration::from_secs(30))
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: String,
    clock: SharedClock,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// A builder for the production API, with a 60 s timeout and the system clock.
    pub fn new() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials: None,
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Some(Duration::from_secs(15)),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Another base URL, for tests and proxies (`http://127.0.0.1:8080/v1`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// How requests authenticate.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Shorthand for [`Credentials::api_key`]: the key in the `X-API-KEY` header.
    pub fn api_key(self, key: impl Into<String>) -> Self {
        self.credentials(Credentials::api_key(key))
    }

    /// Time allowed for a whole request; `None` for no limit.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Time allowed to connect; `None` for no limit.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// Text to put before the crate's own `User-Agent`.
    pub fn user_agent_prefix(mut self, prefix: &str) -> Self {
        self.user_agent = format!("{prefix} {DEFAULT_USER_AGENT}");
        self
    }

    /// The clock for expiry checks (a fixed clock in tests).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::Client, BuildError> {
        let credentials = self.credentials.ok_or(BuildError::MissingCredentials)?;
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        match url::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            _ => return Err(BuildError::InvalidBaseUrl(self.base_url)),
        }
        let mut headers = HeaderMap::new();
        if let Some((name, value)) = credentials.static_header()? {
            headers.insert(name, value);
        }
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&self.user_agent).map_err(|_| BuildError::InvalidUserAgent)?,
        );
        install_crypto_provider();
        let mut http = reqwest::Client::builder()
            .default_headers(headers)
            // Credentials must not follow a redirect to another host.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(timeout) = self.timeout {
            http = http.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            http = http.connect_timeout(timeout);
        }
        let http = http.build().map_err(BuildError::Http)?;
        let token_source = match credentials {
            Credentials::TokenSource(source) => Some(source),
            _ => None,
        };
        Ok(crate::Client::new_with_client(
            &base_url,
            http,
            ClientState {
                token_source,
                clock: self.clock,
            },
        ))
    }
}

/// Installs the `ring` provider for rustls when that TLS feature is chosen.
#[cfg(feature = "rustls-ring")]
pub(crate) fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Nothing to install for the other TLS backends.
#[cfg(not(feature = "rustls-ring"))]
pub(crate) fn install_crypto_provider() {}

impl crate::Client {
    /// A client for the production API authenticating with `api_key` in `X-API-KEY`.
    pub fn with_api_key(api_key: impl Into<String>) -> Result<Self, BuildError> {
        ClientBuilder::new().api_key(api_key).build()
    }

    /// The clock this client checks expiry against.
    pub fn clock(&self) -> &SharedClock {
        self.inner.clock()
    }
}

/// A header progenitor adds to every request that Lumin does not define.
const GENERATOR_VERSION_HEADER: &str = "api-version";

impl ClientHooks<ClientState> for crate::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        prepare(self, request, info.operation_id)
            .await
            .map_err(|e| match e {
                PrepareError::Token(message) => progenitor_client::Error::Custom(message),
                PrepareError::Invalid(e) => progenitor_client::Error::InvalidRequest(e.to_string()),
            })
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        execute(self, request, info.operation_id).await
    }
}

/// Why a request was not sent.
#[derive(Debug)]
pub(crate) enum PrepareError {
    /// The token source had no usable token.
    Token(String),
    /// The body breaks a rule the spec states.
    Invalid(crate::files::FilesError),
}

impl From<PrepareError> for crate::Error {
    fn from(error: PrepareError) -> Self {
        match error {
            PrepareError::Token(message) => Self::Auth(message),
            PrepareError::Invalid(e) => Self::Files(e),
        }
    }
}

/// Checks a JSON body against the spec's exclusive fields, sets default headers and
/// credentials on a request of operation `operation_id`.
pub(crate) async fn prepare(
    client: &crate::Client,
    request: &mut Request,
    operation_id: &str,
) -> Result<(), PrepareError> {
    let is_json = request
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json
        && let Some(body) = request.body().and_then(|b| b.as_bytes())
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        crate::files::check_exclusive(operation_id, &value, &[], false)
            .map_err(PrepareError::Invalid)?;
    }
    let headers = request.headers_mut();
    headers.remove(GENERATOR_VERSION_HEADER);
    for (op, defaults) in crate::generated::DEFAULT_HEADERS {
        if *op == operation_id {
            for (name, value) in *defaults {
                if !headers.contains_key(*name) {
                    headers.insert(*name, HeaderValue::from_static(value));
                }
            }
        }
    }
    if let Some(source) = &client.inner().token_source {
        let token = source
            .access_token()
            .await
            .map_err(|e| PrepareError::Token(e.to_string()))?;
        let value = bearer_value(&token).map_err(|e| PrepareError::Token(e.to_string()))?;
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    Ok(())
}

/// Sends a prepared request of `operation_id`: one refresh and retry after a `401` when a
/// token source is configured, then keeps the raw body of any response the operation does
/// not document as a success.
pub(crate) async fn execute(
    client: &crate::Client,
    request: Request,
    operation_id: &str,
) -> reqwest::Result<Response> {
    let http = client.client();
    let source = client.inner().token_source.as_ref();
    let retry = source.and_then(|_| request.try_clone());
    let sent_token = request.headers().get(AUTHORIZATION).cloned();
    let mut response = http.execute(request).await?;
    if let (StatusCode::UNAUTHORIZED, Some(source), Some(mut retry), Some(sent)) =
        (response.status(), source, retry, sent_token)
    {
        let rejected = sent
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| secrecy::SecretString::from(t.to_owned()));
        if let Some(rejected) = rejected
            && let Ok(token) = source.refresh_rejected(&rejected).await
            && let Ok(value) = bearer_value(&token)
        {
            retry.headers_mut().insert(AUTHORIZATION, value);
            response = http.execute(retry).await?;
        }
    }
    if is_documented_success(operation_id, response.status()) {
        Ok(response)
    } else {
        keep_raw_body(response).await
    }
}

/// True when `status` is one the spec documents as a success of `operation_id`.
fn is_documented_success(operation_id: &str, status: StatusCode) -> bool {
    let code = status.as_u16();
    crate::generated::SUCCESS_STATUSES
        .iter()
        .find(|(op, _)| *op == operation_id)
        .is_some_and(|(_, ranges)| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&code)))
}

/// Reads the body of a response that is not a documented success and hands it on intact,
/// noting it in the response's extensions; a 4XX body that is not the documented envelope
/// is wrapped so the generated decoder keeps it (see [`ApiErrorBody`]).
async fn keep_raw_body(response: Response) -> reqwest::Result<Response> {
    let status = response.status();
    let headers = response.headers().clone();
    let version = response.version();
    let raw: Bytes = response.bytes().await?;
    let body = if status.is_client_error() {
        match ApiErrorBody::from_bytes(&raw) {
            ApiErrorBody::Envelope { .. } => raw.clone(),
            unparsed => Bytes::from(serde_json::to_vec(&unparsed).unwrap_or_default()),
        }
    } else {
        raw.clone()
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    if status.is_client_error() {
        // The body may have been wrapped (see `RAW_BODY_MARKER`).
        rebuilt
            .headers_mut()
            .remove(reqwest::header::CONTENT_LENGTH);
    }
    rebuilt.extensions_mut().insert(RawBody(raw));
    Ok(Response::from(rebuilt))
}
