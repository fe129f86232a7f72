//! OAuth 2.0 for Lumin apps: the authorization code flow, for private apps (client secret,
//! refresh tokens) and public apps (PKCE, no refresh token), and sessions that keep API
//! calls authenticated.
//!
//! # The flow
//!
//! 1. Configure the app: [`PrivateApp::builder`] or [`PublicApp::builder`]. The redirect
//!    URI is checked against Lumin's rules ([`RedirectUri`]) on its parsed form, and sent
//!    byte for byte as written.
//! 2. [`authorize_url`](PrivateApp::authorize_url) gives the URL to send the user to and a
//!    [`PendingAuthorization`] (state, nonce, PKCE verifier) to keep in the user's session;
//!    [`authorize_url_with`](PrivateApp::authorize_url_with) adds a [`Prompt`].
//! 3. When Lumin redirects back, [`callback`](PrivateApp::callback) checks `state` first
//!    (in constant time), then `iss` when present (RFC 9207), and only then returns the
//!    code, or the error Lumin sent.
//! 4. [`exchange_code`](PrivateApp::exchange_code) trades the code for a [`Token`]. With
//!    `openid`, an [`IdToken`] in the answer is validated (signature against the issuer's
//!    JWKS, `iss`, `aud`, `exp`, `nonce`) and kept.
//! 5. A session is the client's [`TokenSource`](crate::auth::TokenSource):
//!    [`PrivateApp::start_session`] (or [`PrivateApp::resume_session`] on start-up) for a
//!    private app, [`PublicApp::session`] for a public one.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use std::sync::Arc;
//! use lumin::oauth::{ClientSecret, MemoryTokenStore, PrivateApp, Scope, Scopes};
//!
//! let app = PrivateApp::builder(
//!     "client-id",
//!     ClientSecret::new("client-secret".into()),
//!     "https://app.example.com/callback",
//! )
//! .build()?;
//! let scopes = Scopes::from([Scope::OpenId, Scope::OfflineAccess, Scope::ProfileRead]);
//! let request = app.authorize_url(&scopes)?;
//! println!("open {}", request.url);
//! # let redirected_to = "";
//! // ... the user comes back to the redirect URI ...
//! let code = app.callback(&request.pending, redirected_to)?;
//! let token = app.exchange_code(request.pending, code).await?;
//! let session = app.start_session(token, Arc::new(MemoryTokenStore::new())).await?;
//! let client = lumin::ClientBuilder::new()
//!     .credentials(lumin::auth::Credentials::TokenSource(Arc::new(session)))
//!     .build()?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! # Public apps
//!
//! A [`PublicApp`] sends a PKCE `S256` challenge instead of a secret. Lumin gives public
//! apps no refresh token, so asking for [`Scope::OfflineAccess`] is an
//! [`AuthorizeError`], and the type has no refresh operation at all:
//!
//! ```compile_fail
//! # async fn f(app: lumin::oauth::PublicApp, token: lumin::oauth::RefreshToken) {
//! let _ = app.refresh(&token).await; // no such method: public apps cannot refresh
//! # }
//! ```
//!
//! A [`PublicSession`] hands out its one access token until it expires, then fails with
//! [`SessionError::ReauthorizationRequired`].
//!
//! # Sessions
//!
//! A [`PrivateSession`] refreshes its access token [`DEFAULT_REFRESH_SKEW`] before it
//! expires (never earlier than half-way through its lifetime), as measured by the app's
//! injected clock. Refreshes are *single-flight*: when many requests find the token expired
//! at once, one refresh request goes out and all of them use its result, or receive the
//! same [`SessionError`]. After a `401` the client asks the session once for a new token; a
//! token that another caller already replaced is not refreshed again.
//!
//! A refresh runs in a task of its own (`tokio::spawn`), not in the future of the caller
//! that started it: cancelling callers never loses the server's answer, and the new token
//! is saved to the [`TokenStore`] even when every caller has gone. A private session needs
//! a refresh token: [`PrivateApp::start_session`] refuses a token without one with
//! [`SessionError::ScopeNotGranted`] (`offline_access`).
//!
//! | State ([`SessionState`]) | A call gets | Leaves when |
//! |---|---|---|
//! | `Fresh` | the access token, or starts a refresh within the skew of expiry | a refresh starts |
//! | `Refreshing` | the result of the refresh under way | it ends: saved → `Fresh`; `invalid_grant` → `ReauthorizationRequired`; other failure → `BackingOff` |
//! | `BackingOff` | the access token while it has not expired, else the last error, with no request | the wait is over (1 s, doubling per failure, at most [`REFRESH_BACKOFF_CAP`]); the next call refreshes |
//! | `ReauthorizationRequired` | the `invalid_grant` error at once, with no request | never: authorize the user again |
//!
//! A refresh that may have reached the server but got no answer (a timeout, a dropped
//! connection) fails with [`SessionError::RefreshOutcomeUnknown`]: the server may have
//! rotated the refresh token, so [`SessionError::requires_reauthorization`] says yes. The
//! session backs off and then tries the refresh token once more; if it was spent, the server
//! answers `invalid_grant` and the session ends.
//!
//! Lumin's authorization server issues single-use refresh tokens (its tokens look like Ory
//! Hydra's, and Hydra revokes the whole chain when a spent refresh token comes back). So a
//! refreshed token is handed to the [`TokenStore`] and saved *before* its access token is
//! used; if saving fails, callers get [`SessionError::Store`] and the session keeps the new
//! token unused, to save again on the next call, rather than ever presenting the spent
//! refresh token again.
//!
//! # Use of the `oauth2` crate, and where this module departs from it
//!
//! [`oauth2`] (5, without its default features) provides the secret newtypes
//! ([`ClientSecret`], [`AuthorizationCode`], [`AccessToken`], [`RefreshToken`],
//! [`CsrfToken`], [`PkceCodeVerifier`]: redacted `Debug`, no `Display`), the random `state`
//! and `nonce`, the PKCE `S256` challenge, the authorization URL, and the token requests
//! (form body, `client_secret_post`). Its `reqwest` feature is for reqwest 0.12; the
//! generated client uses 0.13, so instead a small wrapper around one reqwest 0.13 client
//! (built with redirects off) implements [`oauth2::AsyncHttpClient`].
//!
//! The token *responses* are read by this module, not by `oauth2`: the wrapper keeps the
//! raw status and body of the response it carried, and `oauth2`'s own reading is only used
//! when no response arrived. `oauth2` cannot express three things Lumin needs:
//! `expires_in` sent as a string of digits fails its `u64` field; a malformed response
//! keeps its body but loses the HTTP status (and a non-JSON `Content-Type` loses the body
//! too); and a successful status other than `200` is read as an error. Parsing here also
//! keeps token values out of error messages, which a `serde` error could quote.
//!
//! Redirect URI rules, callback parsing and sessions are outside `oauth2`'s scope. The
//! redirect URI is given to `oauth2` as the string written (`RedirectUrl::new`), which it
//! sends unchanged. ID tokens are verified with [`jsonwebtoken`] (its `ring` backend), the
//! issuer's key set fetched with the same reqwest client; Lumin documents neither its
//! issuer identifier nor its JWKS address, so both are configurable
//! ([`AppBuilder::issuer`], [`AppBuilder::jwks_url`]) and default to Ory Hydra's layout
//! ([`DEFAULT_ISSUER`], `{issuer}/.well-known/jwks.json`).

mod app;
mod id_token;
mod redirect;
mod scope;
mod session;
mod store;
mod token;

pub use app::{
    AppBuilder, AuthorizationRequest, AuthorizeError, AuthorizeOptions, CallbackError, ConfigError,
    DEFAULT_AUTH_URL, DEFAULT_ISSUER, DEFAULT_REFRESH_SKEW, DEFAULT_TOKEN_TIMEOUT,
    DEFAULT_TOKEN_URL, Nonce, PendingAuthorization, PrivateApp, Prompt, PublicApp,
};
pub use id_token::{ID_TOKEN_LEEWAY, IdToken, IdTokenClaims, IdTokenError};
pub use oauth2::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RefreshToken,
};
pub use redirect::{RedirectUri, RedirectUriError, RedirectUriRule};
pub use scope::{Scope, Scopes};
pub use session::{
    MemoryTokenStore, PrivateSession, PublicSession, REFRESH_BACKOFF, REFRESH_BACKOFF_CAP,
    ReauthorizationReason, SessionError, SessionState, StoreError, TokenStore,
};
pub use store::{FileStoreError, FileTokenStore};
pub use token::{OAuthErrorCode, ResponseBody, Token, TokenError};

// Here rather than in `error.rs`, so that errors depend on no higher module: only OAuth
// knows which of its failures mean the user must sign in again.
impl crate::Error {
    /// True when the user must authorize the app again: the token source reports that its
    /// refresh token is rejected or may be spent.
    pub fn requires_reauthorization(&self) -> bool {
        match self {
            Self::TokenSource(source) => source
                .downcast_ref::<SessionError>()
                .is_some_and(SessionError::requires_reauthorization),
            _ => false,
        }
    }
}
