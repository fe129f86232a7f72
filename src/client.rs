//! Building a client, and what it does around every request.
//!
//! [`ClientBuilder`] makes the generated [`Client`](crate::Client): base URL, credentials,
//! timeouts, retry policy, `User-Agent`, clock and sleep. What happens around each request
//! is the call layer's ([`crate::call`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::auth::{Credentials, InvalidCredential, TokenSource};
use crate::clock::{SharedClock, SharedSleep, SystemClock, TokioSleep};
use crate::limits::UploadLimit;
use crate::retry::RetryPolicy;

/// The production base URL of the Lumin API.
pub const DEFAULT_BASE_URL: &str = "https://api.luminpdf.com/v1";

/// The `User-Agent` the client sends: crate name and version.
pub const DEFAULT_USER_AGENT: &str = concat!("lumin-rust/", env!("CARGO_PKG_VERSION"));

/// What a client carries besides its HTTP client and base URL.
#[derive(Clone)]
pub struct ClientState {
    /// The base URL, parsed: each operation's URL is made from it.
    pub(crate) base: crate::endpoint::BaseUrl,
    pub(crate) token_source: Option<Arc<dyn TokenSource>>,
    /// The header of a static credential (API key, fixed bearer token), marked sensitive;
    /// set on each request, so that it works with a caller's own HTTP client too.
    pub(crate) static_auth: Option<(HeaderName, HeaderValue)>,
    /// The `User-Agent`, set on each request.
    pub(crate) user_agent: HeaderValue,
    /// The total timeout to set on each request (when the HTTP client is the caller's,
    /// whose own timeout the builder cannot change).
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) clock: SharedClock,
    pub(crate) sleep: SharedSleep,
    pub(crate) retry: RetryPolicy,
    pub(crate) upload_limit: UploadLimit,
    pub(crate) idle_timeout: Duration,
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
            .field("base", &self.base)
            .field("token_source", &self.token_source)
            .field(
                "static_auth",
                &self
                    .static_auth
                    .as_ref()
                    .map(|(name, _)| (name, "[REDACTED]")),
            )
            .field("user_agent", &self.user_agent)
            .field("request_timeout", &self.request_timeout)
            .field("clock", &self.clock)
            .field("sleep", &self.sleep)
            .field("retry", &self.retry)
            .field("upload_limit", &self.upload_limit)
            .field("idle_timeout", &self.idle_timeout)
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
    /// The API key or access token is empty or only whitespace.
    #[error("the {credential} is empty")]
    EmptyCredential {
        /// `API key` or `access token`.
        credential: &'static str,
    },
    /// The base URL breaks a rule of [`crate::endpoint`]: not absolute http(s), a query or
    /// a fragment, or plain http to a host that is not loopback without
    /// [`ClientBuilder::allow_insecure_http`].
    #[error("invalid base URL {url:?}")]
    InvalidBaseUrl {
        /// The URL as given (without any user name or password).
        url: String,
        /// The rule it breaks.
        #[source]
        reason: crate::endpoint::UrlError,
    },
    /// The user agent cannot be sent in a header.
    #[error("the user agent contains characters not allowed in an HTTP header")]
    InvalidUserAgent,
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    Http(#[source] reqwest::Error),
    /// The TLS configuration could not be built (no usable root certificates).
    #[error("the TLS configuration could not be built")]
    Tls(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// The variable [`ClientBuilder::from_env`] reads an API key from.
pub const ENV_API_KEY: &str = "LUMIN_API_KEY";
/// The variable [`ClientBuilder::from_env`] reads an OAuth access token from.
pub const ENV_ACCESS_TOKEN: &str = "LUMIN_ACCESS_TOKEN";
/// The variable [`ClientBuilder::from_env`] reads another base URL from.
pub const ENV_BASE_URL: &str = "LUMIN_BASE_URL";

/// Why [`ClientBuilder::from_env`] found no usable configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// Neither credential variable is set (or both are empty).
    #[error("no credentials in the environment: set {ENV_API_KEY} or {ENV_ACCESS_TOKEN}")]
    MissingCredentials,
    /// Both credential variables are set, so which one to use is ambiguous.
    #[error("both {ENV_API_KEY} and {ENV_ACCESS_TOKEN} are set; set only one")]
    ConflictingCredentials,
    /// A variable is set but is not valid Unicode.
    #[error("the environment variable {variable} is not valid Unicode")]
    NotUnicode {
        /// The variable.
        variable: &'static str,
    },
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
    http_client: Option<reqwest::Client>,
    credentials: Option<Credentials>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: String,
    clock: SharedClock,
    sleep: SharedSleep,
    retry: RetryPolicy,
    upload_limit: UploadLimit,
    idle_timeout: Duration,
    insecure_http: bool,
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
            http_client: None,
            credentials: None,
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Some(Duration::from_secs(15)),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            clock: Arc::new(SystemClock),
            sleep: Arc::new(TokioSleep),
            retry: RetryPolicy::default(),
            upload_limit: UploadLimit::default(),
            idle_timeout: Duration::from_secs(30),
            insecure_http: false,
        }
    }

    /// Allows a plain `http://` base URL to a host that is not loopback. Off by default:
    /// credentials would cross the network unencrypted. Loopback hosts (`127.0.0.0/8`,
    /// `::1`, `localhost`) never need it.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }

    /// A builder configured from the environment:
    ///
    /// | variable | what |
    /// |---|---|
    /// | `LUMIN_API_KEY` | an API key, sent in `X-API-KEY` |
    /// | `LUMIN_ACCESS_TOKEN` | an OAuth access token, sent as `Authorization: Bearer` (instead of the key) |
    /// | `LUMIN_BASE_URL` | optional: another base URL (default [`DEFAULT_BASE_URL`]) |
    ///
    /// Exactly one of the first two must be set (an empty value counts as unset). The
    /// builder can be configured further before [`build`](Self::build), which checks the
    /// base URL.
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_env_with(std::env::var)
    }

    /// [`from_env`](Self::from_env) with another source of variables, such as a map in a
    /// test: `lookup` answers like [`std::env::var`].
    pub fn from_env_with<F>(lookup: F) -> Result<Self, EnvError>
    where
        F: Fn(&'static str) -> Result<String, std::env::VarError>,
    {
        let read = |variable: &'static str| match lookup(variable) {
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(EnvError::NotUnicode { variable }),
        };
        let credentials = match (read(ENV_API_KEY)?, read(ENV_ACCESS_TOKEN)?) {
            (Some(key), None) => Credentials::api_key(key),
            (None, Some(token)) => Credentials::bearer(token),
            (None, None) => return Err(EnvError::MissingCredentials),
            (Some(_), Some(_)) => return Err(EnvError::ConflictingCredentials),
        };
        let mut builder = Self::new().credentials(credentials);
        if let Some(base_url) = read(ENV_BASE_URL)? {
            builder = builder.base_url(base_url);
        }
        Ok(builder)
    }

    /// Sends requests with `http`, the caller's own `reqwest` client (its proxy, root
    /// certificates, HTTP/2 settings, default headers), instead of one built here.
    ///
    /// Credentials, the `User-Agent`, retries and the total [`timeout`](Self::timeout)
    /// still apply, set on each request; the [`connect_timeout`](Self::connect_timeout) and
    /// the TLS backend are then the caller's. So is the redirect policy: build `http` with
    /// `redirect(reqwest::redirect::Policy::none())`, as this crate does, or a redirect to
    /// another host may carry the `X-API-KEY` header there.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http_client = Some(http);
        self
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

    /// How failed calls are retried ([`RetryPolicy::none`] for never); see [`crate::retry`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How the client waits between attempts (a [`RecordingSleep`](crate::clock::RecordingSleep)
    /// in tests).
    pub fn sleep(mut self, sleep: SharedSleep) -> Self {
        self.sleep = sleep;
        self
    }

    /// The largest upload let through, checked before sending (Lumin's plans: 20 MB
    /// free, 200 MB paid, the default).
    pub fn upload_limit(mut self, limit: UploadLimit) -> Self {
        self.upload_limit = limit;
        self
    }

    /// For uploads and downloads, which the total timeout does not cut: the longest
    /// time no byte may move (30 s by default).
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::Client, BuildError> {
        let credentials = self.credentials.ok_or(BuildError::MissingCredentials)?;
        if let Some(credential) = credentials.empty_kind() {
            return Err(BuildError::EmptyCredential { credential });
        }
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let base = match crate::endpoint::check(&self.base_url, self.insecure_http, false) {
            Ok(parsed) => crate::endpoint::BaseUrl::new(parsed),
            Err(reason) => {
                return Err(BuildError::InvalidBaseUrl {
                    url: crate::endpoint::redacted(&self.base_url),
                    reason,
                });
            }
        };
        let static_auth = credentials.static_header()?;
        let user_agent =
            HeaderValue::from_str(&self.user_agent).map_err(|_| BuildError::InvalidUserAgent)?;
        let (http, request_timeout) = match self.http_client {
            Some(http) => (http, self.timeout),
            None => {
                let mut http = http_builder()?
                    // Credentials must not follow a redirect to another host.
                    .redirect(reqwest::redirect::Policy::none());
                if let Some(timeout) = self.timeout {
                    http = http.timeout(timeout);
                }
                if let Some(timeout) = self.connect_timeout {
                    http = http.connect_timeout(timeout);
                }
                (http.build().map_err(BuildError::Http)?, None)
            }
        };
        let token_source = match credentials {
            Credentials::TokenSource(source) => Some(source),
            _ => None,
        };
        Ok(crate::Client::new_with_client(
            &base_url,
            http,
            ClientState {
                base,
                token_source,
                static_auth,
                user_agent,
                request_timeout,
                clock: self.clock,
                sleep: self.sleep,
                retry: self.retry,
                upload_limit: self.upload_limit,
                idle_timeout: self.idle_timeout,
            },
        ))
    }
}

/// The TLS configuration of a client on the `ring` provider: the client's own, so that
/// building one installs nothing process-wide.
#[cfg(feature = "rustls-ring")]
fn rustls_config() -> Result<rustls::ClientConfig, BuildError> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|e| BuildError::Tls(Box::new(e)))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A `reqwest` builder with this crate's TLS setup for the chosen backend (used for the
/// API client and the OAuth token client alike): a starting point for a client of your
/// own ([`ClientBuilder::http_client`]) with a proxy, default headers or HTTP/2 settings.
///
/// With the default `rustls-ring` feature reqwest has no process-wide crypto provider, so
/// a `reqwest::Client::builder()` of your own needs either this function, its own
/// `tls_backend_preconfigured` rustls configuration (for custom root certificates), or a
/// provider installed with `rustls::crypto::ring::default_provider().install_default()`.
pub fn http_builder() -> Result<reqwest::ClientBuilder, BuildError> {
    let http = reqwest::Client::builder();
    #[cfg(feature = "rustls-ring")]
    let http = http.tls_backend_preconfigured(rustls_config()?);
    Ok(http)
}

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
