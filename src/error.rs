//! The one error type callers of this crate handle.
//!
//! Every operation, generated or handwritten, fails with [`Error`]. An error from a
//! response keeps its status, its headers (Lumin's request id, `Retry-After`) and the raw
//! body. Each variant's `Display` speaks for its own layer only; the cause, when there is
//! one, is in [`source()`](std::error::Error::source), so a chain prints every cause once.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};
use serde::Deserialize;

use crate::auth::TokenSourceError;
use crate::expiry::ExpiryError;
use crate::limits::LimitError;
use crate::rules::RuleError;

/// The header in which Lumin's edge names each request (read here and by the call layer's
/// span).
pub(crate) const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// An error from a call to the Lumin API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Lumin rejected the request with its documented error envelope.
    #[error("Lumin answered {status}: {error_code}: {error_message}")]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// Machine-readable code, such as `verification_not_licensed`.
        error_code: String,
        /// Human-readable explanation.
        error_message: String,
        /// The response headers.
        headers: HeaderMap,
        /// The raw body.
        body: Bytes,
    },
    /// A response with an error status, or a status the API does not document, whose body
    /// is not the documented envelope. The body is kept as received.
    #[error("Lumin answered {status} with an unexpected body ({} bytes)", body.len())]
    UnexpectedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The response headers.
        headers: HeaderMap,
        /// The raw body.
        body: Bytes,
    },
    /// A success response whose body does not match the documented shape. When the
    /// operation creates or sends something, Lumin accepted it: do not send it again.
    #[error(
        "Lumin answered {status}{}, but the body could not be decoded at `{path}`",
        if *accepted { " (the request was accepted)" } else { "" }
    )]
    Decode {
        /// The HTTP status (a success).
        status: StatusCode,
        /// The response headers.
        headers: HeaderMap,
        /// Where in the body decoding failed, as a dotted path (`signature_request.created_at`).
        path: String,
        /// The raw body.
        body: Bytes,
        /// True when the operation is not safe to repeat: Lumin acted on it.
        accepted: bool,
        /// What did not match.
        #[source]
        source: serde_json::Error,
    },
    /// The request could not be sent or the response could not be read (including
    /// timeouts: see [`Error::is_timeout`]).
    #[error("the HTTP request failed")]
    Transport(#[source] reqwest::Error),
    /// The request may have reached Lumin, which may have acted on it, but no answer
    /// says so. The operation is not safe to repeat: look (for example, list or get the
    /// signature request) before sending it again.
    #[error(
        "the outcome of `{operation}` is unknown: Lumin may have acted on it; check before sending it again"
    )]
    OutcomeUnknown {
        /// The operation id.
        operation: &'static str,
        /// What happened after the request may have been written.
        #[source]
        source: Box<Error>,
    },
    /// Every attempt the retry policy allows failed; the last failure is the source.
    #[error("gave up after {attempts} attempts")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        source: Box<Error>,
    },
    /// A failure the policy would retry was not retried; the reason says why.
    #[error("not retried: {reason}")]
    NotRetried {
        /// Why: the body was streamed and cannot be sent again, or the server asked for a
        /// wait longer than the policy allows.
        reason: NotRetriedReason,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
    /// The request was incomplete and was not sent (a required parameter is missing).
    #[error("invalid request, not sent: {0}")]
    InvalidRequest(String),
    /// A value given to a builder setter did not convert to its documented type; nothing
    /// was sent. The typed cause (a [`LimitError`], a length rule, …) is the source.
    #[error("invalid value for `{field}`, not sent")]
    InvalidInput {
        /// The setter (parameter or body) name.
        field: &'static str,
        /// Why the value was refused.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The token source had no usable access token (after a `401` too: the refresh it
    /// triggered failed); nothing more was sent. See [`Error::requires_reauthorization`].
    #[error("the token source has no usable access token")]
    TokenSource(#[source] TokenSourceError),
    /// A documented limit was broken; the request was not sent.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A documented expiry rule was broken; the request was not sent.
    #[error(transparent)]
    Expiry(#[from] ExpiryError),
    /// A documented cross-field rule was broken; the request was not sent.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// An upload could not be prepared; the request was not sent.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// A paged list's server broke paging (a repeated page, a total never reached); the
    /// stream of its items ends here.
    #[error(transparent)]
    Pagination(#[from] PaginationError),
}

/// Why a failure that is normally retried was not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotRetriedReason {
    /// The body was streamed (an upload) and cannot be sent again.
    BodyNotReplayable,
    /// `Retry-After` asked for a wait longer than the policy's limit.
    RetryAfterTooLong(Duration),
}

impl std::fmt::Display for NotRetriedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BodyNotReplayable => {
                f.write_str("the request body was streamed and cannot be sent again")
            }
            Self::RetryAfterTooLong(wait) => write!(
                f,
                "the server asked to wait {} s, longer than the retry policy allows",
                wait.as_secs()
            ),
        }
    }
}

impl Error {
    /// A decode error for `body`, naming the field where `source` stopped.
    pub(crate) fn decode(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        accepted: bool,
        source: serde_json::Error,
    ) -> Self {
        let path = json_path_at(&body, source.line(), source.column());
        Self::Decode {
            status,
            headers,
            path,
            body,
            accepted,
            source,
        }
    }

    /// The error for a response that is not a documented success: [`Error::Api`] when the
    /// body is the documented envelope, else [`Error::UnexpectedResponse`].
    pub(crate) fn from_response(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        if !status.is_success()
            && let Ok(Envelope {
                error_code,
                error_message,
            }) = serde_json::from_slice::<Envelope>(&body)
        {
            return Self::Api {
                status,
                error_code,
                error_message,
                headers,
                body,
            };
        }
        Self::UnexpectedResponse {
            status,
            headers,
            body,
        }
    }

    /// This error, or the response error it wraps (through retries and unknown outcomes).
    fn innermost(&self) -> &Self {
        match self {
            Self::OutcomeUnknown { source, .. }
            | Self::RetriesExhausted { source, .. }
            | Self::NotRetried { source, .. } => source.innermost(),
            other => other,
        }
    }

    /// The HTTP status, when the error comes from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self.innermost() {
            Self::Api { status, .. }
            | Self::UnexpectedResponse { status, .. }
            | Self::Decode { status, .. } => Some(*status),
            Self::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// The response headers, when the error comes from a response.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self.innermost() {
            Self::Api { headers, .. }
            | Self::UnexpectedResponse { headers, .. }
            | Self::Decode { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// The raw response body, when the error comes from a response.
    pub fn body(&self) -> Option<&Bytes> {
        match self.innermost() {
            Self::Api { body, .. }
            | Self::UnexpectedResponse { body, .. }
            | Self::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The request id Lumin sent with the response, when present (quote it to support).
    pub fn request_id(&self) -> Option<&str> {
        self.headers()?.get(&REQUEST_ID_HEADER)?.to_str().ok()
    }

    /// The wait the server asked for in `Retry-After`, in seconds (an HTTP date is read by
    /// the retry layer, which knows the clock).
    pub fn retry_after(&self) -> Option<Duration> {
        if let Self::NotRetried {
            reason: NotRetriedReason::RetryAfterTooLong(wait),
            ..
        } = self
        {
            return Some(*wait);
        }
        let value = self.headers()?.get(reqwest::header::RETRY_AFTER)?;
        value
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
            .map(Duration::from_secs)
    }

    /// The documented `error_code`, when Lumin sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self.innermost() {
            Self::Api { error_code, .. } => Some(error_code),
            _ => None,
        }
    }

    /// True when the call timed out.
    pub fn is_timeout(&self) -> bool {
        match self.innermost() {
            Self::Transport(e) => e.is_timeout(),
            _ => false,
        }
    }

    /// True when Lumin may have acted on a request that must not be repeated blindly.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown { .. })
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

#[derive(Deserialize)]
struct Envelope {
    error_code: String,
    error_message: String,
}

/// The documented error envelope, `{error_code, error_message}`, as the generated types
/// name it. The client reads error responses itself, into [`Error`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiErrorBody {
    /// Machine-readable code.
    pub error_code: String,
    /// Human-readable explanation.
    pub error_message: String,
}

/// Result of a call through this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The dotted path of the value being read at `line`:`column` (1-based, as serde_json
/// reports) of a JSON text: `signature_request.signers[1].group`. Empty at the top level.
pub(crate) fn json_path_at(body: &[u8], line: usize, column: usize) -> String {
    enum Frame {
        Object {
            key: Option<String>,
            expect_key: bool,
        },
        Array {
            index: usize,
        },
    }
    // Byte offset of the position serde_json reports.
    let mut offset = body.len();
    let (mut l, mut c) = (1, 0);
    for (i, b) in body.iter().enumerate() {
        if l == line && c + 1 >= column.max(1) {
            offset = i;
            break;
        }
        if *b == b'\n' {
            l += 1;
            c = 0;
        } else {
            c += 1;
        }
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset.min(body.len()) {
        match body[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expect_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < body.len() && body[j] != b'"' {
                    j += if body[j] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, expect_key }) = stack.last_mut()
                    && *expect_key
                {
                    *key =
                        Some(String::from_utf8_lossy(&body[start..j.min(body.len())]).into_owned());
                    *expect_key = false;
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::json_path_at;

    fn path_of_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        let e = serde_json::from_str::<T>(body).unwrap_err();
        json_path_at(body.as_bytes(), e.line(), e.column())
    }

    #[test]
    fn names_the_field_where_decoding_stopped() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            a: u32,
            when: crate::time::Timestamp,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            items: Vec<Inner>,
        }
        assert_eq!(
            path_of_error::<Outer>(r#"{"items":[{"a":1,"when":5},{"a":2,"when":"soon"}]}"#),
            "items[1].when"
        );
        assert_eq!(
            path_of_error::<Outer>("{\n  \"items\": [\n    {\"a\": \"x\", \"when\": 1}\n  ]\n}"),
            "items[0].a"
        );
    }
}

/// An upload or download that cannot be done as asked; nothing was sent, or (for
/// [`FilesError::Io`]) the local file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// No file was given to an operation that uploads one.
    #[error("no file to upload was given")]
    MissingFile,
    /// The file is larger than the configured upload limit (Lumin accepts 20 MB on the
    /// free plan, 200 MB on paid plans: see [`UploadLimit`](crate::limits::UploadLimit)).
    #[error("{file_name:?} is {size} bytes, over the upload limit of {limit} bytes")]
    TooLarge {
        /// The file's name.
        file_name: String,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A format Lumin does not accept (see [`ACCEPTED_FORMATS`](crate::files::ACCEPTED_FORMATS)).
    #[error("{file_name:?} is {content_type:?}, which Lumin does not accept")]
    UnsupportedFormat {
        /// The file's name.
        file_name: String,
        /// Its content type.
        content_type: String,
    },
    /// The format could not be told from the file name; give the content type.
    #[error("the format of {0:?} cannot be told from its extension; give its content type")]
    UnknownFormat(String),
    /// A local file could not be read or written.
    #[error("{action} {path:?} failed")]
    Io {
        /// What was being done (`reading`, `writing`, …).
        action: &'static str,
        /// The path.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No bytes moved for longer than the idle timeout.
    #[error("no bytes moved for {0:?}")]
    Idle(std::time::Duration),
    /// `Uploads::Files` with no file in it.
    #[error("`files` must hold at least one file")]
    EmptyFiles,
    /// A content type that is not a valid MIME type.
    #[error("{0:?} is not a valid content type")]
    InvalidContentType(String),
    /// The body could not be encoded.
    #[error("the request body could not be encoded: {0}")]
    Encode(String),
}

/// Why paging stopped before the list was complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// A page held exactly the items of the page before: the server ignores the page
    /// number, and paging on would never end.
    #[error("page {page} repeats the items of the page before")]
    RepeatedPage {
        /// The page that repeated.
        page: u64,
    },
    /// A page came back empty before `total_count` items were received.
    #[error("page {page} is empty after {received} items, but the server reported {total_count}")]
    TotalNotReached {
        /// The empty page.
        page: u64,
        /// Items received before it.
        received: u64,
        /// The total the server reported last.
        total_count: u64,
    },
}
