//! The client builder: credentials on the wire in each documented form, secrets never
//! printed, the user agent, the base URL, and what cannot be built.

use std::sync::Arc;
use std::time::Duration;

use httpmock::MockServer;
use lumin::auth::Credentials;
use lumin::client::{BuildError, DEFAULT_BASE_URL, DEFAULT_USER_AGENT};
use lumin::endpoint::UrlError;
use lumin::{ClientBuilder, types};

const USER: &str = r#"{"user":{"id":"usr_a1b2c3d4","email":"you@example.com","name":"Your Name"}}"#;

async fn user_info_with(credentials: Credentials, expect: (&str, &str)) {
    let server = MockServer::start_async().await;
    let (name, value) = (expect.0.to_owned(), expect.1.to_owned());
    let mock = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/user/info")
                .header(name, value)
                .header("user-agent", DEFAULT_USER_AGENT)
                .header("accept", "application/json")
                .header_missing("api-version");
            then.status(200).body(USER);
        })
        .await;
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .credentials(credentials)
        .build()
        .unwrap();
    let user = client.get_user_information().send().await.unwrap();
    mock.assert_async().await;
    assert_eq!(user.status(), 200);
    assert_eq!(
        user.into_inner(),
        types::UserInfoResponse {
            user: types::User {
                id: "usr_a1b2c3d4".into(),
                email: "you@example.com".into(),
                name: "Your Name".into(),
            }
        }
    );
}

#[tokio::test]
async fn api_key_goes_in_x_api_key_by_default() {
    user_info_with(
        Credentials::api_key("secret-key-1"),
        ("x-api-key", "secret-key-1"),
    )
    .await;
}

#[tokio::test]
async fn api_key_as_basic_user_name_with_empty_password() {
    // base64("secret-key-1:")
    user_info_with(
        Credentials::api_key_basic("secret-key-1"),
        ("authorization", "Basic c2VjcmV0LWtleS0xOg=="),
    )
    .await;
}

#[tokio::test]
async fn access_token_as_bearer() {
    user_info_with(
        Credentials::bearer("ory_at_token"),
        ("authorization", "Bearer ory_at_token"),
    )
    .await;
}

#[tokio::test]
async fn the_api_key_header_is_not_sent_with_a_bearer_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/user/info").header_missing("x-api-key");
            then.status(200).body(USER);
        })
        .await;
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .credentials(Credentials::bearer("t"))
        .build()
        .unwrap();
    client.get_user_information().send().await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn list_templates_sends_the_version_header_callers_never_pass() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/templates")
                .query_param("page", "2")
                .query_param("limit", "50")
                .header("x-lumin-api-version", "1.1");
            then.status(200)
                .body(r#"{"page":2,"limit":50,"total_count":51,"data":[]}"#);
        })
        .await;
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("k")
        .build()
        .unwrap();
    let page = client
        .list_templates()
        .page(lumin::limits::Page::new(2).unwrap())
        .limit(lumin::limits::PageLimit::Fifty)
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.total_count, Some(lumin::wire::Count(51)));
}

#[tokio::test]
async fn a_base_url_with_a_path_and_trailing_slash_is_joined_cleanly() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/v1/user/info");
            then.status(200).body(USER);
        })
        .await;
    let client = ClientBuilder::new()
        .base_url(format!("{}/v1/", server.base_url()))
        .api_key("k")
        .build()
        .unwrap();
    client.get_user_information().send().await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn user_agent_prefix_keeps_the_crate_name_and_version() {
    let server = MockServer::start_async().await;
    let expected = format!("my-app/2.0 lumin-rust/{}", env!("CARGO_PKG_VERSION"));
    let mock = server
        .mock_async(|when, then| {
            when.path("/user/info").header("user-agent", expected);
            then.status(200).body(USER);
        })
        .await;
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("k")
        .user_agent_prefix("my-app/2.0")
        .build()
        .unwrap();
    client.get_user_information().send().await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start_async().await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200).body(USER);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/user/info");
            then.status(302).header("location", "/elsewhere");
        })
        .await;
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("k")
        .build()
        .unwrap();
    let err = client.get_user_information().send().await.unwrap_err();
    assert_eq!(err.status(), Some(lumin::reqwest::StatusCode::FOUND));
    assert_eq!(elsewhere.calls_async().await, 0);
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let secret = "sk_live_do_not_print_me";
    let builder = ClientBuilder::new().credentials(Credentials::api_key(secret));
    let client = builder.clone().build().unwrap();
    for printed in [
        format!("{:?}", Credentials::api_key(secret)),
        format!("{:?}", Credentials::api_key_basic(secret)),
        format!("{:?}", Credentials::bearer(secret)),
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{client:#?}"),
    ] {
        assert!(!printed.contains(secret), "secret printed: {printed}");
        assert!(
            !printed.contains("c2tfbGl2ZV9kb19ub3RfcHJpbnRfbWU"),
            "encoded secret printed: {printed}"
        );
    }
    assert!(format!("{:?}", Credentials::api_key(secret)).contains("REDACTED"));
}

#[test]
fn what_cannot_be_built() {
    assert!(matches!(
        ClientBuilder::new().build(),
        Err(BuildError::MissingCredentials)
    ));
    for bad in ["", "api.luminpdf.com/v1", "ftp://api.luminpdf.com", "/v1"] {
        assert!(
            matches!(
                ClientBuilder::new().api_key("k").base_url(bad).build(),
                Err(BuildError::InvalidBaseUrl { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        ClientBuilder::new().api_key("bad\nkey").build(),
        Err(BuildError::InvalidCredential(_))
    ));
    // The error does not echo the credential.
    let message = ClientBuilder::new()
        .api_key("bad\nkey")
        .build()
        .unwrap_err()
        .to_string();
    assert!(!message.contains("bad"), "{message}");
}

#[test]
fn production_is_the_default_base_url() {
    assert_eq!(DEFAULT_BASE_URL, "https://api.luminpdf.com/v1");
    let client = lumin::Client::with_api_key("k").unwrap();
    assert_eq!(lumin::ClientInfo::baseurl(&client), DEFAULT_BASE_URL);
}

#[tokio::test]
async fn a_request_that_times_out_is_a_transport_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/user/info");
            then.status(200)
                .body(USER)
                .delay(Duration::from_millis(500));
        })
        .await;
    let client = ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("k")
        .timeout(Duration::from_millis(50))
        .clock(Arc::new(lumin::clock::SystemClock))
        .build()
        .unwrap();
    let err = client.get_user_information().send().await.unwrap_err();
    assert!(
        matches!(err, lumin::Error::Transport(ref e) if e.is_timeout()),
        "{err:?}"
    );
}

#[tokio::test]
async fn empty_or_blank_credentials_are_refused_when_the_client_is_built() {
    // Counts every request: these configurations used to reach Lumin.
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(401);
        })
        .await;
    for (credentials, kind) in [
        (Credentials::api_key(""), "API key"),
        (Credentials::api_key("  \t"), "API key"),
        (Credentials::api_key_basic(""), "API key"),
        (Credentials::bearer(""), "access token"),
        (Credentials::bearer(" "), "access token"),
    ] {
        let debug = format!("{credentials:?}");
        let error = ClientBuilder::new()
            .base_url(server.base_url())
            .credentials(credentials)
            .build()
            .unwrap_err();
        assert!(
            matches!(error, BuildError::EmptyCredential { credential } if credential == kind),
            "{debug}: {error:?}"
        );
        assert_eq!(error.to_string(), format!("the {kind} is empty"));
    }
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[tokio::test]
async fn a_base_url_with_a_query_or_fragment_is_refused() {
    // Counts every request: these configurations used to reach Lumin.
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(USER);
        })
        .await;
    let base = server.base_url();
    for (url, reason) in [
        (format!("{base}/?x=1"), UrlError::Query),
        (format!("{base}/v1?"), UrlError::Query),
        (format!("{base}/v1#top"), UrlError::Fragment),
    ] {
        let error = ClientBuilder::new()
            .api_key("k")
            .base_url(url.clone())
            .build()
            .unwrap_err();
        match &error {
            BuildError::InvalidBaseUrl {
                url: shown,
                reason: got,
            } => {
                assert_eq!(shown, &url);
                assert_eq!(got, &reason);
            }
            other => panic!("{url}: expected InvalidBaseUrl, got {other:?}"),
        }
        // The message is this layer's; the rule broken is the source.
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(!error.to_string().contains(&source), "{error}");
    }
    assert_eq!(any.calls_async().await, 0, "nothing may reach the server");
}

#[test]
fn plain_http_is_for_loopback_only_unless_allowed() {
    for ok in [
        "http://127.0.0.1:9/v1",
        "http://127.9.9.9",
        "http://[::1]:9",
        "http://localhost:9/v1",
    ] {
        assert!(
            ClientBuilder::new()
                .api_key("k")
                .base_url(ok)
                .build()
                .is_ok(),
            "{ok}"
        );
    }
    let error = ClientBuilder::new()
        .api_key("k")
        .base_url("http://proxy.internal/v1")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &error,
            BuildError::InvalidBaseUrl { reason: UrlError::InsecureHttp { host }, .. }
                if host == "proxy.internal"
        ),
        "{error:?}"
    );
    assert!(
        ClientBuilder::new()
            .api_key("k")
            .base_url("http://proxy.internal/v1")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    // A password in the URL is refused and never echoed.
    let error = ClientBuilder::new()
        .api_key("k")
        .base_url("https://user:hunter2@api.example.com/v1")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &error,
            BuildError::InvalidBaseUrl {
                reason: UrlError::UserInfo,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        !format!("{error} {error:?}").contains("hunter2"),
        "{error:?}"
    );
}
