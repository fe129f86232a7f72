//! A private app's session that survives a restart: the token (with its single-use
//! refresh token) lives in a `FileTokenStore`, and a new process resumes from the file.
//!
//! ```text
//! cargo run --example resume_session
//! ```
//!
//! The example runs offline: a local stand-in of Lumin's token endpoint on 127.0.0.1
//! rotates refresh tokens (`rt-1` → `rt-2` → `rt-3`, each usable once), and a fixed clock
//! is moved forward so that tokens expire without waiting. "Run 1" starts a session from a
//! freshly authorized token and refreshes it once; everything it held in memory is then
//! dropped, and "run 2" builds a new app and store that know only the file's path,
//! resumes, and refreshes with the refresh token run 1 saved. The token file is written
//! under `target/tmp/` (set `LUMIN_TOKEN_FILE` to choose another path) and removed at the
//! end. Token values are never printed.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use httpmock::Method::POST;
use httpmock::MockServer;
use lumin::auth::TokenSource as _;
use lumin::clock::{Clock as _, FixedClock, SharedClock};
use lumin::oauth::{
    AccessToken, ClientSecret, FileTokenStore, PrivateApp, RefreshToken, Token, TokenStore,
};

type BoxError = Box<dyn Error + Send + Sync>;

/// DEMO ONLY: the stand-in's client credentials.
const CLIENT_ID: &str = "demo-client";
const CLIENT_SECRET: &str = "demo-secret-not-real";

fn app(server: &MockServer, clock: &FixedClock) -> Result<PrivateApp, BoxError> {
    Ok(PrivateApp::builder(
        CLIENT_ID,
        ClientSecret::new(CLIENT_SECRET.to_owned()),
        "https://app.example.com/callback",
    )
    .token_url(server.url("/oauth2/token"))
    .clock(Arc::new(clock.clone()) as SharedClock)
    .build()?)
}

/// The stand-in token endpoint: `rt-N` is exchanged once for `at-(N+1)` and `rt-(N+1)`.
fn rotate<'a>(server: &'a MockServer, from: u32) -> httpmock::Mock<'a> {
    server.mock(|when, then| {
        when.method(POST)
            .path("/oauth2/token")
            .body_includes("grant_type=refresh_token")
            .body_includes(format!("refresh_token=rt-{from}&"));
        then.status(200).json_body(serde_json::json!({
            "access_token": format!("at-{}", from + 1),
            "refresh_token": format!("rt-{}", from + 1),
            "expires_in": 3600,
            "token_type": "bearer"
        }));
    })
}

fn token_file() -> Result<PathBuf, BoxError> {
    if let Some(path) = std::env::var_os("LUMIN_TOKEN_FILE") {
        return Ok(PathBuf::from(path));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/resume_session");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join("lumin-token.json"))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let server = MockServer::start_async().await;
    let first = rotate(&server, 1);
    let second = rotate(&server, 2);
    let clock = FixedClock::at_unix_millis(1_767_225_600_000);
    let path = token_file()?;
    let _ = std::fs::remove_file(&path);

    // Run 1: the user just authorized the app (as in `examples/oauth.rs`).
    {
        let app = app(&server, &clock)?;
        let store = Arc::new(FileTokenStore::new(&path));
        let authorized = Token::new(
            AccessToken::new("at-1".to_owned()),
            Some(clock.now() + Duration::from_secs(3600)),
        )
        .with_refresh_token(RefreshToken::new("rt-1".to_owned()));
        let session = app.start_session(authorized, store).await?;
        clock.advance(Duration::from_secs(2 * 3600));
        session.access_token().await?;
        println!(
            "run 1: the access token expired and was refreshed; the rotated refresh token is saved"
        );
        print_file(&path)?;
    }
    first.assert();

    // Run 2, after a restart: only the file's path is known.
    clock.advance(Duration::from_secs(2 * 3600));
    {
        let app = app(&server, &clock)?;
        let store = Arc::new(FileTokenStore::new(&path));
        let session = app.resume_session(store.clone()).await?;
        session.access_token().await?;
        println!("run 2: resumed from the file and refreshed with the refresh token run 1 saved");
        let saved = store.load().await?.ok_or("the file holds no token")?;
        let rotated = saved.refresh_token().map(|t| t.secret().as_str()) == Some("rt-3");
        println!("run 2: the file holds the refresh token of the second rotation: {rotated}");
        if !rotated {
            return Err("the second rotation was not saved".into());
        }
    }
    second.assert();
    std::fs::remove_file(&path)?;
    Ok(())
}

/// Says where the token is kept and who may read it, without its content.
fn print_file(path: &Path) -> Result<(), BoxError> {
    let metadata = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        println!(
            "       {} ({} bytes, mode {:o})",
            path.display(),
            metadata.len(),
            metadata.permissions().mode() & 0o777
        );
    }
    #[cfg(not(unix))]
    println!("       {} ({} bytes)", path.display(), metadata.len());
    Ok(())
}
