//! The call layer: what happens around every operation, generated or handwritten.
//!
//! Every builder in [`operations`](crate::operations) and [`files`](crate::files) ends in
//! `run` (generated operations) or `send` (handwritten ones). Both go through the same
//! two steps, which the generated code also reaches through its `ClientHooks`:
//!
//! 1. `prepare`: the per-call options (timeout), the headers the spec gives a default
//!    (`X-Lumin-API-Version: 1.1`, `Accept: application/pdf`), the body rules (only for
//!    operations whose spec declares some), the `User-Agent`, and the credentials: a
//!    static one's header, or the access token of a
//!    [`TokenSource`](crate::auth::TokenSource) (set per request, so that a caller's
//!    own HTTP client carries them too);
//! 2. `execute`: sends, retries as the [`RetryPolicy`] and the operation's retry safety
//!    allow (see [`crate::retry`]), refreshes once after a `401`, and turns any response
//!    that is not a documented success into an [`Error`] with status, headers and body.
//!
//! What the operation is comes from its [`Operation`] facts, handed in by the builder;
//! per-call state travels in a task-local `CallContext` for the duration of one call, so
//! the hooks progenitor calls see it too. Each call is a `tracing` span (`lumin.call`).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo as _, OperationInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Request, Response, StatusCode};
use secrecy::SecretString;
use tracing::Instrument as _;

use crate::auth::bearer_value;
use crate::client::ClientState;
use crate::error::{ApiErrorBody, Error, NotRetriedReason, REQUEST_ID_HEADER};
use crate::operation::Operation;
use crate::retry::{RetryPolicy, parse_retry_after};

/// The future a builder becomes when awaited.
pub type CallFuture<'a, T> = Pin<Box<dyn Future<Output = crate::Result<T>> + Send + 'a>>;

/// Options of one call, set on its builder.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    rejected: Option<(
        &'static str,
        Arc<dyn std::error::Error + Send + Sync + 'static>,
    )>,
}

impl CallOptions {
    /// Overrides the client's total timeout for this call.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }

    /// Overrides the client's retry policy for this call.
    pub fn set_retry(&mut self, policy: RetryPolicy) {
        self.retry = Some(policy);
    }

    /// Records that the value given for `field` did not convert; the call then fails with
    /// [`Error::InvalidInput`] before anything is sent. The first rejection wins.
    pub fn reject(
        &mut self,
        field: &'static str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) {
        if self.rejected.is_none() {
            self.rejected = Some((field, Arc::new(error)));
        }
    }

    /// The error for a rejected setter value, if any.
    pub(crate) fn rejection(&self) -> Option<Error> {
        self.rejected
            .as_ref()
            .map(|(field, source)| Error::InvalidInput {
                field,
                source: source.clone(),
            })
    }
}

/// The state of one call, visible to the hooks progenitor calls. Kept small: it is
/// swapped in and out of the task-local slot on every poll.
#[derive(Debug)]
pub(crate) struct CallContext {
    op: &'static Operation,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    /// An error found by a hook, which progenitor's error type cannot carry.
    failure: RefCell<Option<Box<Error>>>,
    /// Status and request id of the success response, for a decode error.
    success: RefCell<Option<(StatusCode, Option<HeaderValue>)>>,
}

impl CallContext {
    fn new(op: &'static Operation, options: &CallOptions) -> Self {
        Self {
            op,
            timeout: options.timeout,
            retry: options.retry,
            failure: RefCell::new(None),
            success: RefCell::new(None),
        }
    }
}

tokio::task_local! {
    static CALL: CallContext;
}

/// Runs a generated operation's `send()` future as one call of `op`. The generated code
/// hands it in boxed, so that this future and those around it stay small (the generated
/// one is kilobytes, and a future is moved whole).
pub(crate) async fn run<T, F>(
    op: &'static Operation,
    options: CallOptions,
    send: F,
) -> crate::Result<ResponseValue<T>>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<ApiErrorBody>>>,
{
    let call = async move {
        let result = send.await;
        result.map_err(|error| CALL.with(|context| context.error_from(error)))
    };
    in_call(op, &options, call).await
}

/// Runs `call` as one call of `op`: refused at once when a setter value was rejected,
/// else inside the call's task-local context and its `lumin.call` span.
async fn in_call<T>(
    op: &'static Operation,
    options: &CallOptions,
    call: impl Future<Output = crate::Result<T>>,
) -> crate::Result<T> {
    if let Some(error) = options.rejection() {
        return Err(error);
    }
    CALL.scope(CallContext::new(op, options), call)
        .instrument(call_span(op))
        .await
}

impl CallContext {
    /// The [`Error`] for what progenitor's `send()` returned: the error a hook recorded
    /// when there is one, else progenitor's own, converted.
    fn error_from(&self, error: progenitor_client::Error<ApiErrorBody>) -> Error {
        use progenitor_client::Error as G;
        if let Some(error) = self.failure.borrow_mut().take() {
            return *error;
        }
        match error {
            G::InvalidRequest(message) => Error::InvalidRequest(message),
            G::Custom(message) => Error::InvalidRequest(message),
            G::CommunicationError(e) | G::InvalidUpgrade(e) | G::ResponseBodyError(e) => {
                Error::Transport(e)
            }
            G::ErrorResponse(value) => {
                let status = value.status();
                let headers = value.headers().clone();
                let body = serde_json::to_vec(&value.into_inner()).unwrap_or_default();
                Error::from_response(status, headers, Bytes::from(body))
            }
            G::InvalidResponsePayload(body, source) => {
                let (status, request_id) = self
                    .success
                    .borrow_mut()
                    .take()
                    .unwrap_or((StatusCode::OK, None));
                let mut headers = HeaderMap::new();
                if let Some(id) = request_id {
                    headers.insert(REQUEST_ID_HEADER, id);
                }
                Error::decode(status, headers, body, !self.op.retry_safe, source)
            }
            G::UnexpectedResponse(response) => {
                Error::from_response(response.status(), response.headers().clone(), Bytes::new())
            }
        }
    }
}

/// Sends a handwritten operation's request as one call of `op`: the same steps as the
/// generated operations, returning the success response unread.
pub(crate) async fn send(
    client: &crate::Client,
    op: &'static Operation,
    options: CallOptions,
    mut request: Request,
) -> crate::Result<Response> {
    let (timeout, retry) = (options.timeout, options.retry);
    let call = async move {
        prepare(client, &mut request, op, timeout).await?;
        execute(client, request, op, retry).await
    };
    in_call(op, &options, call).await
}

fn call_span(op: &'static Operation) -> tracing::Span {
    tracing::info_span!(
        "lumin.call",
        operation = op.id,
        method = %op.method,
        path = op.path,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    )
}

/// A header progenitor adds to every request that Lumin does not define.
const GENERATOR_VERSION_HEADER: &str = "api-version";

/// Sets the call's timeout, the operation's default headers and the credentials; checks
/// the body rules where the spec declares some.
pub(crate) async fn prepare(
    client: &crate::Client,
    request: &mut Request,
    op: &Operation,
    timeout: Option<Duration>,
) -> crate::Result<()> {
    if op.rules.is_some()
        && let Some(body) = request.body().and_then(|b| b.as_bytes())
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        op.check_rules(&value, &[])?;
    }
    let state = client.inner();
    // The call's own timeout wins; then one the request carries (transfers set a long
    // one, bounded by the idle timeout instead); then the client's.
    if let Some(timeout) = timeout
        .or_else(|| request.timeout().copied())
        .or(state.request_timeout)
    {
        *request.timeout_mut() = Some(timeout);
    }
    let headers = request.headers_mut();
    headers.remove(GENERATOR_VERSION_HEADER);
    for (name, value) in op.default_headers {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    headers.insert(USER_AGENT, state.user_agent.clone());
    if let Some((name, value)) = &state.static_auth {
        headers.insert(name.clone(), value.clone());
    }
    if let Some(source) = &state.token_source {
        let token = source.access_token().await.map_err(Error::TokenSource)?;
        let value = bearer_value(&token).map_err(|e| Error::TokenSource(Box::new(e)))?;
        request.headers_mut().insert(AUTHORIZATION, value);
    }
    Ok(())
}

/// Why one attempt failed, and whether another may be made.
enum Verdict {
    /// Send again (after `wait`, when the server named one).
    Retry(Error, Option<Duration>),
    /// Do not send again.
    Fail(Error),
}

/// Sends a prepared request of `op` with the client's policies (retries, one refresh after
/// a `401`), and turns a response that is not a documented success into an [`Error`].
pub(crate) async fn execute(
    client: &crate::Client,
    request: Request,
    op: &'static Operation,
    retry: Option<RetryPolicy>,
) -> crate::Result<Response> {
    let state = client.inner();
    let policy = retry.as_ref().unwrap_or(&state.retry);
    let span = tracing::Span::current();
    let timer = (!span.is_disabled()).then(crate::clock::Stopwatch::start);
    let mut request = request;
    let mut attempt = 1;
    let result = loop {
        span.record("attempt", attempt);
        let may_retry = attempt < policy.attempts();
        // One copy serves both a retry and the resend after a `401`.
        let spare = (may_retry || state.token_source.is_some())
            .then(|| request.try_clone())
            .flatten();
        let replayable = request.body().is_none_or(|b| b.as_bytes().is_some());
        let outcome = send_once(client, request, spare.as_ref(), op).await;
        let verdict = match outcome {
            Ok(response) if op.is_success(response.status()) => break Ok(response),
            Ok(response) => classify_response(response, op, state).await,
            Err(error) => classify_transport(error, op),
        };
        match verdict {
            Verdict::Fail(error) => break Err(error),
            Verdict::Retry(error, wait) => {
                if !replayable {
                    break Err(Error::NotRetried {
                        reason: NotRetriedReason::BodyNotReplayable,
                        source: Box::new(error),
                    });
                }
                if let Some(wait) = wait
                    && wait > policy.retry_after_limit()
                {
                    break Err(Error::NotRetried {
                        reason: NotRetriedReason::RetryAfterTooLong(wait),
                        source: Box::new(error),
                    });
                }
                let Some(next) = spare.filter(|_| may_retry) else {
                    break Err(if attempt > 1 {
                        Error::RetriesExhausted {
                            attempts: attempt,
                            source: Box::new(error),
                        }
                    } else {
                        error
                    });
                };
                let delay = wait.unwrap_or_else(|| policy.backoff(attempt));
                tracing::info!(
                    reason = %RetryReason(&error),
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    attempt,
                    "retrying"
                );
                state.sleep.sleep(delay).await;
                request = next;
                attempt += 1;
            }
        }
    };
    if let Some(timer) = timer {
        span.record(
            "duration_ms",
            u64::try_from(timer.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        match &result {
            Ok(response) => record_response(&span, response.status(), response.headers()),
            Err(error) => {
                if let (Some(status), Some(headers)) = (error.status(), error.headers()) {
                    record_response(&span, status, headers);
                }
            }
        }
    }
    result
}

fn record_response(span: &tracing::Span, status: StatusCode, headers: &HeaderMap) {
    span.record("status", status.as_u16());
    if let Some(id) = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()) {
        span.record("request_id", id);
    }
}

/// What a retry event names as its reason: the status, or the kind of transport failure.
struct RetryReason<'a>(&'a Error);

impl std::fmt::Display for RetryReason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0.status(), self.0) {
            (Some(status), _) => write!(f, "status {}", status.as_u16()),
            (None, Error::Transport(e)) if e.is_connect() => f.write_str("connection failed"),
            (None, _) => f.write_str("transport failure"),
        }
    }
}

/// One attempt, with one refresh and resend after a `401` when a token source is set;
/// `spare` is a copy of the request, cloned again only for that resend.
async fn send_once(
    client: &crate::Client,
    request: Request,
    spare: Option<&Request>,
    op: &Operation,
) -> reqwest::Result<Response> {
    let http = client.client();
    let Some(source) = client.inner().token_source.as_ref() else {
        return http.execute(request).await;
    };
    let sent = request.headers().get(AUTHORIZATION).cloned();
    let response = http.execute(request).await?;
    if response.status() != StatusCode::UNAUTHORIZED || op.is_success(response.status()) {
        return Ok(response);
    }
    let (Some(mut resend), Some(sent)) = (spare.and_then(Request::try_clone), sent) else {
        return Ok(response);
    };
    let Some(rejected) = sent
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| SecretString::from(t.to_owned()))
    else {
        return Ok(response);
    };
    match source.refresh_rejected(&rejected).await {
        Ok(token) => match bearer_value(&token) {
            Ok(value) => {
                resend.headers_mut().insert(AUTHORIZATION, value);
                http.execute(resend).await
            }
            Err(e) => {
                record_failure(Error::TokenSource(Box::new(e)));
                Ok(response)
            }
        },
        Err(e) => {
            // The refresh failed: that, not the `401`, is what the caller must see.
            record_failure(Error::TokenSource(e));
            Ok(response)
        }
    }
}

/// Keeps an error for the caller when the current call has a context (the `401` path,
/// where the response itself must still flow through).
fn record_failure(error: Error) {
    let _ = CALL.try_with(|context| {
        context.failure.borrow_mut().get_or_insert(Box::new(error));
    });
}

/// A response that is not a documented success: read it whole, then decide.
async fn classify_response(response: Response, op: &Operation, state: &ClientState) -> Verdict {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) => return classify_transport(e, op),
    };
    if let Some(error) = CALL
        .try_with(|context| context.failure.borrow_mut().take())
        .ok()
        .flatten()
    {
        return Verdict::Fail(*error);
    }
    let wait = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, state.clock.now().unix_millis()));
    let error = Error::from_response(status, headers, body);
    match status.as_u16() {
        // Lumin turned the request away before acting on it.
        429 => Verdict::Retry(error, wait),
        502..=504 if op.retry_safe => Verdict::Retry(error, wait),
        500..=599 if !op.retry_safe => Verdict::Fail(Error::OutcomeUnknown {
            operation: op.id,
            source: Box::new(error),
        }),
        _ => Verdict::Fail(error),
    }
}

/// A failure with no response.
fn classify_transport(error: reqwest::Error, op: &Operation) -> Verdict {
    // A failed connect means nothing was written: safe to send again for any operation.
    if error.is_connect() {
        return Verdict::Retry(Error::Transport(error), None);
    }
    if op.retry_safe || error.is_builder() {
        Verdict::Fail(Error::Transport(error))
    } else {
        Verdict::Fail(Error::OutcomeUnknown {
            operation: op.id,
            source: Box::new(Error::Transport(error)),
        })
    }
}

/// A response that stands in for an error the hooks recorded in the call's context; the
/// generated code never decodes it (see [`CallContext::error_from`]).
fn stand_in() -> Response {
    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() = StatusCode::from_u16(599).unwrap_or(StatusCode::BAD_GATEWAY);
    Response::from(response)
}

impl ClientHooks<ClientState> for crate::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let (op, timeout) = CALL
            .try_with(|context| (context.op, context.timeout))
            .map_err(|_| outside_call())?;
        Box::pin(prepare(self, request, op, timeout))
            .await
            .map_err(|error| {
                record_failure(error);
                progenitor_client::Error::Custom(String::new())
            })
    }

    async fn exec(&self, request: Request, _info: &OperationInfo) -> reqwest::Result<Response> {
        let Ok((op, retry)) = CALL.try_with(|context| (context.op, context.retry)) else {
            return self.client().execute(request).await;
        };
        // Boxed: the retry loop's state would otherwise be inlined into (and moved
        // with) every generated operation's future.
        match Box::pin(execute(self, request, op, retry)).await {
            Ok(response) => {
                let _ = CALL.try_with(|context| {
                    *context.success.borrow_mut() = Some((
                        response.status(),
                        response.headers().get(REQUEST_ID_HEADER).cloned(),
                    ));
                });
                Ok(response)
            }
            Err(error) => {
                record_failure(error);
                Ok(stand_in())
            }
        }
    }
}

fn outside_call<E>() -> progenitor_client::Error<E> {
    progenitor_client::Error::InvalidRequest(
        "generated operations are sent through their lumin builder".to_owned(),
    )
}
