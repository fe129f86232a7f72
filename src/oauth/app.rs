//! The two kinds of app, their configuration, and the authorization code flow.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, TokenUrl,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use url::Url;

use super::id_token::{self, IdTokenCheck};
use super::token::{TokenHttp, parse_token_response};
use super::{OAuthErrorCode, RedirectUri, RedirectUriError, Scope, Scopes, Token, TokenError};
use crate::clock::{SharedClock, SystemClock};

/// Lumin's authorization endpoint.
pub const DEFAULT_AUTH_URL: &str = "https://auth.luminpdf.com/oauth2/auth";

/// Lumin's token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://auth.luminpdf.com/oauth2/token";

/// The issuer Lumin's authorization server is assumed to name itself (`iss`), unless
/// configured with [`AppBuilder::issuer`]: the origin of the authorization endpoint. Lumin
/// does not document its issuer; this is inferred from its endpoints.
pub const DEFAULT_ISSUER: &str = "https://auth.luminpdf.com";

/// How long before expiry a session refreshes its access token, by default. A session never
/// refreshes earlier than half-way through a token's lifetime, whatever the skew.
pub const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(30);

/// How long a token request may take, by default.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// What both kinds of app hold.
struct AppCore {
    client_id: ClientId,
    redirect_uri: RedirectUri,
    oauth: OAuthClient,
    http: reqwest::Client,
    /// The token request timeout, set per request on a caller's own HTTP client.
    request_timeout: Option<Duration>,
    clock: SharedClock,
    refresh_skew: Duration,
    issuer: String,
    jwks_url: Url,
    pkce: bool,
}

impl fmt::Debug for AppCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("client_id", &self.client_id.as_str())
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("auth_url", &self.oauth.auth_uri().as_str())
            .field("token_url", &self.oauth.token_uri().as_str())
            .field("issuer", &self.issuer)
            .field("jwks_url", &self.jwks_url.as_str())
            .field("pkce", &self.pkce)
            .field("clock", &self.clock)
            .field("refresh_skew", &self.refresh_skew)
            .finish_non_exhaustive()
    }
}

/// A private (server) app: client id, client secret and redirect URI.
///
/// Exchanges codes and refreshes tokens with the secret in the form body
/// (`client_secret_post`); asking for [`Scope::OfflineAccess`] yields a refresh token.
/// Sends a PKCE `S256` challenge too, unless turned off with [`AppBuilder::pkce`].
/// Cheap to clone.
#[derive(Clone)]
pub struct PrivateApp {
    core: Arc<AppCore>,
}

/// A public app (mobile, desktop, single-page): client id and redirect URI, no secret.
///
/// Uses PKCE with `S256`. Lumin gives public apps no refresh token, so this type has no
/// refresh operation: when the access token expires, the user authorizes again.
/// Cheap to clone.
#[derive(Clone)]
pub struct PublicApp {
    core: Arc<AppCore>,
}

impl fmt::Debug for PrivateApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateApp({:?}, client_secret: [redacted])", self.core)
    }
}

impl fmt::Debug for PublicApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicApp({:?})", self.core)
    }
}

/// Configures a [`PrivateApp`] or a [`PublicApp`].
pub struct AppBuilder<App> {
    client_id: String,
    client_secret: Option<ClientSecret>,
    redirect_uri: String,
    auth_url: String,
    token_url: String,
    issuer: Option<String>,
    jwks_url: Option<String>,
    pkce: bool,
    clock: SharedClock,
    refresh_skew: Duration,
    timeout: Option<Duration>,
    insecure_http: bool,
    http_client: Option<reqwest::Client>,
    app: PhantomData<fn() -> App>,
}

impl<App> fmt::Debug for AppBuilder<App> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppBuilder")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("issuer", &self.issuer)
            .field("jwks_url", &self.jwks_url)
            .field("pkce", &self.pkce)
            .field("clock", &self.clock)
            .field("refresh_skew", &self.refresh_skew)
            .field("timeout", &self.timeout)
            .field("insecure_http", &self.insecure_http)
            .field("http_client", &self.http_client.is_some())
            .finish()
    }
}

impl<App> AppBuilder<App> {
    fn with(client_id: String, secret: Option<ClientSecret>, redirect_uri: String) -> Self {
        Self {
            client_id,
            client_secret: secret,
            redirect_uri,
            auth_url: DEFAULT_AUTH_URL.to_owned(),
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            issuer: None,
            jwks_url: None,
            pkce: true,
            clock: Arc::new(SystemClock),
            refresh_skew: DEFAULT_REFRESH_SKEW,
            timeout: Some(DEFAULT_TOKEN_TIMEOUT),
            insecure_http: false,
            http_client: None,
            app: PhantomData,
        }
    }

    /// Another authorization endpoint (tests point it at 127.0.0.1).
    pub fn auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = url.into();
        self
    }

    /// Another token endpoint (tests point it at 127.0.0.1).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// The authorization server's issuer identifier: a callback's `iss` (RFC 9207) and an
    /// ID token's `iss` must equal it exactly. Defaults to the origin of the authorization
    /// endpoint ([`DEFAULT_ISSUER`] for Lumin's).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Where the issuer publishes the keys that sign ID tokens (JWKS). Defaults to
    /// `{issuer}/.well-known/jwks.json`.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// The clock token lifetimes are measured with (a [`FixedClock`](crate::clock::FixedClock)
    /// in tests).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// How long before expiry a session refreshes (default [`DEFAULT_REFRESH_SKEW`]).
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.refresh_skew = skew;
        self
    }

    /// Time allowed for a token request; `None` for no limit.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Allows plain `http://` authorization, token and JWKS endpoints on a host that is not
    /// loopback. Off by default: codes, tokens and the client secret would cross the
    /// network unencrypted. Loopback hosts (`127.0.0.0/8`, `::1`, `localhost`) never need
    /// it. (The redirect URI has Lumin's own rules.)
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }

    /// Sends token requests (and fetches the issuer's keys) with `http`, the caller's own
    /// `reqwest` client (proxy, root certificates), instead of one built here. The
    /// [`timeout`](Self::timeout) is set on each token request. Build `http` with
    /// `redirect(reqwest::redirect::Policy::none())`, as this crate does: a token request
    /// carries the client secret.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http_client = Some(http);
        self
    }

    fn build_core(self) -> Result<AppCore, ConfigError> {
        let redirect_uri = RedirectUri::new(self.redirect_uri.clone())?;
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::EmptyClientId);
        }
        if self
            .client_secret
            .as_ref()
            .is_some_and(|secret| secret.secret().trim().is_empty())
        {
            return Err(ConfigError::EmptyClientSecret);
        }
        check_endpoint("authorization", &self.auth_url, self.insecure_http)?;
        check_endpoint("token", &self.token_url, self.insecure_http)?;
        let auth_url =
            AuthUrl::new(self.auth_url.clone()).map_err(|source| ConfigError::Endpoint {
                endpoint: "authorization",
                url: self.auth_url,
                source,
            })?;
        let token_url =
            TokenUrl::new(self.token_url.clone()).map_err(|source| ConfigError::Endpoint {
                endpoint: "token",
                url: self.token_url,
                source,
            })?;
        let issuer = self.issuer.unwrap_or_else(|| {
            auth_url
                .url()
                .origin()
                .ascii_serialization()
                .trim_end_matches('/')
                .to_owned()
        });
        let jwks_url = self
            .jwks_url
            .clone()
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
        check_endpoint("JWKS", &jwks_url, self.insecure_http)?;
        let jwks_url = Url::parse(&jwks_url).map_err(|source| ConfigError::Endpoint {
            endpoint: "JWKS",
            url: jwks_url,
            source,
        })?;
        let client_id = ClientId::new(self.client_id);
        // `RedirectUrl::new` keeps the string as written, and that string is what goes on
        // the wire (the parsed form would be normalized: case, default port, final `/`).
        let redirect_url =
            RedirectUrl::new(redirect_uri.as_str().to_owned()).map_err(|source| {
                ConfigError::Endpoint {
                    endpoint: "redirect",
                    url: redirect_uri.as_str().to_owned(),
                    source,
                }
            })?;
        let mut oauth = BasicClient::new(client_id.clone())
            // Lumin documents client_secret_post only.
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(auth_url)
            .set_token_uri(token_url)
            .set_redirect_uri(redirect_url);
        if let Some(secret) = self.client_secret {
            oauth = oauth.set_client_secret(secret);
        }
        let (http, request_timeout) = match self.http_client {
            Some(http) => (http, self.timeout),
            None => {
                let mut http = crate::client::http_builder()
                    .map_err(ConfigError::Tls)?
                    // A token request must never be replayed (with its secret) to another URL.
                    .redirect(reqwest::redirect::Policy::none());
                if let Some(timeout) = self.timeout {
                    http = http.timeout(timeout);
                }
                (http.build().map_err(ConfigError::Http)?, None)
            }
        };
        Ok(AppCore {
            client_id,
            redirect_uri,
            oauth,
            http,
            request_timeout,
            clock: self.clock,
            refresh_skew: self.refresh_skew,
            issuer,
            jwks_url,
            pkce: self.pkce,
        })
    }
}

/// Checks an endpoint URL by the rules of [`crate::endpoint`] (a query is allowed).
fn check_endpoint(
    endpoint: &'static str,
    url: &str,
    insecure_http: bool,
) -> Result<(), ConfigError> {
    match crate::endpoint::check(url, insecure_http, true) {
        Ok(_) => Ok(()),
        Err(crate::endpoint::UrlError::Parse(source)) => Err(ConfigError::Endpoint {
            endpoint,
            url: crate::endpoint::redacted(url),
            source,
        }),
        Err(reason) => Err(ConfigError::EndpointRejected {
            endpoint,
            url: crate::endpoint::redacted(url),
            reason,
        }),
    }
}

impl AppBuilder<PrivateApp> {
    /// Whether to send a PKCE `S256` challenge (and the verifier at the exchange) besides
    /// the client secret. On by default: it costs nothing and binds the code to this
    /// authorization.
    pub fn pkce(mut self, on: bool) -> Self {
        self.pkce = on;
        self
    }

    /// Builds the app, checking the redirect URI against Lumin's rules.
    pub fn build(self) -> Result<PrivateApp, ConfigError> {
        Ok(PrivateApp {
            core: Arc::new(self.build_core()?),
        })
    }
}

impl AppBuilder<PublicApp> {
    /// Builds the app, checking the redirect URI against Lumin's rules.
    pub fn build(self) -> Result<PublicApp, ConfigError> {
        Ok(PublicApp {
            core: Arc::new(self.build_core()?),
        })
    }
}

/// An app could not be configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The redirect URI breaks one of Lumin's rules.
    #[error(transparent)]
    RedirectUri(#[from] RedirectUriError),
    /// An endpoint URL does not parse.
    #[error("invalid {endpoint} URL {url:?}")]
    Endpoint {
        /// `authorization`, `token`, `JWKS` or `redirect`.
        endpoint: &'static str,
        /// The URL as given.
        url: String,
        /// Why it does not parse.
        #[source]
        source: url::ParseError,
    },
    /// An endpoint URL parses but breaks a rule of [`crate::endpoint`]: not http(s), a
    /// fragment, user info, or plain http to a host that is not loopback without
    /// [`AppBuilder::allow_insecure_http`].
    #[error("the {endpoint} URL {url:?} is refused")]
    EndpointRejected {
        /// `authorization`, `token` or `JWKS`.
        endpoint: &'static str,
        /// The URL as given (without any user name or password).
        url: String,
        /// The rule it breaks.
        #[source]
        reason: crate::endpoint::UrlError,
    },
    /// The client id is empty or only whitespace.
    #[error("the client id is empty")]
    EmptyClientId,
    /// The client secret is empty or only whitespace.
    #[error("the client secret is empty")]
    EmptyClientSecret,
    /// The HTTP client for token requests could not be built.
    #[error("the HTTP client for token requests could not be built")]
    Http(#[source] reqwest::Error),
    /// The HTTP client's TLS setup could not be built.
    #[error("the HTTP client's TLS setup could not be built")]
    Tls(#[source] crate::client::BuildError),
}

/// Where to send the user, and what to keep until they come back.
///
/// `Debug` shows the URL with the values of `state`, `nonce` and `code_challenge` redacted.
pub struct AuthorizationRequest {
    /// The authorization URL to send the user's browser to.
    pub url: Url,
    /// State, nonce and PKCE verifier: keep them (in the user's session) for the callback.
    pub pending: PendingAuthorization,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(name, value)| {
                let value = if matches!(&*name, "state" | "nonce" | "code_challenge") {
                    "[redacted]".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
        f.debug_struct("AuthorizationRequest")
            .field("url", &shown.as_str())
            .field("pending", &self.pending)
            .finish()
    }
}

/// A value of the `prompt` parameter (OpenID Connect Core §3.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Prompt {
    /// `none`: no user interaction; fail if it would be needed.
    None,
    /// `login`: ask the user to sign in again.
    Login,
    /// `consent`: ask the user for consent again (for example, to grant `offline_access`
    /// that was declined before).
    Consent,
    /// `select_account`: let the user choose an account.
    SelectAccount,
}

impl Prompt {
    /// The value as sent.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Login => "login",
            Self::Consent => "consent",
            Self::SelectAccount => "select_account",
        }
    }
}

/// Optional parameters of an authorization URL.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeOptions {
    prompt: Vec<Prompt>,
}

impl AuthorizeOptions {
    /// No optional parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `prompt` to the `prompt` parameter (space-separated when several).
    #[must_use]
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        if !self.prompt.contains(&prompt) {
            self.prompt.push(prompt);
        }
        self
    }
}

/// A random value sent as `nonce`, for an ID token to echo. `Debug` redacts it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nonce(String);

impl Nonce {
    /// The nonce, to compare with the `nonce` claim of an ID token.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nonce([redacted])")
    }
}

/// What an app keeps between sending the user to Lumin and the callback: the `state`, the
/// `nonce`, the PKCE verifier (public apps) and the scopes asked for.
///
/// Serializable so that a web app can keep it in the user's session; `Debug` shows no
/// secret. Consumed by the code exchange, so it cannot be used twice.
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingAuthorization {
    state: CsrfToken,
    nonce: Nonce,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pkce_verifier: Option<PkceCodeVerifier>,
    scopes: Scopes,
}

impl PendingAuthorization {
    /// The `state` sent to Lumin.
    pub fn state(&self) -> &CsrfToken {
        &self.state
    }

    /// The `nonce` sent to Lumin.
    pub fn nonce(&self) -> &Nonce {
        &self.nonce
    }

    /// The PKCE verifier (public apps only).
    pub fn pkce_verifier(&self) -> Option<&PkceCodeVerifier> {
        self.pkce_verifier.as_ref()
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }
}

/// An authorization URL could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// Public apps get no refresh token, so they may not ask for `offline_access`.
    #[error(
        "a public app cannot ask for `offline_access`: Lumin issues refresh tokens to private apps only"
    )]
    OfflineAccessForPublicApp,
    /// A scope is empty or contains characters a scope may not (spaces, quotes, `\`).
    #[error("scope {0:?} is not a valid scope token")]
    InvalidScope(String),
}

/// The redirect back to the app did not carry a usable authorization code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The redirect URL does not parse.
    #[error("the redirect URL does not parse: {0}")]
    InvalidUrl(url::ParseError),
    /// The redirect's `iss` (RFC 9207) is not the configured issuer: the response may come
    /// from another authorization server (a mix-up attack).
    #[error("the redirect's `iss` is not the configured issuer")]
    IssuerMismatch {
        /// The `iss` the redirect carried.
        received: String,
    },
    /// Lumin sent an error instead of a code (for example, `access_denied`).
    #[error("authorization failed: `{code}`{}", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Authorization {
        /// The `error` code.
        code: OAuthErrorCode,
        /// The `error_description`.
        description: Option<String>,
        /// The `error_uri`.
        uri: Option<String>,
    },
    /// The redirect has no `state`.
    #[error("the redirect has no `state` parameter")]
    MissingState,
    /// The `state` is not the one this authorization sent: possibly a forged request.
    #[error("the redirect's `state` does not match the authorization's")]
    StateMismatch,
    /// The redirect has no `code`.
    #[error("the redirect has no `code` parameter")]
    MissingCode,
    /// A parameter appears more than once (RFC 6749 §3.1).
    #[error("the redirect repeats the `{0}` parameter")]
    RepeatedParameter(String),
}

impl AppCore {
    fn authorize(
        &self,
        scopes: &Scopes,
        options: &AuthorizeOptions,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let pkce = self.pkce;
        if let Some(bad) = scopes.iter().find(|s| !s.is_well_formed()) {
            return Err(AuthorizeError::InvalidScope(bad.as_str().to_owned()));
        }
        let nonce = Nonce(CsrfToken::new_random().into_secret());
        let mut request = self
            .oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(
                scopes
                    .iter()
                    .map(|s| oauth2::Scope::new(s.as_str().to_owned())),
            )
            .add_extra_param("nonce", nonce.0.clone());
        if !options.prompt.is_empty() {
            let prompt: Vec<&str> = options.prompt.iter().map(Prompt::as_str).collect();
            request = request.add_extra_param("prompt", prompt.join(" "));
        }
        let mut pkce_verifier = None;
        if pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            pkce_verifier = Some(verifier);
        }
        let (url, state) = request.url();
        Ok(AuthorizationRequest {
            url,
            pending: PendingAuthorization {
                state,
                nonce,
                pkce_verifier,
                scopes: scopes.clone(),
            },
        })
    }

    fn callback(
        &self,
        pending: &PendingAuthorization,
        redirected_to: &str,
    ) -> Result<AuthorizationCode, CallbackError> {
        let url = match Url::parse(redirected_to) {
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                self.redirect_uri.url().join(redirected_to)
            }
            parsed => parsed,
        }
        .map_err(CallbackError::InvalidUrl)?;
        let mut params: HashMap<String, String> = HashMap::new();
        for (name, value) in url.query_pairs() {
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(CallbackError::RepeatedParameter(name.into_owned()));
            }
        }
        // State first: an error redirect without this authorization's state may be forged
        // and is not believed.
        let state = params.get("state").ok_or(CallbackError::MissingState)?;
        let expected = pending.state.secret().as_bytes();
        if !bool::from(state.as_bytes().ct_eq(expected)) {
            return Err(CallbackError::StateMismatch);
        }
        if let Some(iss) = params.get("iss")
            && iss != &self.issuer
        {
            return Err(CallbackError::IssuerMismatch {
                received: iss.clone(),
            });
        }
        if let Some(code) = params.get("error") {
            return Err(CallbackError::Authorization {
                code: OAuthErrorCode::new(code),
                description: params.get("error_description").cloned(),
                uri: params.get("error_uri").cloned(),
            });
        }
        match params.remove("code") {
            Some(code) if !code.is_empty() => Ok(AuthorizationCode::new(code)),
            _ => Err(CallbackError::MissingCode),
        }
    }

    async fn exchange(
        &self,
        code: AuthorizationCode,
        verifier: Option<PkceCodeVerifier>,
        nonce: &Nonce,
    ) -> Result<Token, TokenError> {
        let http = TokenHttp::new(&self.http, self.request_timeout);
        let mut request = self.oauth.exchange_code(code);
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(verifier);
        }
        let sent_at = self.clock.now();
        let outcome = request.request_async(&http).await;
        let token = read_outcome(&http, outcome.err(), sent_at)?;
        if let Some(id_token) = token.id_token() {
            let check = IdTokenCheck {
                issuer: &self.issuer,
                client_id: self.client_id.as_str(),
                nonce: nonce.secret(),
                now: self.clock.now(),
            };
            id_token::validate(&self.http, &self.jwks_url, id_token.secret(), &check)
                .await
                .map_err(TokenError::IdToken)?;
        }
        Ok(token)
    }

    async fn refresh(&self, refresh_token: &RefreshToken) -> Result<Token, TokenError> {
        let http = TokenHttp::new(&self.http, self.request_timeout);
        let sent_at = self.clock.now();
        let outcome = self
            .oauth
            .exchange_refresh_token(refresh_token)
            .request_async(&http)
            .await;
        let mut token = read_outcome(&http, outcome.err(), sent_at)?;
        token.keep_refresh_token(Some(refresh_token));
        // Only an ID token checked against the authorization's nonce is kept; a session
        // carries the one from the code exchange forward.
        Ok(token.without_id_token())
    }
}

/// The token from the response `http` received, parsed here; `oauth2`'s own reading of it
/// is used only when no response arrived.
fn read_outcome(
    http: &TokenHttp<'_>,
    error: Option<oauth2::RequestTokenError<reqwest::Error, oauth2::basic::BasicErrorResponse>>,
    sent_at: crate::time::Timestamp,
) -> Result<Token, TokenError> {
    if let Some((status, body)) = http.take_response() {
        return parse_token_response(status, body, sent_at);
    }
    Err(match error {
        Some(oauth2::RequestTokenError::Request(e)) => TokenError::Transport(e),
        Some(other) => TokenError::Request(other.to_string()),
        None => TokenError::Request("no response was received".to_owned()),
    })
}

impl PrivateApp {
    /// Configures a private app. The endpoints default to Lumin's.
    pub fn builder(
        client_id: impl Into<String>,
        client_secret: ClientSecret,
        redirect_uri: impl Into<String>,
    ) -> AppBuilder<PrivateApp> {
        AppBuilder::with(client_id.into(), Some(client_secret), redirect_uri.into())
    }

    /// The authorization URL for `scopes`, with a fresh `state`, `nonce` and (unless turned
    /// off) PKCE `S256` challenge.
    ///
    /// Include [`Scope::OfflineAccess`] to receive a refresh token.
    pub fn authorize_url(&self, scopes: &Scopes) -> Result<AuthorizationRequest, AuthorizeError> {
        self.core.authorize(scopes, &AuthorizeOptions::default())
    }

    /// [`authorize_url`](Self::authorize_url) with optional parameters such as `prompt`.
    pub fn authorize_url_with(
        &self,
        scopes: &Scopes,
        options: &AuthorizeOptions,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        self.core.authorize(scopes, options)
    }

    /// The authorization code from the URL Lumin redirected the user to (absolute, or the
    /// path and query of the request your callback received), after checking `state`.
    pub fn callback(
        &self,
        pending: &PendingAuthorization,
        redirected_to: &str,
    ) -> Result<AuthorizationCode, CallbackError> {
        self.core.callback(pending, redirected_to)
    }

    /// Exchanges `code` for a token, with the client secret in the form body (and the PKCE
    /// verifier kept in `pending`, if any). An ID token in the answer is validated (see
    /// [`IdToken`](super::IdToken)).
    pub async fn exchange_code(
        &self,
        pending: PendingAuthorization,
        code: AuthorizationCode,
    ) -> Result<Token, TokenError> {
        self.core
            .exchange(code, pending.pkce_verifier, &pending.nonce)
            .await
    }

    /// Exchanges a refresh token for a new token (which may carry a new refresh token).
    ///
    /// This is the bare request: a [`PrivateSession`](super::PrivateSession) refreshes for
    /// you, one request at a time, and saves a rotated refresh token before using it.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<Token, TokenError> {
        self.core.refresh(refresh_token).await
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.core.client_id
    }

    /// The redirect URI.
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.core.redirect_uri
    }

    pub(crate) fn clock(&self) -> &SharedClock {
        &self.core.clock
    }

    pub(crate) fn refresh_skew(&self) -> Duration {
        self.core.refresh_skew
    }
}

impl PublicApp {
    /// Configures a public app. The endpoints default to Lumin's.
    pub fn builder(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> AppBuilder<PublicApp> {
        AppBuilder::with(client_id.into(), None, redirect_uri.into())
    }

    /// The authorization URL for `scopes`, with a fresh `state`, `nonce` and PKCE (`S256`)
    /// challenge.
    ///
    /// Asking for [`Scope::OfflineAccess`] is an error: public apps get no refresh token.
    pub fn authorize_url(&self, scopes: &Scopes) -> Result<AuthorizationRequest, AuthorizeError> {
        self.authorize_url_with(scopes, &AuthorizeOptions::default())
    }

    /// [`authorize_url`](Self::authorize_url) with optional parameters such as `prompt`.
    pub fn authorize_url_with(
        &self,
        scopes: &Scopes,
        options: &AuthorizeOptions,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        if scopes.contains(&Scope::OfflineAccess) {
            return Err(AuthorizeError::OfflineAccessForPublicApp);
        }
        self.core.authorize(scopes, options)
    }

    /// The authorization code from the URL Lumin redirected the user to (absolute, or the
    /// path and query of the request your callback received), after checking `state`.
    pub fn callback(
        &self,
        pending: &PendingAuthorization,
        redirected_to: &str,
    ) -> Result<AuthorizationCode, CallbackError> {
        self.core.callback(pending, redirected_to)
    }

    /// Exchanges `code` for a token, with the PKCE verifier kept in `pending`.
    ///
    /// The token has no refresh token, even if the server sent one. An ID token in the
    /// answer is validated (see [`IdToken`](super::IdToken)).
    pub async fn exchange_code(
        &self,
        pending: PendingAuthorization,
        code: AuthorizationCode,
    ) -> Result<Token, TokenError> {
        let verifier = pending
            .pkce_verifier
            .ok_or(TokenError::MissingPkceVerifier)?;
        let token = self
            .core
            .exchange(code, Some(verifier), &pending.nonce)
            .await?;
        Ok(token.without_refresh_token())
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.core.client_id
    }

    /// The redirect URI.
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.core.redirect_uri
    }

    pub(crate) fn clock(&self) -> &SharedClock {
        &self.core.clock
    }
}
