//! Sessions: token sources for the API client, with single-flight refresh and rotation
//! that never loses a refresh token.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::Shared;
use oauth2::AccessToken;
use secrecy::{ExposeSecret as _, SecretString};
use subtle::ConstantTimeEq as _;

use super::{PrivateApp, PublicApp, Scope, Token, TokenError};
use crate::auth::{BoxFuture, TokenSource, TokenSourceError};
use crate::time::Timestamp;

/// The error a [`TokenStore`] reports.
pub type StoreError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where a [`PrivateSession`] keeps its token, so that a rotated refresh token survives a
/// restart.
///
/// Lumin's refresh tokens are single-use: once a refresh returned a new one, the old one is
/// spent. A session therefore saves every new token here *before* it uses it, and fails
/// (keeping the new token in memory, unused, to save again) when saving fails.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The saved token, if any.
    fn load(&self) -> BoxFuture<'_, Result<Option<Token>, StoreError>>;

    /// Saves `token`, replacing the one saved before.
    fn save<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// A [`TokenStore`] in memory: tokens live as long as the process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    token: Mutex<Option<Token>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `token`.
    pub fn with_token(token: Token) -> Self {
        Self {
            token: Mutex::new(Some(token)),
        }
    }

    /// The token saved last.
    pub fn token(&self) -> Option<Token> {
        self.token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<Token>, StoreError>> {
        Box::pin(async move { Ok(self.token()) })
    }

    fn save<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            *self.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
            Ok(())
        })
    }
}

/// How long a session waits before retrying after its first failed refresh; each further
/// failure in a row doubles the wait, up to [`REFRESH_BACKOFF_CAP`].
pub const REFRESH_BACKOFF: Duration = Duration::from_secs(1);

/// The longest a session waits between refresh attempts.
pub const REFRESH_BACKOFF_CAP: Duration = Duration::from_secs(300);

/// The wait after `failures` failed refreshes in a row.
fn backoff(failures: u32) -> Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1))
        .unwrap_or(u32::MAX);
    REFRESH_BACKOFF
        .checked_mul(factor)
        .unwrap_or(REFRESH_BACKOFF_CAP)
        .min(REFRESH_BACKOFF_CAP)
}

/// Why a session has no token to give. Cloneable: every caller waiting on one refresh
/// receives the same error (the `Arc`s point to one value).
///
/// `Display` describes this layer only; the underlying error is its
/// [`source`](std::error::Error::source).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The refresh request failed. An `invalid_grant` means the refresh token is dead: the
    /// session stops refreshing and the user must authorize again (see
    /// [`SessionError::requires_reauthorization`]). Other failures are retried after a
    /// backoff.
    #[error("refreshing the access token failed")]
    Refresh(#[source] Arc<TokenError>),
    /// The refresh request may have reached the server, but no answer came back (it timed
    /// out, or the connection broke). If the server acted, it rotated the refresh token and
    /// the one the session holds is spent, so re-authorization may be needed. The session
    /// retries the refresh token it holds after a backoff: if the server never saw the
    /// request, that succeeds; if it did, the server answers `invalid_grant`.
    #[error(
        "the refresh request got no answer after it may have reached the server; the refresh token may be spent"
    )]
    RefreshOutcomeUnknown(#[source] Arc<TokenError>),
    /// The refresh task ended without a result (it panicked, or the runtime shut down), so
    /// whether the server acted is unknown, as for
    /// [`RefreshOutcomeUnknown`](SessionError::RefreshOutcomeUnknown).
    #[error("the refresh ended without a result; the refresh token may be spent")]
    RefreshInterrupted,
    /// A new token could not be saved, so it was not used. The session keeps it and tries
    /// to save it again on the next call.
    #[error("the new token could not be saved to the token store, so it was not used")]
    Store(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The token store could not be read.
    #[error("the token store could not be read")]
    Load(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The token store holds no token.
    #[error("the token store holds no token; authorize the user first")]
    NoStoredToken,
    /// The authorization server did not grant a scope a private session needs: without
    /// `offline_access` there is no refresh token. Authorize again asking for it (with
    /// [`Prompt::Consent`](super::Prompt::Consent) when the user declined it before).
    #[error(
        "the authorization server did not grant `{scope}`, so the token has no refresh token and a session could not keep it fresh"
    )]
    ScopeNotGranted {
        /// The scope that was not granted.
        scope: Scope,
    },
    /// The access token expired or was rejected and cannot be refreshed.
    #[error(
        "the access token {reason} and cannot be refreshed: send the user through authorization again"
    )]
    ReauthorizationRequired {
        /// Why no refresh is possible.
        reason: ReauthorizationReason,
    },
}

impl SessionError {
    /// True when a new authorization by the user is, or may be, needed: the refresh token
    /// was rejected (`invalid_grant`, after which the session refreshes no more), or a
    /// refresh's outcome is unknown and its refresh token may be spent, or there is no
    /// refresh token at all.
    pub fn requires_reauthorization(&self) -> bool {
        match self {
            Self::ReauthorizationRequired { .. }
            | Self::NoStoredToken
            | Self::ScopeNotGranted { .. }
            | Self::RefreshOutcomeUnknown(_)
            | Self::RefreshInterrupted => true,
            Self::Refresh(e) => e.oauth_code() == Some(&super::OAuthErrorCode::InvalidGrant),
            Self::Store(_) | Self::Load(_) => false,
        }
    }

    /// True for the failures after which a session makes no more token requests.
    fn is_terminal(&self) -> bool {
        match self {
            Self::Refresh(e) => e.oauth_code() == Some(&super::OAuthErrorCode::InvalidGrant),
            Self::ReauthorizationRequired { .. } => true,
            _ => false,
        }
    }
}

/// Why a session cannot refresh its access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReauthorizationReason {
    /// Public apps get no refresh token; their token expired.
    PublicAppTokenExpired,
    /// Public apps get no refresh token; the API rejected theirs.
    PublicAppTokenRejected,
    /// The token has no refresh token (the app did not ask for `offline_access`).
    NoRefreshToken,
}

impl fmt::Display for ReauthorizationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PublicAppTokenExpired => "of a public app expired",
            Self::PublicAppTokenRejected => "of a public app was rejected",
            Self::NoRefreshToken => "has no refresh token (ask for `offline_access`)",
        })
    }
}

/// Where a [`PrivateSession`] stands (see the module documentation for the transitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionState {
    /// Holding a token; a call within the refresh skew of its expiry starts a refresh.
    Fresh,
    /// A refresh is under way, in a task of its own.
    Refreshing,
    /// The last refresh failed; none is tried before `retry_at`. Until then calls get the
    /// current access token while it has not expired, else the last error.
    BackingOff {
        /// When the next refresh may start.
        retry_at: Timestamp,
        /// Failed refreshes in a row.
        failures: u32,
    },
    /// The refresh token was rejected: every call fails at once, with no request.
    ReauthorizationRequired,
}

fn same_token(a: &AccessToken, b: &str) -> bool {
    bool::from(a.secret().as_bytes().ct_eq(b.as_bytes()))
}

fn secret(token: &AccessToken) -> SecretString {
    SecretString::from(token.secret().clone())
}

type Flight = Shared<BoxFuture<'static, Result<AccessToken, SessionError>>>;

/// A private app's session: a [`TokenSource`] that refreshes ahead of expiry.
///
/// - Single-flight: however many callers find the token expired at once, one refresh
///   request goes out and all of them get its result, or the same [`SessionError`].
/// - Independent of its callers: the refresh runs in a task of its own (`tokio::spawn`),
///   so cancelling a caller, or all of them, never loses its answer; the new token is saved
///   to the [`TokenStore`] regardless.
/// - Rotation without loss: every new token is saved to the [`TokenStore`] before it is
///   used; when saving fails the callers get [`SessionError::Store`] and the new token waits,
///   unused, to be saved on the next call (the old refresh token is already spent).
/// - A rejected refresh token (`invalid_grant`) ends the session's refreshing; other
///   failures back off exponentially, measured by the app's clock.
///
/// Must be used within a tokio runtime. Cheap to clone; clones share the token.
#[derive(Clone)]
pub struct PrivateSession {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    app: PrivateApp,
    store: Arc<dyn TokenStore>,
    state: Mutex<State>,
}

struct State {
    token: Token,
    /// The token has not been saved yet and must not be used.
    unsaved: bool,
    /// The refresh (or save) under way.
    flight: Option<Flight>,
    /// Failed refreshes in a row.
    failures: u32,
    /// No refresh before this instant.
    retry_at: Option<Timestamp>,
    /// The error of the last failed refresh, while backing off.
    last_failure: Option<SessionError>,
    /// Set once the refresh token is dead: every call fails with it.
    terminal: Option<SessionError>,
}

impl fmt::Debug for PrivateSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("PrivateSession")
            .field("client_id", &self.inner.app.client_id().as_str())
            .field("expires_at", &state.token.expires_at())
            .field("unsaved", &state.unsaved)
            .field("state", &self.inner.describe(&state))
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl PrivateApp {
    /// A session for `token` (just exchanged), saved to `store` first.
    ///
    /// A token without a refresh token (the server did not grant `offline_access`) is
    /// refused with [`SessionError::ScopeNotGranted`]: the session could not outlive it.
    pub async fn start_session(
        &self,
        token: Token,
        store: Arc<dyn TokenStore>,
    ) -> Result<PrivateSession, SessionError> {
        refreshable(&token)?;
        store
            .save(&token)
            .await
            .map_err(|e| SessionError::Store(Arc::from(e)))?;
        Ok(PrivateSession::new(self.clone(), token, store))
    }

    /// A session for the token saved in `store`, as on start-up. An expired token is
    /// refreshed (and the new one saved) on first use.
    pub async fn resume_session(
        &self,
        store: Arc<dyn TokenStore>,
    ) -> Result<PrivateSession, SessionError> {
        let token = store
            .load()
            .await
            .map_err(|e| SessionError::Load(Arc::from(e)))?
            .ok_or(SessionError::NoStoredToken)?;
        refreshable(&token)?;
        Ok(PrivateSession::new(self.clone(), token, store))
    }
}

/// A private session needs a refresh token, which only `offline_access` brings.
fn refreshable(token: &Token) -> Result<(), SessionError> {
    match token.refresh_token() {
        Some(_) => Ok(()),
        None => Err(SessionError::ScopeNotGranted {
            scope: Scope::OfflineAccess,
        }),
    }
}

impl SessionInner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Timestamp {
        self.app.clock().now()
    }

    fn needs_refresh(&self, token: &Token) -> bool {
        token.expires_within(self.app.refresh_skew(), self.now())
    }

    fn describe(&self, state: &State) -> SessionState {
        if state.terminal.is_some() {
            SessionState::ReauthorizationRequired
        } else if state.flight.is_some() {
            SessionState::Refreshing
        } else if let Some(retry_at) = self.backing_off(state) {
            SessionState::BackingOff {
                retry_at,
                failures: state.failures,
            }
        } else {
            SessionState::Fresh
        }
    }

    /// When the next refresh may start, while that is still ahead.
    fn backing_off(&self, state: &State) -> Option<Timestamp> {
        state.retry_at.filter(|at| at.is_after(self.now()))
    }

    /// What a call gets while backing off: the current token while it is usable, else the
    /// last failure.
    fn during_backoff(&self, state: &State) -> Result<AccessToken, SessionError> {
        if !state.unsaved && !state.token.is_expired(self.now()) {
            return Ok(state.token.access_token().clone());
        }
        Err(state
            .last_failure
            .clone()
            .unwrap_or(SessionError::RefreshInterrupted))
    }

    /// Starts a refresh (or a save of a waiting token) in a task of its own.
    fn start(self: &Arc<Self>, state: &mut State) -> Flight {
        let inner = Arc::clone(self);
        let task = tokio::spawn(async move {
            let result = inner.renew().await;
            inner.settle(&result);
            result
        });
        let inner = Arc::clone(self);
        let flight = async move {
            match task.await {
                Ok(result) => result,
                Err(_) => {
                    let error = SessionError::RefreshInterrupted;
                    inner.settle(&Err(error.clone()));
                    Err(error)
                }
            }
        }
        .boxed()
        .shared();
        state.flight = Some(flight.clone());
        flight
    }

    /// Records the outcome of a refresh.
    fn settle(&self, result: &Result<AccessToken, SessionError>) {
        let now = self.now();
        let mut state = self.lock();
        state.flight = None;
        match result {
            Ok(_) => {
                state.failures = 0;
                state.retry_at = None;
                state.last_failure = None;
            }
            Err(error) if error.is_terminal() => state.terminal = Some(error.clone()),
            // The new token is in hand; saving it again costs no token request.
            Err(SessionError::Store(_)) => {}
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                state.retry_at = Some(now.saturating_add(backoff(state.failures)));
                state.last_failure = Some(error.clone());
            }
        }
    }

    /// Saves a token that is waiting to be saved, or else refreshes and saves.
    async fn renew(&self) -> Result<AccessToken, SessionError> {
        let (current, unsaved) = {
            let state = self.lock();
            (state.token.clone(), state.unsaved)
        };
        if unsaved {
            self.save(&current).await?;
            if !self.needs_refresh(&current) {
                return Ok(current.access_token().clone());
            }
        }
        let refresh_token =
            current
                .refresh_token()
                .ok_or(SessionError::ReauthorizationRequired {
                    reason: ReauthorizationReason::NoRefreshToken,
                })?;
        let mut fresh = self.app.refresh(refresh_token).await.map_err(|e| {
            if e.outcome_unknown() {
                SessionError::RefreshOutcomeUnknown(Arc::new(e))
            } else {
                SessionError::Refresh(Arc::new(e))
            }
        })?;
        fresh.keep_id_token(&current);
        {
            // The old refresh token is spent: keep the new one even if saving fails.
            let mut state = self.lock();
            state.token = fresh.clone();
            state.unsaved = true;
        }
        self.save(&fresh).await?;
        Ok(fresh.access_token().clone())
    }

    async fn save(&self, token: &Token) -> Result<(), SessionError> {
        self.store
            .save(token)
            .await
            .map_err(|e| SessionError::Store(Arc::from(e)))?;
        self.lock().unsaved = false;
        Ok(())
    }
}

impl PrivateSession {
    fn new(app: PrivateApp, token: Token, store: Arc<dyn TokenStore>) -> Self {
        Self {
            inner: Arc::new(SessionInner {
                app,
                store,
                state: Mutex::new(State {
                    token,
                    unsaved: false,
                    flight: None,
                    failures: 0,
                    retry_at: None,
                    last_failure: None,
                    terminal: None,
                }),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// When the current access token expires (`None`: not said by the server).
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.lock().token.expires_at()
    }

    /// Where the session stands: fresh, refreshing, backing off, or re-authorization
    /// required.
    pub fn state(&self) -> SessionState {
        let state = self.lock();
        self.inner.describe(&state)
    }

    /// A valid access token, refreshed first when it expires within the skew (at most half
    /// its lifetime).
    pub async fn valid_access_token(&self) -> Result<AccessToken, SessionError> {
        let flight = {
            let mut state = self.lock();
            if let Some(error) = &state.terminal {
                return Err(error.clone());
            }
            if let Some(flight) = &state.flight {
                flight.clone()
            } else if !state.unsaved && !self.inner.needs_refresh(&state.token) {
                return Ok(state.token.access_token().clone());
            } else if self.inner.backing_off(&state).is_some() {
                return self.inner.during_backoff(&state);
            } else {
                self.inner.start(&mut state)
            }
        };
        match flight.await {
            // A refresh ahead of expiry failed, but the token in hand still works.
            Err(error) if !error.is_terminal() => {
                let state = self.lock();
                if !state.unsaved && !state.token.is_expired(self.inner.now()) {
                    return Ok(state.token.access_token().clone());
                }
                Err(error)
            }
            result => result,
        }
    }

    /// After the API rejected `rejected` (a `401`): the current access token when it
    /// differs (another caller refreshed already), else a refreshed one. At most one
    /// refresh per rejected token.
    pub async fn access_token_after_rejection(
        &self,
        rejected: &str,
    ) -> Result<AccessToken, SessionError> {
        let flight = {
            let mut state = self.lock();
            if let Some(error) = &state.terminal {
                return Err(error.clone());
            }
            if let Some(flight) = &state.flight {
                flight.clone()
            } else if !state.unsaved && !same_token(state.token.access_token(), rejected) {
                return Ok(state.token.access_token().clone());
            } else if self.inner.backing_off(&state).is_some() {
                return Err(state
                    .last_failure
                    .clone()
                    .unwrap_or(SessionError::RefreshInterrupted));
            } else {
                self.inner.start(&mut state)
            }
        };
        flight.await
    }
}

impl TokenSource for PrivateSession {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, TokenSourceError>> {
        Box::pin(async move {
            let token = self.valid_access_token().await?;
            Ok(secret(&token))
        })
    }

    fn refresh_rejected<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, TokenSourceError>> {
        Box::pin(async move {
            let token = self
                .access_token_after_rejection(rejected.expose_secret())
                .await?;
            Ok(secret(&token))
        })
    }
}

/// A public app's session: a [`TokenSource`] for one access token, which it cannot
/// refresh. Once the token expires (or the API rejects it), every call fails with
/// [`SessionError::ReauthorizationRequired`].
#[derive(Clone)]
pub struct PublicSession {
    app: PublicApp,
    token: Token,
}

impl fmt::Debug for PublicSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicSession")
            .field("client_id", &self.app.client_id().as_str())
            .field("expires_at", &self.token.expires_at())
            .finish_non_exhaustive()
    }
}

impl PublicApp {
    /// A session for `token`.
    pub fn session(&self, token: Token) -> PublicSession {
        PublicSession {
            app: self.clone(),
            token: token.without_refresh_token(),
        }
    }
}

impl PublicSession {
    /// The token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The access token while it has not expired.
    pub fn valid_access_token(&self) -> Result<AccessToken, SessionError> {
        if self.token.is_expired(self.app.clock().now()) {
            return Err(SessionError::ReauthorizationRequired {
                reason: ReauthorizationReason::PublicAppTokenExpired,
            });
        }
        Ok(self.token.access_token().clone())
    }
}

impl TokenSource for PublicSession {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, TokenSourceError>> {
        Box::pin(async move { Ok(secret(&self.valid_access_token()?)) })
    }

    fn refresh_rejected<'a>(
        &'a self,
        _rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, TokenSourceError>> {
        Box::pin(async move {
            Err(SessionError::ReauthorizationRequired {
                reason: ReauthorizationReason::PublicAppTokenRejected,
            }
            .into())
        })
    }
}
