//! An [axum](https://docs.rs/axum) extractor for verified webhook deliveries (feature
//! `axum`).
//!
//! [`VerifiedEvent`] reads the raw body (at most [`MAX_BODY`] bytes), checks `X-Signature`
//! with the [`WebhookVerifier`] of the router's state (its secrets and, when set, its
//! maximum age) and yields the typed event. A delivery it refuses is answered by the
//! [`WebhookRejection`]: `401` for a missing or wrong signature, `400` for a body that is
//! not an event, `413` for one over the limit.
//!
//! ```
//! use axum::{Router, extract::FromRef, routing::post};
//! use lumin::webhooks::{WebhookVerifier, axum::VerifiedEvent};
//!
//! #[derive(Clone)]
//! struct AppState {
//!     verifier: WebhookVerifier,
//! }
//!
//! impl FromRef<AppState> for WebhookVerifier {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.verifier.clone()
//!     }
//! }
//!
//! async fn receive(VerifiedEvent(event): VerifiedEvent) {
//!     println!("{}", event.event.event_type);
//! }
//!
//! let app: Router = Router::new()
//!     .route("/lumin/webhooks", post(receive))
//!     .with_state(AppState { verifier: WebhookVerifier::new("my_primary_api_key") });
//! # let _ = app;
//! ```

use ::axum::body::Body;
use ::axum::extract::{FromRef, FromRequest, Request};
use ::axum::http::{StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use super::{SIGNATURE_HEADER, WebhookError, WebhookEvent, WebhookVerifier};

/// The largest body accepted, in bytes; Lumin's events are a few kilobytes.
pub const MAX_BODY: usize = 256 * 1024;

/// A webhook event whose signature (and age, when the verifier has a maximum age) was
/// checked against the raw body. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct VerifiedEvent(pub WebhookEvent);

/// Why [`VerifiedEvent`] refused a delivery; as a response, the status says it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The body is longer than [`MAX_BODY`]: `413 Payload Too Large`.
    #[error("the body is longer than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body could not be read (the connection broke): `400 Bad Request`.
    #[error("the body could not be read")]
    BodyRead(#[source] ::axum::Error),
    /// Verification or parsing failed: `401 Unauthorized` for the signature, `400 Bad
    /// Request` for a body that is not an event, `500` for a verifier without secrets, and
    /// `200 OK` for an event older than the verifier's maximum age (acknowledged so that
    /// Lumin stops retrying it, but never handed to the handler).
    #[error(transparent)]
    Webhook(#[from] WebhookError),
}

impl WebhookRejection {
    /// The status this rejection is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyRead(_) => StatusCode::BAD_REQUEST,
            Self::Webhook(error) => match error {
                WebhookError::MissingSignature
                | WebhookError::SignatureNotHex
                | WebhookError::SignatureLength(_)
                | WebhookError::SignatureMismatch => StatusCode::UNAUTHORIZED,
                WebhookError::Malformed(_) => StatusCode::BAD_REQUEST,
                WebhookError::TooOld { .. } => StatusCode::OK,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}

impl<S> FromRequest<S> for VerifiedEvent
where
    WebhookVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::from_ref(state);
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(WebhookRejection::TooLarge { limit: MAX_BODY });
        }
        let body = read_limited(body, MAX_BODY).await?;
        // A header that is not visible ASCII cannot be a hex digest.
        let signature = match parts.headers.get(SIGNATURE_HEADER) {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| WebhookError::SignatureNotHex)?),
        };
        Ok(Self(verifier.verify_and_parse(&body, signature)?))
    }
}

/// The whole body, refusing it as soon as it passes `limit` bytes.
async fn read_limited(body: Body, limit: usize) -> Result<Vec<u8>, WebhookRejection> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(WebhookRejection::BodyRead)?;
        if bytes.len() + chunk.len() > limit {
            return Err(WebhookRejection::TooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
