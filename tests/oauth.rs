//! OAuth 2.0: app configuration, the authorization code flow against a mock token
//! endpoint, and sessions (single-flight refresh, rotation through a token store).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::Method::POST;
use httpmock::MockServer;
use lumin::auth::{TokenSource, TokenSourceError};
use lumin::clock::{FixedClock, SharedClock};
use lumin::oauth::{
    AccessToken, AuthorizeError, CallbackError, ClientSecret, ConfigError, MemoryTokenStore,
    OAuthErrorCode, PkceCodeChallenge, PkceCodeVerifier, PrivateApp, PublicApp,
    ReauthorizationReason, RedirectUri, RedirectUriRule, RefreshToken, Scope, Scopes, SessionError,
    StoreError, Token, TokenError, TokenStore,
};
use lumin::time::Timestamp;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;

const CLIENT_ID: &str = "client-1";
const CLIENT_SECRET: &str = "s3cret+/=";
const REDIRECT_URI: &str = "https://app.example.com/callback";
const REDIRECT_URI_ENCODED: &str = "https%3A%2F%2Fapp.example.com%2Fcallback";
/// 2026-01-01T00:00:00Z.
const NOW_MS: i64 = 1_767_225_600_000;
const FORM: &str = "application/x-www-form-urlencoded";

fn clock() -> FixedClock {
    FixedClock::at_unix_millis(NOW_MS)
}

fn private_app(server: &MockServer, clock: &FixedClock) -> PrivateApp {
    PrivateApp::builder(
        CLIENT_ID,
        ClientSecret::new(CLIENT_SECRET.to_owned()),
        REDIRECT_URI,
    )
    .auth_url(server.url("/oauth2/auth"))
    .token_url(server.url("/oauth2/token"))
    .clock(Arc::new(clock.clone()) as SharedClock)
    .build()
    .expect("valid app")
}

fn public_app(server: &MockServer, clock: &FixedClock) -> PublicApp {
    PublicApp::builder(CLIENT_ID, "myapp://callback")
        .auth_url(server.url("/oauth2/auth"))
        .token_url(server.url("/oauth2/token"))
        .clock(Arc::new(clock.clone()) as SharedClock)
        .build()
        .expect("valid app")
}

fn query(url: &url::Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// A token that expired a minute ago, with refresh token `rt-1`.
fn expired_token() -> Token {
    Token::new(
        AccessToken::new("at-1".to_owned()),
        Some(Timestamp::from_unix_millis(NOW_MS - 60_000)),
    )
    .with_refresh_token(RefreshToken::new("rt-1".to_owned()))
}

fn refresh_body(refresh_token: &str) -> String {
    format!(
        "grant_type=refresh_token&refresh_token={refresh_token}&client_id={CLIENT_ID}\
         &client_secret=s3cret%2B%2F%3D"
    )
}

fn session_error(error: TokenSourceError) -> SessionError {
    match error.downcast::<SessionError>() {
        Ok(error) => *error,
        Err(other) => panic!("not a SessionError: {other}"),
    }
}

// ---- Configuration --------------------------------------------------------------------

#[test]
fn redirect_uri_rules() {
    for ok in [
        "https://app.example.com/callback",
        "https://localhost/callback?x=1",
        "myapp://callback",
        "com.example.app:/oauth2redirect",
    ] {
        assert!(RedirectUri::new(ok).is_ok(), "{ok} should be accepted");
    }
    let cases = [
        (
            "http://app.example.com/callback",
            RedirectUriRule::HttpsOrAppScheme,
        ),
        ("javascript://alert(1)", RedirectUriRule::HttpsOrAppScheme),
        (
            "https://*.example.com/callback",
            RedirectUriRule::NoWildcards,
        ),
        ("https://app.example.com/*", RedirectUriRule::NoWildcards),
        ("https://127.0.0.1/callback", RedirectUriRule::NoIpAddresses),
        (
            "https://[::1]:8443/callback",
            RedirectUriRule::NoIpAddresses,
        ),
        ("myapp://10.0.0.1/callback", RedirectUriRule::NoIpAddresses),
        ("/callback", RedirectUriRule::Absolute),
        ("callback", RedirectUriRule::Absolute),
        ("//app.example.com/callback", RedirectUriRule::Absolute),
        (
            "https://app.example.com/callback#x",
            RedirectUriRule::NoFragment,
        ),
    ];
    for (uri, rule) in cases {
        let error = RedirectUri::new(uri).expect_err(uri);
        assert_eq!(error.rule(), rule, "{uri}");
        assert_eq!(error.uri(), uri);
        assert!(error.to_string().contains(&rule.to_string()), "{error}");
    }
}

#[test]
fn apps_are_configured_with_valid_redirect_uris_only() {
    let error = PrivateApp::builder(
        CLIENT_ID,
        ClientSecret::new("s".into()),
        "https://1.2.3.4/cb",
    )
    .build()
    .unwrap_err();
    assert!(
        matches!(&error, ConfigError::RedirectUri(e) if e.rule() == RedirectUriRule::NoIpAddresses),
        "{error:?}"
    );
    let error = PublicApp::builder(CLIENT_ID, "http://app.example.com/cb")
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, ConfigError::RedirectUri(e) if e.rule() == RedirectUriRule::HttpsOrAppScheme),
        "{error:?}"
    );
    let error = PublicApp::builder(CLIENT_ID, "myapp://callback")
        .token_url("not a url")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConfigError::Endpoint {
                endpoint: "token",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn default_endpoints_are_lumins() {
    let app = PublicApp::builder(CLIENT_ID, "myapp://callback")
        .build()
        .unwrap();
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    assert!(
        request
            .url
            .as_str()
            .starts_with("https://auth.luminpdf.com/oauth2/auth?"),
        "{}",
        request.url
    );
}

#[test]
fn scopes_cover_the_documented_ones_and_pass_others_through() {
    let names = [
        "openid",
        "offline_access",
        "profile.read",
        "profile.settings",
        "workspaces",
        "workspaces.read",
        "templates",
        "pdf:files",
        "pdf:files.read",
        "sign:requests",
        "sign:requests.read",
        "agreements",
    ];
    for name in names {
        let scope = Scope::new(name);
        assert!(!matches!(scope, Scope::Other(_)), "{name}");
        assert_eq!(scope.as_str(), name);
    }
    assert_eq!(Scope::DOCUMENTED.len(), names.len());
    assert_eq!(Scope::new("beta:thing"), Scope::Other("beta:thing".into()));

    let scopes = Scopes::new()
        .with(Scope::OpenId)
        .with("sign:requests")
        .with(Scope::OpenId)
        .with("beta:thing");
    assert_eq!(scopes.to_string(), "openid sign:requests beta:thing");
    assert_eq!(Scopes::parse("openid  sign:requests beta:thing"), scopes);
}

// ---- Authorization URL ------------------------------------------------------------------

#[test]
fn private_authorize_url_has_the_documented_parameters() {
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let scopes = Scopes::from([Scope::OpenId, Scope::OfflineAccess, Scope::SignRequests]);
    let request = app.authorize_url(&scopes).unwrap();

    assert_eq!(request.url.path(), "/oauth2/auth");
    let params = query(&request.url);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], REDIRECT_URI);
    assert_eq!(params["scope"], "openid offline_access sign:requests");
    assert_eq!(&params["state"], request.pending.state().secret());
    assert_eq!(params["nonce"], request.pending.nonce().secret());
    assert!(params["state"].len() >= 22 && params["nonce"].len() >= 22);
    // PKCE on by default for private apps too.
    let verifier = request.pending.pkce_verifier().expect("kept verifier");
    assert_eq!(
        params["code_challenge"],
        PkceCodeChallenge::from_code_verifier_sha256(verifier).as_str()
    );
    assert_eq!(params["code_challenge_method"], "S256");
    assert!(!params.contains_key("prompt"));
    assert!(
        request
            .url
            .as_str()
            .contains("scope=openid+offline_access+sign%3Arequests")
    );

    let again = app.authorize_url(&scopes).unwrap();
    assert_ne!(
        again.pending.state().secret(),
        request.pending.state().secret()
    );
    assert_ne!(
        again.pending.nonce().secret(),
        request.pending.nonce().secret()
    );
}

#[test]
fn public_authorize_url_has_an_s256_challenge_of_the_kept_verifier() {
    let server = MockServer::start();
    let app = public_app(&server, &clock());
    let request = app
        .authorize_url(&Scopes::from([Scope::OpenId, Scope::SignRequests]))
        .unwrap();
    let params = query(&request.url);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], "myapp://callback");
    assert_eq!(params["scope"], "openid sign:requests");
    assert_eq!(params["code_challenge_method"], "S256");
    assert!(params.contains_key("nonce"));
    let verifier = request.pending.pkce_verifier().expect("kept verifier");
    assert_eq!(
        params["code_challenge"],
        PkceCodeChallenge::from_code_verifier_sha256(verifier).as_str()
    );
}

#[test]
fn pkce_matches_rfc_7636_appendix_b() {
    let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    assert_eq!(
        challenge.as_str(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(challenge.method().as_str(), "S256");
}

#[test]
fn public_app_cannot_ask_for_offline_access() {
    let server = MockServer::start();
    let app = public_app(&server, &clock());
    let error = app
        .authorize_url(&Scopes::from([Scope::OpenId, Scope::OfflineAccess]))
        .unwrap_err();
    assert_eq!(error, AuthorizeError::OfflineAccessForPublicApp);
}

#[test]
fn malformed_scopes_are_refused() {
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let error = app
        .authorize_url(&Scopes::from([Scope::Other("two words".into())]))
        .unwrap_err();
    assert_eq!(error, AuthorizeError::InvalidScope("two words".into()));
}

#[test]
fn pending_authorization_survives_a_session_store_and_hides_its_secrets() {
    let server = MockServer::start();
    let app = public_app(&server, &clock());
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let state = request.pending.state().secret().clone();
    let verifier = request.pending.pkce_verifier().unwrap().secret().clone();
    let nonce = request.pending.nonce().secret().to_owned();

    // The URL carries state and nonce by design; the value kept does not show them.
    let debug = format!("{:?}", request.pending);
    for secret in [&state, &verifier, &nonce] {
        assert!(!debug.contains(secret.as_str()), "{debug}");
    }

    let stored = serde_json::to_string(&request.pending).unwrap();
    let restored: lumin::oauth::PendingAuthorization = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored.state().secret(), &state);
    assert_eq!(restored.pkce_verifier().unwrap().secret(), &verifier);
    assert_eq!(restored.nonce().secret(), nonce);
    assert_eq!(restored.scopes(), &Scopes::from([Scope::OpenId]));
}

// ---- Callback ---------------------------------------------------------------------------

#[test]
fn callback_returns_the_code_when_state_matches() {
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let state = request.pending.state().secret();

    let code = app
        .callback(
            &request.pending,
            &format!("{REDIRECT_URI}?code=abc&state={state}"),
        )
        .unwrap();
    assert_eq!(code.secret(), "abc");
    // The path and query alone, as a callback handler sees them.
    let code = app
        .callback(
            &request.pending,
            &format!("/callback?state={state}&code=xyz"),
        )
        .unwrap();
    assert_eq!(code.secret(), "xyz");
}

#[test]
fn callback_rejections() {
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let pending = &request.pending;
    let state = pending.state().secret();

    let cases: Vec<(String, CallbackError)> = vec![
        (
            format!("{REDIRECT_URI}?code=abc&state=forged"),
            CallbackError::StateMismatch,
        ),
        (
            format!("{REDIRECT_URI}?code=abc"),
            CallbackError::MissingState,
        ),
        (
            format!("{REDIRECT_URI}?state={state}"),
            CallbackError::MissingCode,
        ),
        (
            format!("{REDIRECT_URI}?state={state}&code="),
            CallbackError::MissingCode,
        ),
        (
            format!("{REDIRECT_URI}?state={state}&code=a&code=b"),
            CallbackError::RepeatedParameter("code".into()),
        ),
        (
            format!(
                "{REDIRECT_URI}?error=access_denied&error_description=The+user+said+no&state={state}"
            ),
            CallbackError::Authorization {
                code: OAuthErrorCode::AccessDenied,
                description: Some("The user said no".into()),
                uri: None,
            },
        ),
        (
            format!("{REDIRECT_URI}?error=login_required&state={state}"),
            CallbackError::Authorization {
                code: OAuthErrorCode::Other("login_required".into()),
                description: None,
                uri: None,
            },
        ),
    ];
    for (url, expected) in cases {
        assert_eq!(app.callback(pending, &url).unwrap_err(), expected, "{url}");
    }
    let error = app
        .callback(
            pending,
            &format!("{REDIRECT_URI}?error=access_denied&error_description=No&state={state}"),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "authorization failed: `access_denied`: No"
    );
}

// ---- Token exchange ---------------------------------------------------------------------

#[tokio::test]
async fn private_code_exchange_sends_the_documented_form() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let app = private_app(&server, &clock);
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let verifier = request.pending.pkce_verifier().unwrap().secret().clone();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/token")
                .header("content-type", FORM)
                .header("accept", "application/json")
                .body(format!(
                    "grant_type=authorization_code&code=the-code&code_verifier={verifier}\
                     &client_id={CLIENT_ID}&client_secret=s3cret%2B%2F%3D\
                     &redirect_uri={REDIRECT_URI_ENCODED}"
                ));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({
                    "access_token": "eyJhbGci0i...",
                    "expires_in": 3600,
                    "refresh_token": "def502...",
                    "token_type": "bearer",
                    "scope": "openid offline_access sign:requests"
                }));
        })
        .await;
    let state = request.pending.state().secret().clone();
    let code = app
        .callback(
            &request.pending,
            &format!("/callback?code=the-code&state={state}"),
        )
        .unwrap();
    let token = app.exchange_code(request.pending, code).await.unwrap();

    mock.assert_calls_async(1).await;
    assert_eq!(token.access_token().secret(), "eyJhbGci0i...");
    assert_eq!(token.refresh_token().unwrap().secret(), "def502...");
    assert_eq!(
        token.expires_at(),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_600_000))
    );
    assert_eq!(
        token.scopes(),
        Some(&Scopes::from([
            Scope::OpenId,
            Scope::OfflineAccess,
            Scope::SignRequests
        ]))
    );
    let debug = format!("{token:?}");
    assert!(
        !debug.contains("eyJhbGci0i") && !debug.contains("def502"),
        "{debug}"
    );
}

#[tokio::test]
async fn public_code_exchange_sends_the_verifier_and_no_secret() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let app = public_app(&server, &clock);
    let request = app
        .authorize_url(&Scopes::from([Scope::OpenId, Scope::SignRequests]))
        .unwrap();
    let verifier = request.pending.pkce_verifier().unwrap().secret().clone();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/token")
                .header("content-type", FORM)
                .body(format!(
                    "grant_type=authorization_code&code=the-code&code_verifier={verifier}\
                     &client_id={CLIENT_ID}&redirect_uri=myapp%3A%2F%2Fcallback"
                ));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({
                    "access_token": "ory_at__aqzPqv1z0Uw",
                    "expires_in": 3598,
                    "token_type": "bearer",
                    "scope": "openid sign:requests"
                }));
        })
        .await;
    let state = request.pending.state().secret().clone();
    let code = app
        .callback(
            &request.pending,
            &format!("myapp://callback?code=the-code&state={state}"),
        )
        .unwrap();
    let token = app.exchange_code(request.pending, code).await.unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(token.access_token().secret(), "ory_at__aqzPqv1z0Uw");
    assert!(token.refresh_token().is_none());
    assert_eq!(
        token.expires_at(),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_598_000))
    );
}

/// Exchanges a code against a token endpoint answering `status` with `body`.
async fn exchange_answered(
    status: u16,
    content_type: &str,
    body: &str,
) -> Result<Token, TokenError> {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(status)
                .header("content-type", content_type)
                .body(body);
        })
        .await;
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let code = lumin::oauth::AuthorizationCode::new("the-code".into());
    app.exchange_code(request.pending, code).await
}

#[tokio::test]
async fn expires_in_may_be_a_digit_string_and_token_type_any_case() {
    let token = exchange_answered(
        200,
        "application/json",
        r#"{"access_token":"at","expires_in":"3600","token_type":"Bearer"}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        token.expires_at(),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_600_000))
    );
    let token = exchange_answered(
        200,
        "application/json",
        r#"{"access_token":"at","token_type":"bearer"}"#,
    )
    .await
    .unwrap();
    assert_eq!(token.expires_at(), None);
}

#[tokio::test]
async fn oauth_error_bodies_keep_the_servers_description() {
    let error = exchange_answered(
        400,
        "application/json",
        r#"{"error":"invalid_grant","error_description":"The authorization code has expired.","error_uri":"https://auth.luminpdf.com/errors"}"#,
    )
    .await
    .unwrap_err();
    match &error {
        TokenError::OAuth {
            status,
            code,
            description,
            uri,
        } => {
            assert_eq!(status.as_u16(), 400);
            assert_eq!(code, &OAuthErrorCode::InvalidGrant);
            assert_eq!(
                description.as_deref(),
                Some("The authorization code has expired.")
            );
            assert_eq!(uri.as_deref(), Some("https://auth.luminpdf.com/errors"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the token endpoint answered 400 Bad Request with OAuth error `invalid_grant`: \
         The authorization code has expired."
    );
    let error = exchange_answered(401, "application/json", r#"{"error":"invalid_client"}"#)
        .await
        .unwrap_err();
    assert_eq!(error.oauth_code(), Some(&OAuthErrorCode::InvalidClient));
}

#[tokio::test]
async fn malformed_token_responses_keep_status_and_body_but_no_secret() {
    let cases = [
        (
            200,
            "text/html",
            "<html>maintenance</html>",
            "not a JSON object",
        ),
        (
            200,
            "application/json",
            r#"{"token_type":"bearer"}"#,
            "`access_token` is missing",
        ),
        (
            200,
            "application/json",
            r#"{"access_token":"at-secret","token_type":"bearer","expires_in":"soon"}"#,
            "`expires_in`",
        ),
        (
            200,
            "application/json",
            r#"{"access_token":"at-secret","token_type":"mac","refresh_token":"rt-secret"}"#,
            "`token_type` is \"mac\"",
        ),
        (
            200,
            "application/json",
            r#"{"access_token":"at-secret"}"#,
            "`token_type` is missing",
        ),
    ];
    for (status, content_type, body, reason_part) in cases {
        let error = exchange_answered(status, content_type, body)
            .await
            .unwrap_err();
        let TokenError::Malformed {
            status: got,
            reason,
            body: raw,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(got.as_u16(), status);
        assert!(reason.contains(reason_part), "{reason}");
        assert_eq!(raw.as_bytes(), body.as_bytes());
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("at-secret") && !shown.contains("rt-secret"),
            "{shown}"
        );
    }

    let error = exchange_answered(502, "text/html", "<html>bad gateway</html>")
        .await
        .unwrap_err();
    let TokenError::UnexpectedResponse { status, body, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(status.as_u16(), 502);
    assert_eq!(body.as_bytes(), b"<html>bad gateway</html>");
}

#[tokio::test]
async fn token_requests_do_not_follow_redirects() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200)
                .json_body(json!({"access_token": "at", "token_type": "bearer"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/oauth2/token");
            then.status(307).header("location", "/elsewhere");
        })
        .await;
    let error = app
        .refresh(&RefreshToken::new("rt".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, TokenError::UnexpectedResponse { status, .. } if status.as_u16() == 307),
        "{error:?}"
    );
    elsewhere.assert_calls_async(0).await;
}

#[tokio::test]
async fn refresh_sends_the_documented_form() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let app = private_app(&server, &clock);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/token")
                .header("content-type", FORM)
                .body(refresh_body("rt-1"));
            then.status(200).json_body(json!({
                "access_token": "at-2", "expires_in": 3600, "token_type": "bearer"
            }));
        })
        .await;
    let token = app
        .refresh(&RefreshToken::new("rt-1".into()))
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(token.access_token().secret(), "at-2");
    // No rotation: the old refresh token stays.
    assert_eq!(token.refresh_token().unwrap().secret(), "rt-1");
}

#[test]
fn secrets_stay_out_of_debug() {
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let debug = format!("{app:?}");
    assert!(
        debug.contains(CLIENT_ID) && !debug.contains("s3cret"),
        "{debug}"
    );
    let builder = PrivateApp::builder(CLIENT_ID, ClientSecret::new("s3cret".into()), REDIRECT_URI);
    assert!(!format!("{builder:?}").contains("s3cret"));
}

// ---- Sessions ---------------------------------------------------------------------------

/// A mock refresh of `rt-1` answering `at-2`/`rt-2`, slowed so that callers overlap.
async fn mock_rotation(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/token")
                .body(refresh_body("rt-1"));
            then.status(200)
                .delay(Duration::from_millis(100))
                .json_body(json!({
                    "access_token": "at-2",
                    "expires_in": 3600,
                    "refresh_token": "rt-2",
                    "token_type": "bearer"
                }));
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_on_an_expired_token_share_one_refresh() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let app = private_app(&server, &clock);
    let mock = mock_rotation(&server).await;
    let store = Arc::new(MemoryTokenStore::new());
    let session = app
        .start_session(expired_token(), store.clone())
        .await
        .unwrap();

    let calls = (0..100).map(|_| {
        let session = session.clone();
        tokio::spawn(async move { session.access_token().await })
    });
    let results = futures::future::join_all(calls).await;
    for result in results {
        let token = result.unwrap().unwrap();
        assert_eq!(token.expose_secret(), "at-2");
    }
    mock.assert_calls_async(1).await;
    assert_eq!(
        store.token().unwrap().refresh_token().unwrap().secret(),
        "rt-2"
    );

    // Fresh now: no more requests until the skew before expiry.
    clock.advance(Duration::from_secs(3600 - 31));
    assert_eq!(
        session.access_token().await.unwrap().expose_secret(),
        "at-2"
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_refresh_reaches_every_waiter_as_the_same_error() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(400)
                .delay(Duration::from_millis(100))
                .json_body(json!({
                    "error": "invalid_grant",
                    "error_description": "The refresh token was already used."
                }));
        })
        .await;
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let calls = (0..100).map(|_| {
        let session = session.clone();
        tokio::spawn(async move { session.access_token().await })
    });
    let errors: Vec<SessionError> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| session_error(r.unwrap().unwrap_err()))
        .collect();
    mock.assert_calls_async(1).await;
    let SessionError::Refresh(first) = &errors[0] else {
        panic!("{:?}", errors[0]);
    };
    assert_eq!(first.oauth_code(), Some(&OAuthErrorCode::InvalidGrant));
    for error in &errors {
        assert!(error.requires_reauthorization());
        match error {
            SessionError::Refresh(e) => assert!(Arc::ptr_eq(e, first)),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rejected_token_is_refreshed_once() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let app = private_app(&server, &clock);
    let mock = mock_rotation(&server).await;
    // Valid for another hour, but the API says 401.
    let token = Token::new(
        AccessToken::new("at-1".into()),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_600_000)),
    )
    .with_refresh_token(RefreshToken::new("rt-1".into()));
    let session = app
        .start_session(token, Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let rejected = SecretString::from("at-1");
    let calls = (0..20).map(|_| {
        let session = session.clone();
        let rejected = rejected.clone();
        tokio::spawn(async move { session.refresh_rejected(&rejected).await })
    });
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap().unwrap().expose_secret(), "at-2");
    }
    // A late 401 for the old token: the current one, no new request.
    assert_eq!(
        session
            .refresh_rejected(&rejected)
            .await
            .unwrap()
            .expose_secret(),
        "at-2"
    );
    mock.assert_calls_async(1).await;
}

/// A store that records what happened, can be made to fail, and can hold a save until
/// released.
#[derive(Debug, Default)]
struct RecordingStore {
    events: Mutex<Vec<String>>,
    saved: Mutex<Option<Token>>,
    fail: std::sync::atomic::AtomicBool,
    hold: Option<(Arc<tokio::sync::Notify>, Arc<tokio::sync::Semaphore>)>,
}

impl RecordingStore {
    fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }
}

impl TokenStore for RecordingStore {
    fn load(&self) -> lumin::auth::BoxFuture<'_, Result<Option<Token>, StoreError>> {
        Box::pin(async move { Ok(self.saved.lock().unwrap().clone()) })
    }

    fn save<'a>(&'a self, token: &'a Token) -> lumin::auth::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let refresh = token
                .refresh_token()
                .map(|t| t.secret().clone())
                .unwrap_or_default();
            if let Some((entered, release)) = &self.hold {
                entered.notify_one();
                release.acquire().await.unwrap().forget();
            }
            if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
                self.events
                    .lock()
                    .unwrap()
                    .push(format!("save failed: {refresh}"));
                return Err("disk full".into());
            }
            self.events
                .lock()
                .unwrap()
                .push(format!("saved: {refresh}"));
            *self.saved.lock().unwrap() = Some(token.clone());
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_refresh_token_is_saved_before_the_new_access_token_is_used() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let mock = mock_rotation(&server).await;
    let entered = Arc::new(tokio::sync::Notify::new());
    let release = Arc::new(tokio::sync::Semaphore::new(1)); // the start-up save
    let store = Arc::new(RecordingStore {
        hold: Some((entered.clone(), release.clone())),
        ..RecordingStore::default()
    });
    let session = app
        .start_session(expired_token(), store.clone())
        .await
        .unwrap();

    let caller = {
        let session = session.clone();
        let store = store.clone();
        tokio::spawn(async move {
            let token = session.access_token().await.unwrap();
            store
                .events
                .lock()
                .unwrap()
                .push(format!("used: {}", token.expose_secret()));
        })
    };
    entered.notified().await; // the refresh came back and its token is being saved
    assert!(!caller.is_finished());
    assert_eq!(store.events(), ["saved: rt-1"]);
    release.add_permits(1);
    caller.await.unwrap();
    assert_eq!(store.events(), ["saved: rt-1", "saved: rt-2", "used: at-2"]);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_failed_save_is_reported_and_the_new_token_is_not_used_until_saved() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let mock = mock_rotation(&server).await;
    let store = Arc::new(RecordingStore::default());
    let session = app
        .start_session(expired_token(), store.clone())
        .await
        .unwrap();

    store.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let error = session_error(session.access_token().await.unwrap_err());
    assert!(
        matches!(&error, SessionError::Store(e) if e.to_string() == "disk full"),
        "{error:?}"
    );
    // Nor after a 401 with the old token.
    let error = session_error(
        session
            .refresh_rejected(&SecretString::from("at-1"))
            .await
            .unwrap_err(),
    );
    assert!(matches!(error, SessionError::Store(_)), "{error:?}");

    // Once the store works again the kept token is saved, then used: no second refresh
    // (the spent rt-1 is never presented again).
    store.fail.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        session.access_token().await.unwrap().expose_secret(),
        "at-2"
    );
    mock.assert_calls_async(1).await;
    assert_eq!(
        store.events(),
        [
            "saved: rt-1",
            "save failed: rt-2",
            "save failed: rt-2",
            "saved: rt-2"
        ]
    );
}

#[tokio::test]
async fn a_stored_token_is_loaded_on_start_up_and_refreshed_the_same_way() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let mock = mock_rotation(&server).await;

    let empty = Arc::new(MemoryTokenStore::new());
    let error = app.resume_session(empty).await.unwrap_err();
    assert!(matches!(error, SessionError::NoStoredToken), "{error:?}");

    // Saved by an earlier run, as JSON.
    let saved = serde_json::to_string(&expired_token()).unwrap();
    let store = Arc::new(MemoryTokenStore::with_token(
        serde_json::from_str(&saved).unwrap(),
    ));
    let session = app.resume_session(store.clone()).await.unwrap();
    assert_eq!(
        session.access_token().await.unwrap().expose_secret(),
        "at-2"
    );
    mock.assert_calls_async(1).await;
    assert_eq!(
        store.token().unwrap().refresh_token().unwrap().secret(),
        "rt-2"
    );
}

/// Fault 7: a token without a refresh token (the server did not grant `offline_access`)
/// used to start a session that failed at its first expiry.
#[tokio::test]
async fn a_session_without_refresh_token_is_refused_naming_offline_access() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let token = Token::new(
        AccessToken::new("at-1".into()),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_600_000)),
    )
    .with_scopes(Scopes::from([Scope::OpenId]));
    let store = Arc::new(MemoryTokenStore::new());
    let error = app
        .start_session(token.clone(), store.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            SessionError::ScopeNotGranted {
                scope: Scope::OfflineAccess
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("`offline_access`"), "{error}");
    assert!(error.requires_reauthorization());
    assert!(store.token().is_none(), "nothing saved");
    // Nor from a store.
    let error = app
        .resume_session(Arc::new(MemoryTokenStore::with_token(token)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SessionError::ScopeNotGranted { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_public_session_cannot_refresh() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let app = public_app(&server, &clock);
    let token = Token::new(
        AccessToken::new("ory_at_1".into()),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_598_000)),
    );
    let session = app.session(token);
    assert_eq!(
        session.access_token().await.unwrap().expose_secret(),
        "ory_at_1"
    );
    let error = session_error(
        session
            .refresh_rejected(&SecretString::from("ory_at_1"))
            .await
            .unwrap_err(),
    );
    assert!(error.requires_reauthorization(), "{error:?}");

    clock.advance(Duration::from_secs(3598));
    let error = session_error(session.access_token().await.unwrap_err());
    assert!(
        matches!(
            error,
            SessionError::ReauthorizationRequired {
                reason: ReauthorizationReason::PublicAppTokenExpired
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("authorization again"), "{error}");
}

// ---- Through the API client ---------------------------------------------------------------

/// A client calling `server` with `session` as its token source.
fn api_client(server: &MockServer, session: impl TokenSource + 'static) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .credentials(lumin::auth::Credentials::TokenSource(Arc::new(session)))
        .build()
        .expect("client")
}

/// `GET /user/info` answering 200 to `Bearer {token}`.
async fn mock_user_info<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/user/info")
                .header("authorization", format!("Bearer {token}"));
            then.status(200).json_body(json!({
                "user": {"id": "usr_a1b2c3d4", "email": "you@example.com", "name": "Your Name"}
            }));
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_api_calls_on_an_expired_token_cause_one_token_request() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let refresh = mock_rotation(&server).await;
    let user_info = mock_user_info(&server, "at-2").await;
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let client = api_client(&server, session);

    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_user_information().send().await })
    });
    for result in futures::future::join_all(calls).await {
        let user = result.unwrap().expect("user info");
        assert_eq!(user.user.email, "you@example.com");
    }
    refresh.assert_calls_async(1).await;
    user_info.assert_calls_async(100).await;
}

#[tokio::test]
async fn a_401_causes_one_refresh_and_one_retry() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let refresh = mock_rotation(&server).await;
    let rejected = server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/user/info")
                .header("authorization", "Bearer at-1");
            then.status(401)
                .json_body(json!({"error_code": "unauthorized", "error_message": "Token revoked"}));
        })
        .await;
    let accepted = mock_user_info(&server, "at-2").await;
    // Not expired by the clock: only the 401 tells the session to refresh.
    let token = Token::new(
        AccessToken::new("at-1".into()),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_600_000)),
    )
    .with_refresh_token(RefreshToken::new("rt-1".into()));
    let session = app
        .start_session(token, Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let client = api_client(&server, session);

    let user = client.get_user_information().send().await.expect("retried");
    assert_eq!(user.user.name, "Your Name");
    rejected.assert_calls_async(1).await;
    refresh.assert_calls_async(1).await;
    accepted.assert_calls_async(1).await;

    // The new token is used from now on, without another refresh.
    client
        .get_user_information()
        .send()
        .await
        .expect("user info");
    rejected.assert_calls_async(1).await;
    refresh.assert_calls_async(1).await;
    accepted.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_401_after_the_refresh_is_not_retried_again() {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let refresh = mock_rotation(&server).await;
    let rejected = server
        .mock_async(|when, then| {
            when.method("GET").path("/user/info");
            then.status(401)
                .json_body(json!({"error_code": "unauthorized", "error_message": "No access"}));
        })
        .await;
    let token = Token::new(
        AccessToken::new("at-1".into()),
        Some(Timestamp::from_unix_millis(NOW_MS + 3_600_000)),
    )
    .with_refresh_token(RefreshToken::new("rt-1".into()));
    let session = app
        .start_session(token, Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let client = api_client(&server, session);

    let error = client.get_user_information().send().await.unwrap_err();
    assert!(
        matches!(&error, lumin::Error::Api { status, .. } if status.as_u16() == 401),
        "{error:?}"
    );
    rejected.assert_calls_async(2).await;
    refresh.assert_calls_async(1).await;
}

#[test]
fn an_access_token_reports_its_expiry_around_the_boundary() {
    use lumin::time::{Millis, Timestamp};
    let at = |ms: i64| Timestamp::<Millis>::from_unix_millis(ms);
    let token = lumin::oauth::Token::new(
        lumin::oauth::AccessToken::new("ory_at_x".into()),
        Some(at(1_000_000)),
    );
    assert!(!token.is_expired(at(999_999)));
    assert_eq!(token.remaining(at(999_999)), Some(Duration::from_millis(1)));
    assert!(token.is_expired(at(1_000_000)));
    assert_eq!(token.remaining(at(1_000_000)), Some(Duration::ZERO));
    assert_eq!(token.remaining(at(1_000_001)), Some(Duration::ZERO));
    let forever = lumin::oauth::Token::new(lumin::oauth::AccessToken::new("t".into()), None);
    assert!(!forever.is_expired(at(i64::MAX)));
    assert_eq!(forever.remaining(at(0)), None);
}

// ---- Issue 12: faults found against a real authorization server ----------------------------

/// A fake token endpoint on 127.0.0.1 that rotates refresh tokens, revokes spent ones, and
/// can hold its answer, drop the connection after acting, or fail.
mod fake {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{Notify, Semaphore};

    /// What the endpoint does with the next refresh requests.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Mode {
        /// Rotate and answer.
        Answer,
        /// Rotate, then wait for [`TokenServer::release`] before answering.
        Hold,
        /// Rotate, then close the connection without answering.
        Drop,
        /// Answer 503 `temporarily_unavailable` without acting.
        Unavailable,
    }

    struct State {
        /// The one refresh token the server accepts; every earlier one is revoked.
        valid: String,
        issued: u32,
        mode: Mode,
    }

    pub struct TokenServer {
        pub url: String,
        state: Arc<Mutex<State>>,
        requests: Arc<AtomicUsize>,
        /// Notified when a refresh request has been acted on (before any answer).
        pub received: Arc<Notify>,
        release: Arc<Semaphore>,
    }

    impl TokenServer {
        /// A server that accepts `valid` (and issues `rt-2`, `at-2` for it, and so on).
        pub async fn start(valid: &str, mode: Mode) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/oauth2/token", listener.local_addr().unwrap());
            let server = Self {
                url,
                state: Arc::new(Mutex::new(State {
                    valid: valid.to_owned(),
                    issued: 1,
                    mode,
                })),
                requests: Arc::default(),
                received: Arc::default(),
                release: Arc::new(Semaphore::new(0)),
            };
            let (state, requests, received, release) = (
                server.state.clone(),
                server.requests.clone(),
                server.received.clone(),
                server.release.clone(),
            );
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (state, requests, received, release) = (
                        state.clone(),
                        requests.clone(),
                        received.clone(),
                        release.clone(),
                    );
                    tokio::spawn(async move {
                        let _ = handle(stream, &state, &requests, &received, &release).await;
                    });
                }
            });
            server
        }

        pub fn requests(&self) -> usize {
            self.requests.load(Ordering::SeqCst)
        }

        pub fn set_mode(&self, mode: Mode) {
            self.state.lock().unwrap().mode = mode;
        }

        /// Lets one held answer go.
        pub fn release(&self) {
            self.release.add_permits(1);
        }
    }

    async fn handle(
        mut stream: TcpStream,
        state: &Mutex<State>,
        requests: &AtomicUsize,
        received: &Notify,
        release: &Semaphore,
    ) -> std::io::Result<()> {
        let body = read_body(&mut stream).await?;
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        requests.fetch_add(1, Ordering::SeqCst);
        let (mode, answer) = {
            let mut state = state.lock().unwrap();
            let mode = state.mode;
            let answer = if mode == Mode::Unavailable {
                (503, r#"{"error":"temporarily_unavailable"}"#.to_owned())
            } else if form.get("refresh_token") == Some(&state.valid) {
                state.issued += 1;
                let n = state.issued;
                state.valid = format!("rt-{n}");
                (
                    200,
                    format!(
                        r#"{{"access_token":"at-{n}","refresh_token":"rt-{n}","expires_in":3600,"token_type":"bearer"}}"#
                    ),
                )
            } else {
                (
                    400,
                    r#"{"error":"invalid_grant","error_description":"The refresh token was revoked."}"#
                        .to_owned(),
                )
            };
            (mode, answer)
        };
        received.notify_one();
        match mode {
            Mode::Drop => return Ok(()),
            Mode::Hold => release.acquire().await.unwrap().forget(),
            Mode::Answer | Mode::Unavailable => {}
        }
        let (status, body) = answer;
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            _ => "Service Unavailable",
        };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    }

    async fn read_body(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
        let mut buffer = Vec::new();
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            let mut chunk = [0; 4096];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buffer.extend_from_slice(&chunk[..read]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let mut body = buffer[head_end + 4..].to_vec();
        while body.len() < length {
            let mut chunk = [0; 4096];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..read]);
        }
        Ok(body)
    }
}

use fake::{Mode, TokenServer};
use lumin::clock::Clock as _;
use lumin::oauth::SessionState;

fn app_on(server: &TokenServer, clock: &FixedClock) -> PrivateApp {
    PrivateApp::builder(
        CLIENT_ID,
        ClientSecret::new(CLIENT_SECRET.to_owned()),
        REDIRECT_URI,
    )
    .token_url(&server.url)
    .clock(Arc::new(clock.clone()) as SharedClock)
    .build()
    .expect("valid app")
}

/// A store that says when it saved.
#[derive(Debug, Default)]
struct NotifyingStore {
    inner: MemoryTokenStore,
    saved: tokio::sync::Notify,
}

impl TokenStore for NotifyingStore {
    fn load(&self) -> lumin::auth::BoxFuture<'_, Result<Option<Token>, StoreError>> {
        self.inner.load()
    }

    fn save<'a>(&'a self, token: &'a Token) -> lumin::auth::BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.inner.save(token).await?;
            self.saved.notify_one();
            Ok(())
        })
    }
}

/// Waits for `notify`, failing the test (not hanging it) if it never comes.
async fn within_10s(notify: &tokio::sync::Notify) {
    tokio::time::timeout(Duration::from_secs(10), notify.notified())
        .await
        .expect("notified in time");
}

/// Fault 1: the refresh ran inside the first caller's future; cancelling that caller after
/// the server rotated lost the new refresh token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_caller_does_not_lose_the_rotated_refresh_token() {
    let server = TokenServer::start("rt-1", Mode::Hold).await;
    let clock = clock();
    let app = app_on(&server, &clock);
    let store = Arc::new(NotifyingStore::default());
    let session = app
        .start_session(expired_token(), store.clone())
        .await
        .unwrap();
    within_10s(&store.saved).await; // the start-up save

    let caller = {
        let session = session.clone();
        tokio::spawn(async move { session.access_token().await })
    };
    within_10s(&server.received).await; // the server has rotated rt-1 to rt-2
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(session.state(), SessionState::Refreshing);

    server.release();
    within_10s(&store.saved).await;
    assert_eq!(
        store
            .inner
            .token()
            .unwrap()
            .refresh_token()
            .unwrap()
            .secret(),
        "rt-2"
    );
    assert_eq!(
        session.access_token().await.unwrap().expose_secret(),
        "at-2"
    );
    assert_eq!(server.requests(), 1);
    assert_eq!(session.state(), SessionState::Fresh);
}

/// Fault 1: the server rotated, then the connection broke; the session must say that its
/// refresh token may be spent, not report an ordinary failure.
#[tokio::test]
async fn a_refresh_whose_answer_was_lost_is_reported_as_outcome_unknown() {
    let server = TokenServer::start("rt-1", Mode::Drop).await;
    let clock = clock();
    let app = app_on(&server, &clock);
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();

    let error = session_error(session.access_token().await.unwrap_err());
    let SessionError::RefreshOutcomeUnknown(cause) = &error else {
        panic!("{error:?}");
    };
    assert!(cause.outcome_unknown());
    assert!(error.requires_reauthorization());
    assert!(error.to_string().contains("may be spent"), "{error}");
    assert!(
        matches!(
            session.state(),
            SessionState::BackingOff { failures: 1, .. }
        ),
        "{:?}",
        session.state()
    );

    // After the backoff the session tries its refresh token once more; the server had
    // rotated it, so it is now revoked and the session ends.
    server.set_mode(Mode::Answer);
    clock.advance(lumin::oauth::REFRESH_BACKOFF);
    let error = session_error(session.access_token().await.unwrap_err());
    assert!(error.requires_reauthorization(), "{error:?}");
    assert_eq!(session.state(), SessionState::ReauthorizationRequired);
    assert_eq!(server.requests(), 2);
}

/// Fault 1: the SDK's own timeout fired after the server had rotated.
#[tokio::test]
async fn a_token_request_timeout_after_the_server_acted_is_outcome_unknown() {
    let server = TokenServer::start("rt-1", Mode::Hold).await;
    let clock = clock();
    let app = PrivateApp::builder(
        CLIENT_ID,
        ClientSecret::new(CLIENT_SECRET.to_owned()),
        REDIRECT_URI,
    )
    .token_url(&server.url)
    .clock(Arc::new(clock.clone()) as SharedClock)
    .timeout(Duration::from_millis(200))
    .build()
    .unwrap();
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let error = session_error(session.access_token().await.unwrap_err());
    assert!(
        matches!(&error, SessionError::RefreshOutcomeUnknown(e) if e.outcome_unknown()),
        "{error:?}"
    );
    assert!(error.requires_reauthorization());
    server.release();
}

/// Fault 2: after `invalid_grant` every call started a new refresh with the dead token.
#[tokio::test]
async fn after_invalid_grant_every_call_fails_at_once_without_a_request() {
    let server = TokenServer::start("rt-other", Mode::Answer).await;
    let clock = clock();
    let app = app_on(&server, &clock);
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let first = session_error(session.access_token().await.unwrap_err());
    let SessionError::Refresh(cause) = &first else {
        panic!("{first:?}");
    };
    assert_eq!(cause.oauth_code(), Some(&OAuthErrorCode::InvalidGrant));
    assert!(first.requires_reauthorization());
    assert_eq!(session.state(), SessionState::ReauthorizationRequired);

    clock.advance(Duration::from_secs(24 * 3600));
    for _ in 0..3 {
        let error = session_error(session.access_token().await.unwrap_err());
        assert!(
            matches!(&error, SessionError::Refresh(e) if Arc::ptr_eq(e, cause)),
            "{error:?}"
        );
        let error = session_error(
            session
                .refresh_rejected(&SecretString::from("at-1"))
                .await
                .unwrap_err(),
        );
        assert!(error.requires_reauthorization(), "{error:?}");
    }
    assert_eq!(server.requests(), 1);
}

/// Fault 2: other failures were retried on every call; now they back off, doubling up to
/// a cap, by the injected clock.
#[tokio::test]
async fn other_refresh_failures_back_off_exponentially_up_to_a_cap() {
    let server = TokenServer::start("rt-1", Mode::Unavailable).await;
    let clock = clock();
    let app = app_on(&server, &clock);
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let retry_in = |session: &lumin::oauth::PrivateSession| match session.state() {
        SessionState::BackingOff { retry_at, .. } => {
            Duration::from_millis((retry_at.unix_millis() - clock.now().unix_millis()) as u64)
        }
        other => panic!("{other:?}"),
    };

    let error = session_error(session.access_token().await.unwrap_err());
    assert!(!error.requires_reauthorization(), "{error:?}");
    assert_eq!(server.requests(), 1);
    assert_eq!(retry_in(&session), Duration::from_secs(1));
    // Calls during the backoff fail at once, without a request.
    clock.advance(Duration::from_millis(999));
    for _ in 0..5 {
        assert!(session.access_token().await.is_err());
        assert!(
            session
                .refresh_rejected(&SecretString::from("at-1"))
                .await
                .is_err()
        );
    }
    assert_eq!(server.requests(), 1);

    let mut waits = Vec::new();
    clock.advance(Duration::from_millis(1));
    for attempt in 2..=11 {
        assert!(session.access_token().await.is_err());
        assert_eq!(server.requests(), attempt);
        let wait = retry_in(&session);
        waits.push(wait.as_secs());
        clock.advance(wait);
    }
    assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);

    server.set_mode(Mode::Answer);
    assert_eq!(
        session.access_token().await.unwrap().expose_secret(),
        "at-2"
    );
    assert_eq!(session.state(), SessionState::Fresh);
}

/// Fault 2: a refresh ahead of expiry that fails does not take away the token in hand.
#[tokio::test]
async fn a_token_that_still_works_is_used_while_backing_off() {
    let server = TokenServer::start("rt-1", Mode::Unavailable).await;
    let clock = clock();
    let app = app_on(&server, &clock);
    // Expires in 20 s: within the 30 s skew.
    let token = Token::new(
        AccessToken::new("at-1".into()),
        Some(Timestamp::from_unix_millis(NOW_MS + 20_000)),
    )
    .with_refresh_token(RefreshToken::new("rt-1".into()));
    let session = app
        .start_session(token, Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            session.access_token().await.unwrap().expose_secret(),
            "at-1"
        );
    }
    assert_eq!(server.requests(), 1);
    clock.advance(Duration::from_secs(20));
    let error = session_error(session.access_token().await.unwrap_err());
    assert!(matches!(error, SessionError::Refresh(_)), "{error:?}");
}

/// Fault 3: the redirect URI was parsed and re-serialized before it was sent.
#[tokio::test]
async fn the_redirect_uri_goes_on_the_wire_as_written() {
    let server = MockServer::start_async().await;
    for raw in [
        "https://app.example.com",
        "https://App.Example.com/cb",
        "https://app.example.com:443/cb",
        "https://app.example.com/a/../cb?x=%7e",
        "myapp://Callback",
    ] {
        let app = PrivateApp::builder(CLIENT_ID, ClientSecret::new("s".into()), raw)
            .auth_url(server.url("/oauth2/auth"))
            .token_url(server.url("/oauth2/token"))
            .build()
            .unwrap();
        assert_eq!(app.redirect_uri().as_str(), raw);
        let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
        assert_eq!(query(&request.url)["redirect_uri"], raw);
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/oauth2/token")
                    .form_urlencoded_tuple("redirect_uri", raw);
                then.status(200)
                    .json_body(json!({"access_token": "at", "token_type": "bearer"}));
            })
            .await;
        let code = lumin::oauth::AuthorizationCode::new("c".into());
        app.exchange_code(request.pending, code)
            .await
            .unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        mock.assert_calls_async(1).await;
        mock.delete_async().await;
    }
}

/// Fault 4: each rule is checked on the parsed URL, so encoded variants do not pass.
#[test]
fn redirect_uri_rules_hold_for_encoded_variants() {
    let cases = [
        (
            "https://%2A.example.com/callback",
            RedirectUriRule::NoWildcards,
        ),
        (
            "https://\u{FF0A}.example.com/callback",
            RedirectUriRule::NoWildcards,
        ),
        ("https://app.example.com/%2A", RedirectUriRule::NoWildcards),
        (
            "https://app.example.com/%EF%BC%8A",
            RedirectUriRule::NoWildcards,
        ),
        ("myapp://%2A/callback", RedirectUriRule::NoWildcards),
        (
            "https://0x7f.0.0.1/callback",
            RedirectUriRule::NoIpAddresses,
        ),
        (
            "https://2130706433/callback",
            RedirectUriRule::NoIpAddresses,
        ),
        (
            "https://%31%32%37.0.0.1/callback",
            RedirectUriRule::NoIpAddresses,
        ),
        (
            "https://[0:0:0:0:0:0:0:1]/callback",
            RedirectUriRule::NoIpAddresses,
        ),
        (
            "myapp://%31%30.0.0.1/callback",
            RedirectUriRule::NoIpAddresses,
        ),
        (
            "myapp://0x0a000001/callback",
            RedirectUriRule::NoIpAddresses,
        ),
        (
            "HTTP://app.example.com/callback",
            RedirectUriRule::HttpsOrAppScheme,
        ),
        ("JavaScript:alert(1)", RedirectUriRule::HttpsOrAppScheme),
        ("%2F%2Fapp.example.com/callback", RedirectUriRule::Absolute),
        ("\\\\app.example.com\\callback", RedirectUriRule::Absolute),
        (
            "https://app.example.com/callback#",
            RedirectUriRule::NoFragment,
        ),
        (
            "https://app.example.com/cb?x=%23#%20",
            RedirectUriRule::NoFragment,
        ),
        (
            " https://app.example.com/callback",
            RedirectUriRule::WellFormed,
        ),
        (
            "https://app.example.com/call\tback",
            RedirectUriRule::WellFormed,
        ),
        (
            "https:app.example.com/callback",
            RedirectUriRule::WellFormed,
        ),
    ];
    for (uri, rule) in cases {
        let error = RedirectUri::new(uri).expect_err(uri);
        assert_eq!(error.rule(), rule, "{uri}");
    }
    // Encoded characters that are not wildcards stay allowed.
    for ok in [
        "https://app.example.com/call%20back",
        "https://app.example.com/cb?x=%23",
        "HTTPS://app.example.com/callback",
    ] {
        assert!(RedirectUri::new(ok).is_ok(), "{ok}");
    }
}

/// Fault 5: a forged error redirect was believed without a state check.
#[test]
fn an_error_redirect_is_believed_only_with_the_right_state() {
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let pending = &request.pending;
    let state = pending.state().secret();
    assert_eq!(
        app.callback(
            pending,
            &format!("{REDIRECT_URI}?error=access_denied&state=forged")
        )
        .unwrap_err(),
        CallbackError::StateMismatch
    );
    assert_eq!(
        app.callback(pending, &format!("{REDIRECT_URI}?error=access_denied"))
            .unwrap_err(),
        CallbackError::MissingState
    );
    assert!(matches!(
        app.callback(
            pending,
            &format!("{REDIRECT_URI}?error=access_denied&state={state}")
        )
        .unwrap_err(),
        CallbackError::Authorization {
            code: OAuthErrorCode::AccessDenied,
            ..
        }
    ));
}

/// Fault 8: RFC 9207 `iss` on the callback was ignored.
#[test]
fn a_callback_iss_must_be_the_configured_issuer() {
    let server = MockServer::start();
    let app = PrivateApp::builder(CLIENT_ID, ClientSecret::new("s".into()), REDIRECT_URI)
        .issuer("https://auth.luminpdf.com")
        .build()
        .unwrap();
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let state = request.pending.state().secret();
    let error = app
        .callback(
            &request.pending,
            &format!("{REDIRECT_URI}?code=c&state={state}&iss=https%3A%2F%2Fevil.example"),
        )
        .unwrap_err();
    assert_eq!(
        error,
        CallbackError::IssuerMismatch {
            received: "https://evil.example".into()
        }
    );
    let code = app
        .callback(
            &request.pending,
            &format!("{REDIRECT_URI}?code=c&state={state}&iss=https%3A%2F%2Fauth.luminpdf.com"),
        )
        .unwrap();
    assert_eq!(code.secret(), "c");
    // Without `iss` (Lumin does not document sending it) the code is accepted.
    assert!(
        app.callback(
            &request.pending,
            &format!("{REDIRECT_URI}?code=c&state={state}")
        )
        .is_ok()
    );
    // The default issuer is the origin of the authorization endpoint.
    let local = private_app(&server, &clock());
    let request = local.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let state = request.pending.state().secret();
    let iss = server.base_url();
    let url = format!("{REDIRECT_URI}?code=c&state={state}&iss={iss}");
    assert!(local.callback(&request.pending, &url).is_ok(), "{url}");
}

/// Fault 7: `prompt` could not be sent.
#[test]
fn prompt_can_be_set_on_the_authorize_url() {
    use lumin::oauth::{AuthorizeOptions, Prompt};
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let scopes = Scopes::from([Scope::OpenId, Scope::OfflineAccess]);
    let options = AuthorizeOptions::new()
        .prompt(Prompt::Consent)
        .prompt(Prompt::Login);
    let request = app.authorize_url_with(&scopes, &options).unwrap();
    assert_eq!(query(&request.url)["prompt"], "consent login");
    let public = public_app(&server, &clock());
    let request = public
        .authorize_url_with(&Scopes::from([Scope::OpenId]), &options)
        .unwrap();
    assert_eq!(query(&request.url)["prompt"], "consent login");
}

/// Fault 8: private apps could not use PKCE; now on by default, and can be turned off.
#[test]
fn private_apps_use_pkce_unless_turned_off() {
    let app = PrivateApp::builder(CLIENT_ID, ClientSecret::new("s".into()), REDIRECT_URI)
        .pkce(false)
        .build()
        .unwrap();
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    assert!(!query(&request.url).contains_key("code_challenge"));
    assert!(request.pending.pkce_verifier().is_none());
}

/// Fault 8: a refresh skew longer than the token's lifetime made every call refresh.
#[tokio::test]
async fn the_refresh_skew_never_exceeds_half_the_lifetime() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let app = PrivateApp::builder(
        CLIENT_ID,
        ClientSecret::new(CLIENT_SECRET.to_owned()),
        REDIRECT_URI,
    )
    .token_url(server.url("/oauth2/token"))
    .clock(Arc::new(clock.clone()) as SharedClock)
    .refresh_skew(Duration::from_secs(600))
    .build()
    .unwrap();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200).json_body(json!({
                "access_token": "at-2", "refresh_token": "rt-2", "expires_in": 300,
                "token_type": "bearer"
            }));
        })
        .await;
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    assert_eq!(
        session.access_token().await.unwrap().expose_secret(),
        "at-2"
    );
    // A 300 s token with a 600 s skew: refreshed half-way, not on every call.
    for _ in 0..5 {
        session.access_token().await.unwrap();
    }
    mock.assert_calls_async(1).await;
    clock.advance(Duration::from_secs(149));
    session.access_token().await.unwrap();
    mock.assert_calls_async(1).await;
    clock.advance(Duration::from_secs(1));
    session.access_token().await.unwrap();
    mock.assert_calls_async(2).await;
}

/// Fault 8: `AuthorizationRequest`'s `Debug` printed the URL with state and nonce.
#[test]
fn authorization_request_debug_hides_state_nonce_and_challenge() {
    let server = MockServer::start();
    let app = private_app(&server, &clock());
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let params = query(&request.url);
    let debug = format!("{request:?}");
    for name in ["state", "nonce", "code_challenge"] {
        assert!(!debug.contains(params[name].as_str()), "{name}: {debug}");
    }
    assert!(debug.contains("client_id=client-1"), "{debug}");
}

/// Fault 8: a malformed token response with its tokens below the top level was printed.
#[tokio::test]
async fn nested_tokens_of_a_malformed_response_are_redacted() {
    for body in [
        r#"{"data":{"access_token":"at-secret","refresh_token":"rt-secret"},"token_type":"bearer"}"#,
        r#"[{"access_token":"at-secret","id_token":"rt-secret"}]"#,
        r#"{"result":{"accessToken":"at-secret"},"list":["rt-secret"]}"#,
    ] {
        let error = exchange_answered(200, "application/json", body)
            .await
            .unwrap_err();
        assert!(matches!(error, TokenError::Malformed { .. }), "{error:?}");
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("at-secret") && !shown.contains("rt-secret"),
            "{shown}"
        );
    }
    // The OAuth error members stay readable.
    let error = exchange_answered(
        502,
        "application/json",
        r#"{"message":"at-secret","error_description":"upstream down"}"#,
    )
    .await
    .unwrap_err();
    let shown = format!("{error:?}");
    assert!(
        shown.contains("upstream down") && !shown.contains("at-secret"),
        "{shown}"
    );
}

/// Each error's `Display` describes its own layer; the cause is only its `source`.
#[tokio::test]
async fn session_errors_keep_their_cause_in_source_only() {
    use std::error::Error as _;
    let server = TokenServer::start("rt-other", Mode::Answer).await;
    let app = app_on(&server, &clock());
    let session = app
        .start_session(expired_token(), Arc::new(MemoryTokenStore::new()))
        .await
        .unwrap();
    let error = session_error(session.access_token().await.unwrap_err());
    let source = error.source().expect("the token error");
    assert!(source.to_string().contains("invalid_grant"));
    assert!(!error.to_string().contains("invalid_grant"), "{error}");
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("rt-1") && !shown.contains("at-1"),
        "{shown}"
    );
}

// ---- ID tokens (fault 6) -----------------------------------------------------------------

/// An ES256 signing key made for the test, with its public half as a JWK.
struct SigningKey {
    encoding: jsonwebtoken::EncodingKey,
    jwk: serde_json::Value,
}

fn signing_key(kid: &str) -> SigningKey {
    use base64::Engine as _;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref(); // 0x04 || x || y
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    SigningKey {
        encoding: jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        }),
    }
}

fn sign(key: &SigningKey, kid: &str, claims: &serde_json::Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// Exchanges a code (scope `openid`) against a server that publishes `published` as its
/// JWKS and answers with an ID token made by `make` from the good claims.
async fn exchange_with_id_token(
    make: impl FnOnce(&SigningKey, serde_json::Value) -> String,
) -> Result<Token, TokenError> {
    let server = MockServer::start_async().await;
    let app = private_app(&server, &clock());
    let key = signing_key("k1");
    let request = app.authorize_url(&Scopes::from([Scope::OpenId])).unwrap();
    let claims = json!({
        "iss": server.base_url(),
        "sub": "user-1",
        "aud": CLIENT_ID,
        "exp": NOW_MS / 1000 + 3600,
        "iat": NOW_MS / 1000,
        "nonce": request.pending.nonce().secret(),
        "email": "you@example.com",
    });
    let id_token = make(&key, claims);
    server
        .mock_async(|when, then| {
            when.method("GET").path("/.well-known/jwks.json");
            then.status(200).json_body(json!({ "keys": [key.jwk] }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200).json_body(json!({
                "access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600,
                "token_type": "bearer", "scope": "openid offline_access",
                "id_token": id_token,
            }));
        })
        .await;
    let code = lumin::oauth::AuthorizationCode::new("the-code".into());
    app.exchange_code(request.pending, code).await
}

fn id_token_error(result: Result<Token, TokenError>) -> lumin::oauth::IdTokenError {
    match result {
        Err(TokenError::IdToken(e)) => e,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_valid_id_token_is_kept_with_its_claims() {
    let mut jwt = String::new();
    let token = exchange_with_id_token(|key, claims| {
        jwt = sign(key, "k1", &claims);
        jwt.clone()
    })
    .await
    .unwrap();
    let id_token = token.id_token().expect("kept");
    assert_eq!(id_token.secret(), jwt);
    let claims = id_token.claims().unwrap();
    assert_eq!(claims.sub, "user-1");
    assert_eq!(claims.aud, [CLIENT_ID]);
    assert_eq!(claims.email.as_deref(), Some("you@example.com"));
    let debug = format!("{token:?} {id_token:?} {claims:?}");
    assert!(!debug.contains(&jwt), "{debug}");
    // Kept by a token store.
    let stored: Token = serde_json::from_str(&serde_json::to_string(&token).unwrap()).unwrap();
    assert_eq!(stored.id_token().unwrap().secret(), jwt);
}

#[tokio::test]
async fn id_tokens_with_a_wrong_nonce_audience_issuer_or_expiry_are_rejected() {
    use lumin::oauth::IdTokenError;
    let changed = |field: &'static str, value: serde_json::Value| {
        move |key: &SigningKey, mut claims: serde_json::Value| {
            claims[field] = value;
            sign(key, "k1", &claims)
        }
    };
    let error = id_token_error(exchange_with_id_token(changed("nonce", json!("other"))).await);
    assert!(matches!(error, IdTokenError::NonceMismatch), "{error:?}");
    let error = id_token_error(
        exchange_with_id_token(|key, mut claims| {
            claims.as_object_mut().unwrap().remove("nonce");
            sign(key, "k1", &claims)
        })
        .await,
    );
    assert!(matches!(error, IdTokenError::NonceMismatch), "{error:?}");
    let error = id_token_error(exchange_with_id_token(changed("aud", json!("other-client"))).await);
    assert!(matches!(error, IdTokenError::WrongAudience), "{error:?}");
    let error = id_token_error(
        exchange_with_id_token(changed("aud", json!([CLIENT_ID, "other-client"]))).await,
    );
    assert!(matches!(error, IdTokenError::WrongAudience), "{error:?}");
    let error =
        id_token_error(exchange_with_id_token(changed("iss", json!("https://evil.example"))).await);
    assert!(matches!(error, IdTokenError::WrongIssuer), "{error:?}");
    // Expired two minutes ago by the injected clock (beyond the one-minute leeway).
    let error =
        id_token_error(exchange_with_id_token(changed("exp", json!(NOW_MS / 1000 - 120))).await);
    assert!(matches!(error, IdTokenError::Expired), "{error:?}");
}

#[tokio::test]
async fn id_tokens_with_a_bad_signature_or_a_symmetric_algorithm_are_rejected() {
    use lumin::oauth::IdTokenError;
    // Signed by another key under the published key's id.
    let error = id_token_error(
        exchange_with_id_token(|_, claims| sign(&signing_key("k1"), "k1", &claims)).await,
    );
    assert!(matches!(error, IdTokenError::BadSignature), "{error:?}");
    // A valid token whose payload was swapped.
    let error = id_token_error(
        exchange_with_id_token(|key, claims| {
            let good = sign(key, "k1", &claims);
            let mut other = claims.clone();
            other["sub"] = json!("admin");
            let forged = sign(&signing_key("k1"), "k1", &other);
            let parts: Vec<&str> = good.split('.').collect();
            let forged_payload = forged.split('.').nth(1).unwrap();
            format!("{}.{}.{}", parts[0], forged_payload, parts[2])
        })
        .await,
    );
    assert!(matches!(error, IdTokenError::BadSignature), "{error:?}");
    // A key id the issuer does not publish.
    let error =
        id_token_error(exchange_with_id_token(|key, claims| sign(key, "k2", &claims)).await);
    assert!(matches!(error, IdTokenError::NoMatchingKey), "{error:?}");
    // HS256 with some secret: never accepted for ID tokens.
    let error = id_token_error(
        exchange_with_id_token(|_, claims| {
            jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(b"guess"),
            )
            .unwrap()
        })
        .await,
    );
    assert!(
        matches!(error, IdTokenError::UnacceptedAlgorithm(_)),
        "{error:?}"
    );
}

#[test]
fn empty_client_secrets_and_ids_are_refused_when_the_app_is_built() {
    for secret in ["", "   "] {
        let error = PrivateApp::builder(
            CLIENT_ID,
            ClientSecret::new(secret.to_owned()),
            REDIRECT_URI,
        )
        .build()
        .unwrap_err();
        assert!(matches!(error, ConfigError::EmptyClientSecret), "{error:?}");
        assert_eq!(error.to_string(), "the client secret is empty");
    }
    let error = PublicApp::builder(" ", "myapp://callback")
        .build()
        .unwrap_err();
    assert!(matches!(error, ConfigError::EmptyClientId), "{error:?}");
}

#[test]
fn oauth_endpoints_must_be_https_except_on_loopback() {
    use lumin::endpoint::UrlError;
    let secret = || ClientSecret::new(CLIENT_SECRET.to_owned());
    // Plain http elsewhere than loopback: refused for each endpoint, naming it.
    for (endpoint, builder) in [
        (
            "authorization",
            PrivateApp::builder(CLIENT_ID, secret(), REDIRECT_URI)
                .auth_url("http://auth.example/authorize"),
        ),
        (
            "token",
            PrivateApp::builder(CLIENT_ID, secret(), REDIRECT_URI)
                .token_url("http://auth.example/token"),
        ),
        (
            "JWKS",
            PrivateApp::builder(CLIENT_ID, secret(), REDIRECT_URI)
                .jwks_url("http://auth.example/jwks"),
        ),
        (
            "JWKS",
            // The JWKS URL derived from an http issuer.
            PrivateApp::builder(CLIENT_ID, secret(), REDIRECT_URI).issuer("http://auth.example"),
        ),
    ] {
        let error = builder.build().unwrap_err();
        assert!(
            matches!(
                &error,
                ConfigError::EndpointRejected { endpoint: e, reason: UrlError::InsecureHttp { host }, .. }
                    if *e == endpoint && host == "auth.example"
            ),
            "{endpoint}: {error:?}"
        );
    }
    // The explicit opt-in allows it.
    assert!(
        PrivateApp::builder(CLIENT_ID, secret(), REDIRECT_URI)
            .auth_url("http://auth.example/authorize")
            .token_url("http://auth.example/token")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    // Loopback needs no opt-in; a query is allowed on an OAuth endpoint, a fragment is not.
    assert!(
        PublicApp::builder(CLIENT_ID, "myapp://callback")
            .auth_url("http://127.0.0.1:9/authorize?tenant=a")
            .token_url("http://localhost:9/token")
            .build()
            .is_ok()
    );
    let error = PublicApp::builder(CLIENT_ID, "myapp://callback")
        .token_url("https://auth.example/token#x")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ConfigError::EndpointRejected {
                endpoint: "token",
                reason: UrlError::Fragment,
                ..
            }
        ),
        "{error:?}"
    );
}
