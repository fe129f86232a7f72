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

/// With a caller's client the total timeout is set per request; a download still runs
/// under the idle timeout instead, so a transfer longer than the total timeout completes
/// while its bytes keep moving.
#[tokio::test]
async fn a_download_through_the_callers_client_is_bounded_by_idle_time_not_the_total() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/pdf\r\ncontent-length: 8\r\n\r\n%PDF")
            .await
            .unwrap();
        // Longer than the total timeout below, shorter than the idle timeout.
        tokio::time::sleep(Duration::from_millis(400)).await;
        socket.write_all(b"-1.7").await.unwrap();
    });
    let client = ClientBuilder::new()
        .base_url(base_url)
        .api_key("byo-key")
        .http_client(callers_client())
        .timeout(Duration::from_millis(200))
        .idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut pdf = Vec::new();
    client
        .get_agreement_pdf()
        .agreement_id("ag_1")
        .write_to(&mut pdf)
        .await
        .unwrap();
    assert_eq!(pdf, b"%PDF-1.7");
}
