//! A private app's OAuth 2.0 flow: print the authorization URL, receive the redirect on a
//! callback listener on 127.0.0.1, exchange the code, then call `GET /user/info` with a
//! session that refreshes the token as needed.
//!
//! ```text
//! cargo run --example oauth
//! ```
//!
//! Without `LUMIN_CLIENT_ID` the example runs with no account: it starts a local stand-in
//! of Lumin's authorization server and API on 127.0.0.1, plays the user's browser itself
//! (opens the authorization URL, follows the redirect to the callback listener), and exits.
//!
//! With an account, set `LUMIN_CLIENT_ID`, `LUMIN_CLIENT_SECRET` and `LUMIN_REDIRECT_URI`.
//! Lumin accepts only `https://` (or app-scheme) redirect URIs, so register an https URI
//! that forwards to the listener (a TLS proxy or tunnel in front of
//! `LUMIN_CALLBACK_ADDR`, default `127.0.0.1:8765`), open the printed URL in a browser and
//! approve.

use std::error::Error;
use std::sync::Arc;

use lumin::auth::Credentials;
use lumin::oauth::{ClientSecret, MemoryTokenStore, PrivateApp, Scope, Scopes, SessionError};
use lumin::reqwest::Url;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let Ok(client_id) = std::env::var("LUMIN_CLIENT_ID") else {
        return run_with_stand_in().await;
    };
    let secret = std::env::var("LUMIN_CLIENT_SECRET").map_err(|_| "set LUMIN_CLIENT_SECRET")?;
    let redirect_uri = std::env::var("LUMIN_REDIRECT_URI").map_err(|_| "set LUMIN_REDIRECT_URI")?;
    let addr = std::env::var("LUMIN_CALLBACK_ADDR").unwrap_or_else(|_| "127.0.0.1:8765".into());
    let app = PrivateApp::builder(client_id, ClientSecret::new(secret), redirect_uri).build()?;
    let listener = TcpListener::bind(&addr).await?;
    println!("Waiting for the redirect on http://{addr}/callback");
    run(&app, listener, lumin::client::DEFAULT_BASE_URL, |_| {}).await
}

/// Runs the flow against a local stand-in of Lumin, driving the browser's part too.
async fn run_with_stand_in() -> Result<(), BoxError> {
    let stand_in = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", stand_in.local_addr()?);
    tokio::spawn(stand_in::serve(stand_in));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let callback_addr = listener.local_addr()?;
    println!("No LUMIN_CLIENT_ID: using a local stand-in of Lumin at {base}");

    let app = PrivateApp::builder(
        stand_in::CLIENT_ID,
        ClientSecret::new(stand_in::CLIENT_SECRET.into()),
        // An https URI, as Lumin requires; the stand-in browser below delivers it to the
        // plain-HTTP listener, as a TLS proxy in front of the listener would.
        format!("https://localhost:{}/callback", callback_addr.port()),
    )
    .auth_url(format!("{base}/oauth2/auth"))
    .token_url(format!("{base}/oauth2/token"))
    .build()?;
    let browser = move |url: Url| {
        tokio::spawn(async move {
            if let Err(e) = stand_in::browse(url, callback_addr).await {
                eprintln!("the stand-in browser failed: {e}");
            }
        });
    };
    run(&app, listener, &format!("{base}/v1"), browser).await
}

/// The flow: authorization URL, callback, code exchange, an API call.
async fn run(
    app: &PrivateApp,
    listener: TcpListener,
    api_base_url: &str,
    open_browser: impl FnOnce(Url),
) -> Result<(), BoxError> {
    let scopes = Scopes::from([Scope::OpenId, Scope::OfflineAccess, Scope::ProfileRead]);
    let request = app.authorize_url(&scopes)?;
    println!("Open this URL to authorize the app:\n\n  {}\n", request.url);
    open_browser(request.url.clone());

    // Keep `request.pending` (in a real web app: in the user's session) until the redirect.
    let redirected_to = receive_callback(&listener).await?;
    let code = app.callback(&request.pending, &redirected_to)?;
    let token = app.exchange_code(request.pending, code).await?;
    println!(
        "Got an access token, expiring at {}",
        token
            .expires_at()
            .map_or("(not said)".into(), |t| t.to_string())
    );

    // The session saves every rotated refresh token to the store before using it; use a
    // store that outlives the process in a real app.
    // A private session needs the refresh token that `offline_access` brings; the user may
    // have declined it. Authorize again with `Prompt::Consent` to ask once more.
    let session = match app
        .start_session(token, Arc::new(MemoryTokenStore::new()))
        .await
    {
        Err(SessionError::ScopeNotGranted { scope }) => {
            return Err(format!("`{scope}` was not granted: authorize again to ask for it").into());
        }
        other => other?,
    };
    let client = lumin::ClientBuilder::new()
        .base_url(api_base_url)
        .credentials(Credentials::TokenSource(Arc::new(session)))
        .build()?;
    let user = client.get_user_information().await?;
    println!("Signed in as {} <{}>", user.user.name, user.user.email);
    Ok(())
}

/// Waits for `GET /callback?...` and returns its path and query.
async fn receive_callback(listener: &TcpListener) -> Result<String, BoxError> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let request = http1::read_request(&mut stream).await?;
        if request.method == "GET" && request.target.starts_with("/callback?") {
            http1::respond(
                &mut stream,
                "200 OK",
                &[],
                "Signed in. You can close this window.",
            )
            .await?;
            return Ok(request.target);
        }
        http1::respond(&mut stream, "404 Not Found", &[], "").await?;
    }
}

/// Just enough HTTP/1.1 for the callback listener and the stand-in (one request per
/// connection).
mod http1 {
    use super::*;

    pub struct Request {
        pub method: String,
        pub target: String,
        pub headers: Vec<(String, String)>,
        pub body: Vec<u8>,
    }

    impl Request {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
    }

    pub async fn read_request(stream: &mut TcpStream) -> Result<Request, BoxError> {
        let mut buffer = Vec::new();
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            if buffer.len() > 64 * 1024 {
                return Err("request head too large".into());
            }
            let mut chunk = [0; 4096];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Err("connection closed mid-request".into());
            }
            buffer.extend_from_slice(&chunk[..read]);
        };
        let head = std::str::from_utf8(&buffer[..head_end])?.to_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut request = Request {
            method,
            target,
            headers,
            body: buffer[head_end + 4..].to_vec(),
        };
        let length: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while request.body.len() < length {
            let mut chunk = [0; 4096];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                break;
            }
            request.body.extend_from_slice(&chunk[..read]);
        }
        Ok(request)
    }

    pub async fn respond(
        stream: &mut TcpStream,
        status: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<(), BoxError> {
        let mut response = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(body);
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        Ok(())
    }
}

/// A stand-in for Lumin's authorization server and API, and for the user's browser.
mod stand_in {
    use std::collections::HashMap;
    use std::net::SocketAddr;

    use serde_json::json;

    use super::*;

    pub const CLIENT_ID: &str = "stand-in-client";
    pub const CLIENT_SECRET: &str = "stand-in-secret";
    const CODE: &str = "stand-in-code";
    const ACCESS_TOKEN: &str = "stand-in-access-token";
    const JSON: (&str, &str) = ("Content-Type", "application/json");

    pub async fn serve(listener: TcpListener) {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(request) = http1::read_request(&mut stream).await {
                    let _ = handle(&mut stream, request).await;
                }
            });
        }
    }

    async fn handle(stream: &mut TcpStream, request: http1::Request) -> Result<(), BoxError> {
        let url = Url::parse(&format!("http://stand-in{}", request.target))?;
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        match (request.method.as_str(), url.path()) {
            // The user approves at once: back to the redirect URI with a code.
            ("GET", "/oauth2/auth") => {
                let mut to = Url::parse(&query["redirect_uri"])?;
                to.query_pairs_mut()
                    .append_pair("code", CODE)
                    .append_pair("state", &query["state"]);
                http1::respond(stream, "302 Found", &[("Location", to.as_str())], "").await
            }
            ("POST", "/oauth2/token") => {
                let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
                    .into_owned()
                    .collect();
                let field = |name: &str| form.get(name).map(String::as_str);
                let client_ok = field("client_id") == Some(CLIENT_ID)
                    && field("client_secret") == Some(CLIENT_SECRET);
                let grant_ok = match field("grant_type") {
                    Some("authorization_code") => field("code") == Some(CODE),
                    Some("refresh_token") => field("refresh_token").is_some(),
                    _ => false,
                };
                if !(client_ok && grant_ok) {
                    let body = json!({"error": "invalid_grant", "error_description": "stand-in"});
                    return http1::respond(stream, "400 Bad Request", &[JSON], &body.to_string())
                        .await;
                }
                let body = json!({
                    "access_token": ACCESS_TOKEN,
                    "expires_in": 3600,
                    "refresh_token": "stand-in-refresh-token",
                    "token_type": "bearer",
                    "scope": "openid offline_access profile.read"
                });
                http1::respond(stream, "200 OK", &[JSON], &body.to_string()).await
            }
            ("GET", "/v1/user/info") => {
                if request.header("authorization") != Some(&format!("Bearer {ACCESS_TOKEN}")) {
                    let body = json!({"error_code": "unauthorized", "error_message": "stand-in"});
                    return http1::respond(stream, "401 Unauthorized", &[JSON], &body.to_string())
                        .await;
                }
                let body = json!({
                    "user": {"id": "usr_a1b2c3d4", "email": "you@example.com", "name": "Your Name"}
                });
                http1::respond(stream, "200 OK", &[JSON], &body.to_string()).await
            }
            _ => http1::respond(stream, "404 Not Found", &[], "").await,
        }
    }

    /// What the user's browser does: open the authorization URL, then follow the redirect,
    /// whose path and query it delivers to the callback listener at `callback`.
    pub async fn browse(authorize: Url, callback: SocketAddr) -> Result<(), BoxError> {
        // The crate's TLS setup: with `rustls-ring`, reqwest has no process-wide provider.
        let browser = lumin::client::http_builder()?
            .redirect(lumin::reqwest::redirect::Policy::none())
            .build()?;
        let response = browser.get(authorize).send().await?;
        let location = response
            .headers()
            .get("location")
            .ok_or("the authorization server did not redirect")?
            .to_str()?;
        let redirect = Url::parse(location)?;
        let target = match redirect.query() {
            Some(query) => format!("{}?{query}", redirect.path()),
            None => redirect.path().to_owned(),
        };
        browser
            .get(format!("http://{callback}{target}"))
            .send()
            .await?;
        Ok(())
    }
}
