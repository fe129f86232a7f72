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
    #[error("Lumin's response body could not be decoded: {source}")]
    Decode {
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
                match value.into_inner() {
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
            G::InvalidResponsePayload(body, source) => Self::Decode { body, source },
            G::UnexpectedResponse(response) => {
                let body = response
                    .extensions()
                    .get::<RawBody>()
                    .map(|raw| raw.0.clone())
                    .unwrap_or_default();
                let status = response.status();
                match ApiErrorBody::from_bytes(&body) {
                    ApiErrorBody::Envelope {
                        error_code,
                        error_message,
                    } if !status.is_success() => Self::Api {
                        status,
                        error_code,
                        error_message,
                    },
                    _ => Self::UnexpectedResponse { status, body },
                }
            }
        }
    }
}

/// Result of a call through this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
