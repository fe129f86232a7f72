//! The one error type callers of this crate handle.
//!
//! Generated operations return `progenitor_client::Error<ApiErrorBody>`; `?` turns it into
//! [`Error`], which keeps the HTTP status with every response error: the documented
//! `{error_code, error_message}` envelope as [`Error::Api`], and any other body, raw, as
//! [`Error::UnexpectedResponse`]. Transport errors are kept as sources.

use bytes::Bytes;
use reqwest::StatusCode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::expiry::ExpiryError;
use crate::limits::LimitError;

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
    },
    /// A response with an error status, or a status the API does not document, whose body
    /// is not the documented envelope. The body is kept as received.
    #[error("Lumin answered {status} with an unexpected body ({} bytes)", body.len())]
    UnexpectedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
    },
    /// A success response whose body does not match the documented shape.
    #[error("Lumin's response body could not be decoded at `{path}`: {source}")]
    Decode {
        /// Where in the body decoding failed, as a dotted path (`signature_request.created_at`).
        path: String,
        /// The raw body.
        body: Bytes,
        /// What did not match.
        #[source]
        source: serde_json::Error,
    },
    /// The request could not be sent or the response could not be read.
    #[error("HTTP transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The request was incomplete or invalid and was not sent.
    #[error("invalid request, not sent: {0}")]
    InvalidRequest(String),
    /// No usable OAuth access token; the request was not sent.
    #[error("no usable OAuth access token: {0}")]
    Auth(String),
    /// A documented limit was broken; the request was not sent.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A documented expiry rule was broken; the request was not sent.
    #[error(transparent)]
    Expiry(#[from] ExpiryError),
    /// Document inputs that exclude each other were combined, or an upload could not be
    /// encoded; the request was not sent.
    #[error(transparent)]
    Files(#[from] crate::files::FilesError),
}

impl Error {
    /// A decode error for `body`, naming the field where `source` stopped.
    pub(crate) fn decode(body: Bytes, source: serde_json::Error) -> Self {
        let path = json_path_at(&body, source.line(), source.column());
        Self::Decode { path, body, source }
    }

    /// The error for a response with `status` and error body `body`.
    fn from_error_body(status: StatusCode, body: ApiErrorBody) -> Self {
        match body {
            ApiErrorBody::Envelope {
                error_code,
                error_message,
            } => Self::Api {
                status,
                error_code,
                error_message,
            },
            ApiErrorBody::Unparsed(body) => Self::UnexpectedResponse { status, body },
        }
    }

    /// The error for a response the caller did not expect, from the raw body the client
    /// kept (an error status with the envelope is still [`Error::Api`]).
    pub(crate) fn from_unexpected(response: &reqwest::Response) -> Self {
        let status = response.status();
        let raw = response
            .extensions()
            .get::<RawBody>()
            .map(|raw| raw.0.clone())
            .unwrap_or_default();
        if status.is_success() {
            return Self::UnexpectedResponse { status, body: raw };
        }
        Self::from_error_body(status, ApiErrorBody::from_bytes(&raw))
    }

    /// The HTTP status, when the error comes from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::UnexpectedResponse { status, .. } => Some(*status),
            Self::Transport(e) => e.status(),
            _ => None,
        }
    }

    /// The documented `error_code`, when Lumin sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Api { error_code, .. } => Some(error_code),
            _ => None,
        }
    }
}

/// The raw body of an error response, kept by the client in the response's extensions.
#[derive(Debug, Clone)]
pub(crate) struct RawBody(pub(crate) Bytes);

/// The marker under which (see [`ApiErrorBody`]) the client hands a non-envelope error body to the generated
/// decoder (base64), so that its status is not lost.
pub(crate) const RAW_BODY_MARKER: &str = "$lumin_raw_body_base64";

/// The body of a 4XX response as the generated client decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorBody {
    /// The documented `{error_code, error_message}` envelope.
    Envelope {
        /// Machine-readable code.
        error_code: String,
        /// Human-readable explanation.
        error_message: String,
    },
    /// Any other body, as received.
    Unparsed(Bytes),
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    error_code: String,
    error_message: String,
}

impl ApiErrorBody {
    /// Reads an error body: the envelope when it is one, else the raw bytes.
    pub fn from_bytes(body: &[u8]) -> Self {
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope {
                error_code,
                error_message,
            }) => Self::Envelope {
                error_code,
                error_message,
            },
            Err(_) => Self::Unparsed(Bytes::copy_from_slice(body)),
        }
    }

    /// The documented envelope with this code and message.
    pub fn envelope(error_code: impl Into<String>, error_message: impl Into<String>) -> Self {
        Self::Envelope {
            error_code: error_code.into(),
            error_message: error_message.into(),
        }
    }
}

impl Serialize for ApiErrorBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        use serde::ser::SerializeMap;
        match self {
            Self::Envelope {
                error_code,
                error_message,
            } => Envelope {
                error_code: error_code.clone(),
                error_message: error_message.clone(),
            }
            .serialize(serializer),
            Self::Unparsed(body) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(
                    RAW_BODY_MARKER,
                    &base64::engine::general_purpose::STANDARD.encode(body),
                )?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ApiErrorBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Envelope(Envelope),
            Raw {
                #[serde(rename = "$lumin_raw_body_base64")]
                raw: String,
            },
        }
        match Wire::deserialize(deserializer)? {
            Wire::Envelope(Envelope {
                error_code,
                error_message,
            }) => Ok(Self::Envelope {
                error_code,
                error_message,
            }),
            Wire::Raw { raw } => base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map(|b| Self::Unparsed(Bytes::from(b)))
                .map_err(serde::de::Error::custom),
        }
    }
}

impl From<progenitor_client::Error<ApiErrorBody>> for Error {
    fn from(error: progenitor_client::Error<ApiErrorBody>) -> Self {
        use progenitor_client::Error as G;
        match error {
            G::InvalidRequest(message) => Self::InvalidRequest(message),
            G::Custom(message) => Self::Auth(message),
            G::CommunicationError(e) | G::InvalidUpgrade(e) | G::ResponseBodyError(e) => {
                Self::Transport(e)
            }
            G::ErrorResponse(value) => {
                let status = value.status();
                Self::from_error_body(status, value.into_inner())
            }
            G::InvalidResponsePayload(body, source) => Self::decode(body, source),
            G::UnexpectedResponse(response) => Self::from_unexpected(&response),
        }
    }
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
