//! The call layer: what happens around every operation, generated or handwritten.
//!
//! Every builder in [`operations`](crate::operations) and [`files`](crate::files) ends in
//! `run` (generated operations: `lumin-codegen` splits progenitor's `send()` into the
//! request it builds and the decoding of the response, and hands both in) or `send`
//! (handwritten ones, with a request of their own). Both take the same steps:
//!
//! 1. `prepare`: the per-call options (timeout), the headers the spec gives a default
//!    (`X-Lumin-API-Version: 1.1`, `Accept: application/pdf`), the body rules (only for
//!    operations whose spec declares some), the `User-Agent`, and the credentials: a
//!    static one's header, or the access token of a
//!    [`TokenSource`] (set per request, so that a caller's own HTTP client carries them
//!    too);
//! 2. `Exec`: sends, retries as the [`RetryPolicy`] and the operation's retry safety
//!    allow (see [`crate::retry`]), refreshes once after a `401`, and turns any response
//!    that is not a documented success into an [`Error`] with status, headers and body.
//!
//! What the operation is comes from its [`Operation`] facts, handed in by the builder.
//! Each call is a `tracing` span (`lumin.call`) when a subscriber wants it.
//!
//! Every attempt is prepared afresh: a retry builds the request again from the builder,
//! which building hands back made from the values the request borrowed (a handwritten
//! operation keeps a copy of its request), so a first attempt that succeeds copies
//! nothing. The future a builder becomes is boxed (`IntoFuture` needs a
//! type that can be named), so it is kept small: state machines (`Call`, `Exec`) rather
//! than `async` blocks and combinators that hold and move each future they await. Rare
//! paths are out of line (`#[cold]`, `#[inline(never)]`) so that the hot path's stack
//! frame stays small: inlined, they made it 6 KB, and every call then touched memory
//! that was not in cache.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures::future::Either;
use progenitor_client::{ClientInfo as _, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Request, Response, StatusCode};

use crate::auth::{TokenSource, bearer_value};
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
    /// Boxed: it is rare, and every builder carries the options.
    rejected: Option<Box<Rejection>>,
}

/// A setter value that did not convert: the field and the conversion's error.
type Rejection = (
    &'static str,
    Arc<dyn std::error::Error + Send + Sync + 'static>,
);

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
            self.rejected = Some(Box::new((field, Arc::new(error))));
        }
    }

    /// The error for a rejected setter value, if any.
    pub(crate) fn rejection(&self) -> Option<Error> {
        self.rejected
            .as_deref()
            .map(|(field, source)| Error::InvalidInput {
                field,
                source: source.clone(),
            })
    }
}

/// Runs a generated operation as one call of `op`: `build` makes its request from the
/// builder and hands the builder back (each further attempt builds from that), `decode` reads a success
/// response as the spec documents it, and the caller gets what `keep` takes of it.
/// (`lumin-codegen` splits progenitor's `send()` into `build` and `decode`.)
///
/// What can be done at once is done here (the checks, the request, its headers); the
/// future returned is a [`Call`], one small state machine rather than `async` blocks and
/// combinators, which would hold and move each future they await. Small futures matter:
/// the builder's `IntoFuture` boxes this one. `build`, `decode` and `keep` are functions
/// known at compile time, so they take no room in it.
pub(crate) fn run<'a, B, T, D, O>(
    op: &'static Operation,
    options: CallOptions,
    builder: B,
    build: impl Fn(B) -> Result<(&'a crate::Client, Request, B), progenitor_client::Error<ApiErrorBody>>
    + Copy
    + Send
    + 'a,
    decode: impl FnOnce(Response) -> D + Send + 'a,
    keep: impl FnOnce(ResponseValue<T>) -> O + Send + 'a,
) -> impl Future<Output = crate::Result<O>> + Send + 'a
where
    B: Send + 'a,
    T: 'a,
    O: 'a,
    D: Future<Output = Result<ResponseValue<T>, Undecoded>> + Send + 'a,
{
    let state = match options.rejection() {
        Some(error) => State::Failed { error: Some(error) },
        None => match build(builder) {
            Ok((client, request, builder)) => {
                // `build` hands the builder back, so a retry copies nothing it does not use.
                let mut kept = Some(builder);
                let again = move || {
                    let (_, request, builder) = build(kept.take()?).ok()?;
                    kept = Some(builder);
                    Some(request)
                };
                State::Sending {
                    send: Exec::new(client, request, again, op, options),
                }
            }
            Err(error) => State::Failed {
                error: Some(from_generated(error, op)),
            },
        },
    };
    Call {
        state,
        op,
        decode: Some(decode),
        keep: Some(keep),
    }
}

pin_project_lite::pin_project! {
    /// One call of a generated operation: sending it (with its retries), then decoding the
    /// success response.
    struct Call<S, D, Fd, Fk> {
        #[pin]
        state: State<S, D>,
        op: &'static Operation,
        decode: Option<Fd>,
        keep: Option<Fk>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<S, D> {
        // Refused before anything was sent.
        Failed { error: Option<Error> },
        Sending { #[pin] send: S },
        Decoding { #[pin] decode: D },
        Done,
    }
}

impl<S, D, T, O, Fd, Fk> Future for Call<S, D, Fd, Fk>
where
    S: Future<Output = crate::Result<Response>>,
    D: Future<Output = Result<ResponseValue<T>, Undecoded>>,
    Fd: FnOnce(Response) -> D,
    Fk: FnOnce(ResponseValue<T>) -> O,
{
    type Output = crate::Result<O>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Failed { error } => {
                    let error = error.take();
                    this.state.set(State::Done);
                    if let Some(error) = error {
                        return Poll::Ready(Err(error));
                    }
                }
                StateProj::Sending { send } => {
                    let response = match ready!(send.poll(cx)) {
                        Ok(response) => response,
                        Err(error) => {
                            this.state.set(State::Done);
                            return Poll::Ready(Err(error));
                        }
                    };
                    let Some(decode) = this.decode.take() else {
                        this.state.set(State::Done);
                        continue;
                    };
                    this.state.set(State::Decoding {
                        decode: decode(response),
                    });
                }
                StateProj::Decoding { decode } => {
                    let decoded = ready!(decode.poll(cx));
                    this.state.set(State::Done);
                    return Poll::Ready(match (decoded, this.keep.take()) {
                        (Ok(value), Some(keep)) => Ok(keep(value)),
                        (Ok(_), None) => continue,
                        (Err(undecoded), _) => Err(undecoded.into_error(this.op)),
                    });
                }
                StateProj::Done => panic!("a lumin call was polled after it completed"),
            }
        }
    }
}

/// Sends a handwritten operation's request as one call of `op`: the same steps as the
/// generated operations, returning the success response unread. A further attempt
/// sends a copy of the request, when its body can be copied.
pub(crate) fn send<'a>(
    client: &'a crate::Client,
    op: &'static Operation,
    options: CallOptions,
    request: Request,
) -> impl Future<Output = crate::Result<Response>> + Send + 'a {
    match options.rejection() {
        Some(error) => Either::Right(std::future::ready(Err(error))),
        None => {
            let copy = request.try_clone();
            let again = move || copy.as_ref().and_then(Request::try_clone);
            Either::Left(Exec::new(client, request, again, op, options))
        }
    }
}

/// A path parameter, percent-encoded as it is formatted into the URL: what progenitor's
/// `encode_path(&value.to_string())` gives, without the two strings that makes. (The
/// codegen writes `value.path_segment()` in place of those.)
pub(crate) struct PathSegment<'v, T: ?Sized>(&'v T);

/// A value that can be a path parameter: anything `Display`, found as `to_string` is (a
/// method call derefs typify's string newtypes to their `String`).
pub(crate) trait PathText {
    /// The value as an encoded path segment.
    fn path_segment(&self) -> PathSegment<'_, Self>;
}

impl<T: std::fmt::Display + ?Sized> PathText for T {
    fn path_segment(&self) -> PathSegment<'_, Self> {
        PathSegment(self)
    }
}

/// The bytes progenitor's `encode_path` escapes in a path segment (a test checks the two
/// agree).
const PATH_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

impl<T: std::fmt::Display + ?Sized> std::fmt::Display for PathSegment<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// Escapes what is written through it, then passes it on.
        struct Escape<'f, 'g>(&'f mut std::fmt::Formatter<'g>);
        impl std::fmt::Write for Escape<'_, '_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                percent_encoding::utf8_percent_encode(s, PATH_SET)
                    .try_for_each(|part| self.0.write_str(part))
            }
        }
        std::fmt::write(&mut Escape(f), format_args!("{}", self.0))
    }
}

/// What progenitor's `ResponseValue::from_response` does, except that the response's
/// headers are moved rather than copied, and a failure keeps them (see [`Undecoded`]).
/// The generated `decode` functions call it.
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    mut response: Response,
) -> JsonBody<impl futures::Stream<Item = reqwest::Result<Bytes>> + Send, T> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    JsonBody {
        body: response.bytes_stream(),
        read: Read::Nothing,
        head: Some((status, headers)),
        value: std::marker::PhantomData,
    }
}

pin_project_lite::pin_project! {
    /// A success response's body, read to its end and decoded as `T`: what reqwest's
    /// `bytes()` and a decode do, reading the body's chunks directly. A body of one chunk
    /// (a small answer) is decoded where it is, without a copy; this future is a fraction
    /// of the size of `bytes()`'s, and the call moves it.
    pub(crate) struct JsonBody<S, T> {
        #[pin]
        body: S,
        read: Read,
        head: Option<(StatusCode, HeaderMap)>,
        value: std::marker::PhantomData<fn() -> T>,
    }
}

/// What a [`JsonBody`] has read so far.
enum Read {
    Nothing,
    One(Bytes),
    More(bytes::BytesMut),
}

impl<S, T> Future for JsonBody<S, T>
where
    S: futures::Stream<Item = reqwest::Result<Bytes>>,
    T: serde::de::DeserializeOwned,
{
    type Output = Result<ResponseValue<T>, Undecoded>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        while let Some(chunk) = ready!(this.body.as_mut().poll_next(cx)) {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let (status, headers) = this.head.take().unwrap_or_default();
                    return Poll::Ready(Err(Undecoded::new(status, headers, Unread::Body(error))));
                }
            };
            *this.read = match std::mem::replace(this.read, Read::Nothing) {
                Read::Nothing => Read::One(chunk),
                Read::One(first) => {
                    let mut more = bytes::BytesMut::with_capacity(first.len() + chunk.len());
                    more.extend_from_slice(&first);
                    more.extend_from_slice(&chunk);
                    Read::More(more)
                }
                Read::More(mut more) => {
                    more.extend_from_slice(&chunk);
                    Read::More(more)
                }
            };
        }
        let body = match std::mem::replace(this.read, Read::Nothing) {
            Read::Nothing => Bytes::new(),
            Read::One(body) => body,
            Read::More(more) => more.freeze(),
        };
        let (status, headers) = this.head.take().unwrap_or_default();
        Poll::Ready(match serde_json::from_slice(&body) {
            Ok(value) => Ok(ResponseValue::new(value, status, headers)),
            Err(error) => Err(Undecoded::new(
                status,
                headers,
                Unread::Payload(body, error),
            )),
        })
    }
}

/// A success response that could not be read or decoded, with its status and headers,
/// so that its error keeps them (Lumin's request id among them) without the call looking
/// anything up on the way when the decoding succeeds. Boxed: the success path then moves
/// a small `Result`.
pub(crate) struct Undecoded(Box<(StatusCode, HeaderMap, Unread)>);

/// Why a success response did not decode.
enum Unread {
    /// Reading its body failed.
    Body(reqwest::Error),
    /// The body was read but is not the documented JSON.
    Payload(Bytes, serde_json::Error),
}

impl Undecoded {
    #[cold]
    #[inline(never)]
    fn new(status: StatusCode, headers: HeaderMap, unread: Unread) -> Self {
        Undecoded(Box::new((status, headers, unread)))
    }

    /// The [`Error`] for it. (Out of line, as every rare path here: the call's hot path
    /// then needs a small stack frame, and so touches less memory.)
    #[cold]
    #[inline(never)]
    fn into_error(self, op: &Operation) -> Error {
        let (status, headers, unread) = *self.0;
        match unread {
            Unread::Body(error) => Error::Transport(error),
            Unread::Payload(body, source) => {
                Error::decode(status, headers, body, !op.retry_safe, source)
            }
        }
    }
}

/// The [`Error`] for one progenitor returned while building a request or decoding a
/// response (the call layer has turned every other response into an error already).
#[cold]
#[inline(never)]
fn from_generated(error: progenitor_client::Error<ApiErrorBody>, op: &Operation) -> Error {
    use progenitor_client::Error as G;
    match error {
        G::InvalidRequest(message) | G::Custom(message) => Error::InvalidRequest(message),
        G::CommunicationError(e) | G::InvalidUpgrade(e) | G::ResponseBodyError(e) => {
            Error::Transport(e)
        }
        G::ErrorResponse(value) => {
            let status = value.status();
            let headers = value.headers().clone();
            let body = serde_json::to_vec(&value.into_inner()).unwrap_or_default();
            Error::from_response(status, headers, Bytes::from(body))
        }
        G::InvalidResponsePayload(body, source) => Error::decode(
            StatusCode::OK,
            HeaderMap::new(),
            body,
            !op.retry_safe,
            source,
        ),
        G::UnexpectedResponse(response) => {
            Error::from_response(response.status(), response.headers().clone(), Bytes::new())
        }
    }
}

/// The call's `lumin.call` span, when a subscriber wants it. The level is checked first:
/// with no subscriber, the span macro would still (under tracing's `log` feature) write
/// every call's span to `log`, work the call would pay for.
fn call_span(op: &'static Operation) -> Option<Box<Trace>> {
    use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
    if tracing::Level::INFO > STATIC_MAX_LEVEL || tracing::Level::INFO > LevelFilter::current() {
        return None;
    }
    traced(op)
}

/// The call's span, started, unless the subscriber turns it down.
#[cold]
#[inline(never)]
fn traced(op: &'static Operation) -> Option<Box<Trace>> {
    let span = tracing::info_span!(
        "lumin.call",
        operation = op.id,
        method = %op.method,
        path = op.path,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    if span.is_disabled() {
        return None;
    }
    span.record("attempt", 1);
    Some(Box::new(Trace {
        span,
        started: crate::clock::Stopwatch::start(),
    }))
}

/// Sets the call's timeout, the operation's default headers, the `User-Agent` and a
/// static credential; checks the body rules where the spec declares some.
fn prepare(
    client: &crate::Client,
    request: &mut Request,
    op: &Operation,
    timeout: Option<Duration>,
) -> crate::Result<()> {
    if op.rules.is_some() {
        check_body_rules(request, op)?;
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
    for (name, value) in op.default_headers {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    // Appended: every attempt's request is fresh, so neither is there yet, and `append`
    // is the code the builder's own `.header(..)` calls already ran.
    debug_assert!(!headers.contains_key(USER_AGENT));
    headers.append(USER_AGENT, state.user_agent.clone());
    if let Some((name, value)) = &state.static_auth {
        debug_assert!(!headers.contains_key(name));
        headers.append(name.clone(), value.clone());
    }
    Ok(())
}

/// Checks a JSON body against the operation's rules. (Out of line: few operations have
/// rules, and every call runs `prepare`.)
#[inline(never)]
fn check_body_rules(request: &Request, op: &Operation) -> crate::Result<()> {
    match request.body().and_then(|b| b.as_bytes()) {
        Some(body) => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => Ok(op.check_rules(&value, &[])?),
            Err(_) => Ok(()),
        },
        None => Ok(()),
    }
}

/// Why one attempt failed, and whether another may be made.
enum Verdict {
    /// Send again (after `wait`, when the server named one).
    Retry(Error, Option<Duration>),
    /// Do not send again.
    Fail(Error),
}

/// A fresh copy of an operation's request, for another attempt; `None` when its body
/// cannot be sent twice.
type Again<'c> = dyn FnMut() -> Option<Request> + Send + 'c;

/// What one attempt gave: a response, a transport failure, or (`Err`) an error that ends
/// the call (a token source that failed).
type Outcome = crate::Result<reqwest::Result<Response>>;

/// reqwest's future for one request, named through its `tower` service so that [`Exec`]
/// can hold it in place.
type Pending = <reqwest::Client as tower_service::Service<Request>>::Future;

pin_project_lite::pin_project! {
    /// Sends a request as `op` with the client's policies, preparing each attempt (see
    /// [`prepare`]): retries as the policy and the operation's retry safety allow, one
    /// refresh after a `401`, and a response that is not a documented success turned into
    /// an [`Error`]; all of it in the call's `lumin.call` span, entered only when a
    /// subscriber wants it.
    ///
    /// The first attempt is prepared when this is made (that needs no runtime) and sent
    /// when it is first polled. A first attempt that succeeds is the short path, held in
    /// place; anything else (a failure, a token source) continues in one boxed future.
    struct Exec<'a, A> {
        #[pin]
        step: Step<'a>,
        client: &'a crate::Client,
        op: &'static Operation,
        // What further attempts need: `again` makes the request anew. Taken when the
        // call leaves the short path.
        rest: Option<(A, CallOptions)>,
        // Only when a subscriber wants the call's span.
        trace: Option<Box<Trace>>,
    }
}

pin_project_lite::pin_project! {
    #[project = StepProj]
    enum Step<'a> {
        // Prepared, not sent yet.
        Prepared { request: Option<Request> },
        // The first attempt, with no token source.
        First { #[pin] pending: Pending, replayable: bool },
        // A token source's attempts, or the attempts after a first that failed.
        Rest { rest: Rest<'a> },
        // Refused before anything was sent.
        Refused { error: Option<Box<Error>> },
        Done,
    }
}

/// The call's span, and when it started.
struct Trace {
    span: tracing::Span,
    started: crate::clock::Stopwatch,
}

impl<'a, A> Exec<'a, A>
where
    A: FnMut() -> Option<Request> + Send + 'a,
{
    fn new(
        client: &'a crate::Client,
        mut request: Request,
        again: A,
        op: &'static Operation,
        options: CallOptions,
    ) -> Self {
        let trace = call_span(op);
        let step = match prepare(client, &mut request, op, options.timeout) {
            Ok(()) => Step::Prepared {
                request: Some(request),
            },
            Err(error) => Step::Refused {
                error: Some(Box::new(error)),
            },
        };
        Exec {
            step,
            client,
            op,
            rest: Some((again, options)),
            trace,
        }
    }
}

impl<'a, A> Future for Exec<'a, A>
where
    A: FnMut() -> Option<Request> + Send + 'a,
{
    type Output = crate::Result<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _entered = this.trace.as_ref().map(|trace| trace.span.enter());
        let (client, op) = (*this.client, *this.op);
        let result = loop {
            match this.step.as_mut().project() {
                StepProj::Prepared { request } => {
                    let Some(request) = request.take() else {
                        break Err(internal("the request was already sent"));
                    };
                    let replayable = is_replayable(&request);
                    match client.inner().token_source.as_deref() {
                        Some(source) => {
                            let (again, options) = take_rest(this.rest);
                            let rest =
                                authorized(client, source, request, replayable, again, op, options);
                            this.step.set(Step::Rest { rest });
                        }
                        None => {
                            let mut http = client.client();
                            this.step.set(Step::First {
                                pending: tower_service::Service::call(&mut http, request),
                                replayable,
                            });
                        }
                    }
                }
                StepProj::First {
                    pending,
                    replayable,
                } => {
                    let outcome = ready!(pending.poll(cx));
                    if let Ok(response) = &outcome
                        && op.is_success(response.status())
                    {
                        break outcome.map_err(Error::Transport);
                    }
                    let replayable = *replayable;
                    let (again, options) = take_rest(this.rest);
                    let rest = after_first(client, outcome, replayable, again, op, options);
                    this.step.set(Step::Rest { rest });
                }
                StepProj::Rest { rest } => break ready!(rest.as_mut().poll(cx)),
                StepProj::Refused { error } => match error.take() {
                    Some(error) => break Err(*error),
                    None => break Err(internal("the request was refused")),
                },
                StepProj::Done => panic!("a lumin call was polled after it completed"),
            }
        };
        this.step.set(Step::Done);
        if let Some(trace) = this.trace.as_ref() {
            trace.finish(&result);
        }
        Poll::Ready(result)
    }
}

/// What further attempts need, for the boxed rest of a call. (Taken once: a call leaves
/// its short path once.)
fn take_rest<'a, A>(rest: &mut Option<(A, CallOptions)>) -> (Box<Again<'a>>, CallOptions)
where
    A: FnMut() -> Option<Request> + Send + 'a,
{
    match rest.take() {
        Some((again, options)) => (Box::new(again), options),
        None => (Box::new(|| None), CallOptions::default()),
    }
}

impl Trace {
    /// Records the call's duration, and the status and request id of its last response.
    #[inline(never)]
    fn finish(&self, result: &crate::Result<Response>) {
        let span = &self.span;
        span.record(
            "duration_ms",
            u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        match result {
            Ok(response) => record_response(span, response.status(), response.headers()),
            Err(error) => {
                if let (Some(status), Some(headers)) = (error.status(), error.headers()) {
                    record_response(span, status, headers);
                }
            }
        }
    }
}

/// The boxed rest of a call that left its short path.
type Rest<'a> = Pin<Box<dyn Future<Output = crate::Result<Response>> + Send + 'a>>;

/// A call with a token source: its first attempt (see [`send_authorized`]), then, unless
/// that succeeded, the rest as after any failed first attempt. (Out of line: the future
/// is large, and made on the stack before it is boxed.)
#[inline(never)]
fn authorized<'a>(
    client: &'a crate::Client,
    source: &'a dyn TokenSource,
    request: Request,
    replayable: bool,
    mut again: Box<Again<'a>>,
    op: &'static Operation,
    options: CallOptions,
) -> Rest<'a> {
    Box::pin(async move {
        match send_authorized(client, source, request, &mut *again, op).await {
            Ok(Ok(response)) if op.is_success(response.status()) => Ok(response),
            outcome => after_failure(client, outcome, replayable, again, op, options).await,
        }
    })
}

/// The rest of a call whose first attempt (with no token source) did not succeed.
#[cold]
#[inline(never)]
fn after_first<'a>(
    client: &'a crate::Client,
    outcome: reqwest::Result<Response>,
    replayable: bool,
    again: Box<Again<'a>>,
    op: &'static Operation,
    options: CallOptions,
) -> Rest<'a> {
    Box::pin(after_failure(
        client,
        Ok(outcome),
        replayable,
        again,
        op,
        options,
    ))
}

/// An error for a call polled in a state it cannot be in.
#[cold]
#[inline(never)]
fn internal(what: &'static str) -> Error {
    Error::InvalidRequest(what.to_owned())
}

/// Whether a request's body can be sent again (bytes, or none; not a stream).
fn is_replayable(request: &Request) -> bool {
    request.body().is_none_or(|b| b.as_bytes().is_some())
}

/// The rest of a call whose first attempt did not succeed: decides from each `outcome`
/// whether to send again, and does, until a success, an error that must not be retried,
/// or the end of the policy's attempts.
async fn after_failure<'a>(
    client: &'a crate::Client,
    mut outcome: Outcome,
    mut replayable: bool,
    mut again: Box<Again<'a>>,
    op: &'static Operation,
    options: CallOptions,
) -> crate::Result<Response> {
    let state = client.inner();
    // The call's span, when a subscriber wants it (see `Exec`).
    let span = tracing::Span::current();
    let policy = options.retry.as_ref().unwrap_or(&state.retry);
    let mut attempt = 1;
    loop {
        let (error, wait) = match outcome {
            Ok(Ok(response)) if op.is_success(response.status()) => return Ok(response),
            Ok(Ok(response)) => match classify_response(response, op, state).await {
                Verdict::Retry(error, wait) => (error, wait),
                Verdict::Fail(error) => return Err(error),
            },
            Ok(Err(error)) => match classify_transport(error, op) {
                Verdict::Retry(error, wait) => (error, wait),
                Verdict::Fail(error) => return Err(error),
            },
            Err(error) => return Err(error),
        };
        if let Some(wait) = wait
            && wait > policy.retry_after_limit()
        {
            return Err(Error::NotRetried {
                reason: NotRetriedReason::RetryAfterTooLong(wait),
                source: Box::new(error),
            });
        }
        if attempt >= policy.attempts() {
            return Err(if attempt > 1 {
                Error::RetriesExhausted {
                    attempts: attempt,
                    source: Box::new(error),
                }
            } else {
                error
            });
        }
        let Some(mut request) = again().filter(|_| replayable) else {
            return Err(Error::NotRetried {
                reason: NotRetriedReason::BodyNotReplayable,
                source: Box::new(error),
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
        attempt += 1;
        if !span.is_disabled() {
            span.record("attempt", attempt);
        }
        prepare(client, &mut request, op, options.timeout)?;
        replayable = is_replayable(&request);
        outcome = match &state.token_source {
            None => Ok(client.client().execute(request).await),
            Some(source) => {
                send_authorized(client, source.as_ref(), request, &mut *again, op).await
            }
        };
    }
}

fn record_response(span: &tracing::Span, status: StatusCode, headers: &HeaderMap) {
    span.record("status", status.as_u16());
    if let Some(id) = headers
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
    {
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

/// One attempt with a token source: sets its access token and, on a `401`, refreshes
/// it once and sends a fresh copy of the request (from `again`) with the new one. A
/// failed refresh is the call's error (`Err`), not the `401`.
async fn send_authorized(
    client: &crate::Client,
    source: &dyn TokenSource,
    mut request: Request,
    again: &mut Again<'_>,
    op: &Operation,
) -> crate::Result<reqwest::Result<Response>> {
    let http = client.client();
    let token = source.access_token().await.map_err(Error::TokenSource)?;
    let sent = bearer_value(&token).map_err(|e| Error::TokenSource(Box::new(e)))?;
    request.headers_mut().insert(AUTHORIZATION, sent);
    let timeout = request.timeout().copied();
    let response = match http.execute(request).await {
        Ok(response) => response,
        Err(error) => return Ok(Err(error)),
    };
    if response.status() != StatusCode::UNAUTHORIZED || op.is_success(response.status()) {
        return Ok(Ok(response));
    }
    let Some(mut resend) = again() else {
        return Ok(Ok(response));
    };
    let token = source
        .refresh_rejected(&token)
        .await
        .map_err(Error::TokenSource)?;
    let value = bearer_value(&token).map_err(|e| Error::TokenSource(Box::new(e)))?;
    prepare(client, &mut resend, op, timeout)?;
    resend.headers_mut().insert(AUTHORIZATION, value);
    Ok(http.execute(resend).await)
}

/// A response that is not a documented success: read it whole, then decide.
async fn classify_response(response: Response, op: &Operation, state: &ClientState) -> Verdict {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) => return classify_transport(e, op),
    };
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

#[cfg(test)]
mod tests {
    use super::PathText as _;

    #[test]
    fn a_path_segment_is_encoded_as_progenitor_encodes_it() {
        let mut values: Vec<String> = (0u8..128).map(|b| format!("a{}b", b as char)).collect();
        values.extend(
            [
                "sr_1",
                "",
                "a/b?c#d",
                "100%",
                "with space",
                "ünïcödé/ж",
                "{x}`<y>\"",
            ]
            .map(String::from),
        );
        for value in values {
            assert_eq!(
                value.path_segment().to_string(),
                progenitor_client::encode_path(&value),
                "{value:?}"
            );
        }
        // Through another `Display`, as for the generated newtypes and numbers.
        assert_eq!(42u32.path_segment().to_string(), "42");
    }
}
