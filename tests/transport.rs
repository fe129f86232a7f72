//! Bring your own transport: a caller's `reqwest::Client` carries the crate's credentials,
//! user agent, retries and timeout, on top of its own default headers. The caller's
//! client starts from `lumin::client::http_builder()` (the crate's TLS setup).

use std::sync::Arc;
use std::time::Duration;

use httpmock::Method::POST;
use httpmock::MockServer;
use lumin::client::DEFAULT_USER_AGENT;
use lumin::clock::RecordingSleep;
use lumin::oauth::{ClientSecret, PrivateApp, RefreshToken};
use lumin::reqwest::header::{HeaderMap, HeaderValue};
use lumin::retry::RetryPolicy;
use lumin::{ClientBuilder, Error};
use serde_json::json;

const USER: &str = r#"{"user":{"id":"u1","email":"you@example.com","name":"You"}}"#;

fn callers_client() -> lumin::reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("x-corp-trace", HeaderValue::from_static("from-the-caller"));
    lumin::client::http_builder()
        .unwrap()
        .default_headers(headers)
        .redirect(lumin::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_callers_client_sends_its_header_and_the_api_key() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.path("/user/info")
            .header("x-corp-trace", "from-the-caller")
            .header("x-api-key", "byo-key")
            .header("user-agent", DEFAULT_USER_AGENT);
        then.status(200).body(USER);
    });
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("byo-key")
        .http_client(callers_client())
        .build()
        .unwrap();
    client.get_user_information().await.unwrap();
    mock.assert();
    assert!(!format!("{client:?}").contains("byo-key"));
}

#[tokio::test]
async fn the_builders_timeout_still_applies() {
    let server = MockServer::start_async().await;
    let slow = server.mock(|when, then| {
        when.path("/user/info");
        then.status(200).delay(Duration::from_secs(5)).body(USER);
    });
    let sleep = RecordingSleep::new();
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("byo-key")
        .http_client(callers_client())
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::new().max_attempts(2).jitter(false))
        .sleep(Arc::new(sleep.clone()))
        .build()
        .unwrap();
    let error = client.get_user_information().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    slow.assert_calls(1);
}

#[tokio::test]
async fn the_token_client_accepts_the_callers_client_too() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/oauth2/token")
            .header("x-corp-trace", "from-the-caller");
        then.status(200).json_body(json!({
            "access_token": "at-2", "expires_in": 3600, "token_type": "bearer"
        }));
    });
    let app = PrivateApp::builder(
        "client-1",
        ClientSecret::new("secret".to_owned()),
        "https://app.example.com/callback",
    )
    .token_url(server.url("/oauth2/token"))
    .http_client(callers_client())
    .build()
    .unwrap();
    let token = app
        .refresh(&RefreshToken::new("rt-1".to_owned()))
        .await
        .unwrap();
    assert_eq!(token.access_token().secret(), "at-2");
    mock.assert();
}
