//! Sessions: token sources for the API client, with single-flight refresh and rotation
//! that never loses a refresh token.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use oauth2::AccessToken;
use secrecy::{ExposeSecret as _, SecretString};
use subtle::ConstantTimeEq as _;

use super::{PrivateApp, PublicApp, Token, TokenError};
use crate::auth::{BoxFuture, TokenSource, TokenSourceError};

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

/// Why a session has no token to give. Cloneable: every caller waiting on one refresh
/// receives the same error (the `Arc`s point to one value).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The refresh request failed. An `invalid_grant` means the refresh token is dead and
    /// the user must authorize again (see [`SessionError::requires_reauthorization`]).
    #[error("refreshing the access token failed: {0}")]
    Refresh(#[source] Arc<TokenError>),
    /// A new token could not be saved, so it was not used. The session keeps it and tries
    /// to save it again on the next call.
    #[error("the new token could not be saved to the token store, so it was not used: {0}")]
    Store(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The token store could not be read.
    #[error("the token store could not be read: {0}")]
    Load(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The token store holds no token.
    #[error("the token store holds no token; authorize the user first")]
    NoStoredToken,
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
    /// True when only a new authorization by the user can help.
    pub fn requires_reauthorization(&self) -> bool {
        match self {
            Self::ReauthorizationRequired { .. } | Self::NoStoredToken => true,
            Self::Refresh(e) => e.oauth_code() == Some(&super::OAuthErrorCode::InvalidGrant),
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

fn same_token(a: &AccessToken, b: &str) -> bool {
    bool::from(a.secret().as_bytes().ct_eq(b.as_bytes()))
}

fn secret(token: &AccessToken) -> SecretString {
    SecretString::from(token.secret().clone())
}

/// A private app's session: a [`TokenSource`] that refreshes ahead of expiry.
///
/// - Single-flight: however many callers find the token expired at once, one refresh
///   request goes out and all of them get its result, or the same [`SessionError`].
/// - Rotation without loss: every new token is saved to the [`TokenStore`] before it is
///   used; when saving fails the callers get [`SessionError::Store`] and the new token waits,
///   unused, to be saved on the next call (the old refresh token is already spent).
///
/// Cheap to clone; clones share the token.
#[derive(Clone)]
pub struct PrivateSession {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    app: PrivateApp,
    store: Arc<dyn TokenStore>,
    state: Mutex<State>,
    /// Held for the whole of a refresh or save, so that only one runs at a time.
    gate: tokio::sync::Mutex<()>,
}

struct State {
    token: Token,
    /// The token has not been saved yet and must not be used.
    unsaved: bool,
    /// How many refresh-or-save attempts have finished.
    attempts: u64,
    /// The error of the last attempt, if it failed.
    last_failure: Option<SessionError>,
}

impl fmt::Debug for PrivateSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("PrivateSession")
            .field("client_id", &self.inner.app.client_id().as_str())
            .field("expires_at", &state.token.expires_at())
            .field("unsaved", &state.unsaved)
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl PrivateApp {
    /// A session for `token` (just exchanged), saved to `store` first.
    pub async fn start_session(
        &self,
        token: Token,
        store: Arc<dyn TokenStore>,
    ) -> Result<PrivateSession, SessionError> {
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
        Ok(PrivateSession::new(self.clone(), token, store))
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
                    attempts: 0,
                    last_failure: None,
                }),
                gate: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn needs_refresh(&self, token: &Token) -> bool {
        let app = &self.inner.app;
        token.expires_within(app.refresh_skew(), app.clock().now())
    }

    /// When the current access token expires (`None`: not said by the server).
    pub fn expires_at(&self) -> Option<crate::time::Timestamp> {
        self.state().token.expires_at()
    }

    /// A valid access token, refreshed first when it expires within the skew.
    pub async fn valid_access_token(&self) -> Result<AccessToken, SessionError> {
        let observed = {
            let state = self.state();
            if !state.unsaved && !self.needs_refresh(&state.token) {
                return Ok(state.token.access_token().clone());
            }
            state.attempts
        };
        let _gate = self.inner.gate.lock().await;
        {
            let state = self.state();
            if state.attempts != observed {
                // Another caller refreshed while this one waited: share its outcome.
                if let Some(error) = &state.last_failure {
                    return Err(error.clone());
                }
                if !state.unsaved {
                    return Ok(state.token.access_token().clone());
                }
            } else if !state.unsaved && !self.needs_refresh(&state.token) {
                return Ok(state.token.access_token().clone());
            }
        }
        self.renew().await
    }

    /// A token to retry with after the API rejected `rejected`: the current one when it
    /// differs (another caller refreshed already), else a refreshed one. At most one
    /// refresh per rejected token.
    pub async fn access_token_after_rejection(
        &self,
        rejected: &str,
    ) -> Result<AccessToken, SessionError> {
        let observed = {
            let state = self.state();
            if !state.unsaved && !same_token(state.token.access_token(), rejected) {
                return Ok(state.token.access_token().clone());
            }
            state.attempts
        };
        let _gate = self.inner.gate.lock().await;
        {
            let state = self.state();
            if !state.unsaved && !same_token(state.token.access_token(), rejected) {
                return Ok(state.token.access_token().clone());
            }
            if state.attempts != observed
                && let Some(error) = &state.last_failure
            {
                return Err(error.clone());
            }
        }
        self.renew().await
    }

    /// Saves a token that is waiting to be saved, or else refreshes and saves; the caller
    /// holds the gate.
    async fn renew(&self) -> Result<AccessToken, SessionError> {
        let result = self.renew_locked().await;
        let mut state = self.state();
        state.attempts += 1;
        state.last_failure = result.as_ref().err().cloned();
        result
    }

    async fn renew_locked(&self) -> Result<AccessToken, SessionError> {
        let (current, unsaved) = {
            let state = self.state();
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
        let fresh = self
            .inner
            .app
            .refresh(refresh_token)
            .await
            .map_err(|e| SessionError::Refresh(Arc::new(e)))?;
        {
            // The old refresh token is spent: keep the new one even if saving fails.
            let mut state = self.state();
            state.token = fresh.clone();
            state.unsaved = true;
        }
        self.save(&fresh).await?;
        Ok(fresh.access_token().clone())
    }

    async fn save(&self, token: &Token) -> Result<(), SessionError> {
        self.inner
            .store
            .save(token)
            .await
            .map_err(|e| SessionError::Store(Arc::from(e)))?;
        self.state().unsaved = false;
        Ok(())
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
