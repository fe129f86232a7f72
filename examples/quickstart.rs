//! The signing flow end to end: who am I, send a signature request, wait until Lumin
//! has processed it, open an embedded signing session, fetch the file.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Without `LUMIN_API_KEY` the example starts a local stand-in of the Lumin API on
//! 127.0.0.1 that answers with the documented example payloads, so it runs with no
//! account. With `LUMIN_API_KEY` set it talks to the real API and only reads (user and
//! templates) unless `LUMIN_SEND_TO` (a signer email) and `LUMIN_FILE_URL` (a PDF URL)
//! are set too, in which case it really sends a signature request.

use std::error::Error;
use std::time::Duration;

use lumin::expiry::{DueDate, Expiring, SigningSessionExpiry};
use lumin::limits::{Page, PageLimit};
use lumin::types::{self, SignatureRequestStatus};
use lumin::{Client, ClientBuilder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    match std::env::var("LUMIN_API_KEY") {
        Ok(key) => {
            let client = ClientBuilder::new().api_key(key).build()?;
            let send_to = std::env::var("LUMIN_SEND_TO").ok();
            let file_url = std::env::var("LUMIN_FILE_URL").ok();
            match (send_to, file_url) {
                (Some(signer), Some(file_url)) => signing_flow(&client, &signer, &file_url).await,
                _ => read_only(&client).await,
            }
        }
        Err(_) => {
            let stand_in = stand_in::start().await;
            println!(
                "No LUMIN_API_KEY: using a local stand-in of the Lumin API at {}",
                stand_in.url()
            );
            let client = ClientBuilder::new()
                .base_url(stand_in.url())
                .api_key("stand-in-key")
                .build()?;
            signing_flow(&client, "signer1@example.com", stand_in::FILE_URL).await
        }
    }
}

/// Reads only: the user and the first page of templates.
async fn read_only(client: &Client) -> Result<(), Box<dyn Error>> {
    let user = client.get_user_information().await?;
    println!("Signed in as {} <{}>", user.user.name, user.user.email);
    let templates = client
        .list_templates()
        .page(Page::FIRST)
        .limit(PageLimit::Ten)
        .await?;
    let count = templates.total_count.map(|c| c.get()).unwrap_or_default();
    println!("{count} templates; first page:");
    for template in &templates.data {
        println!(
            "  {} {}",
            template.template_id.as_deref().unwrap_or("?"),
            template.name.as_deref().unwrap_or("")
        );
    }
    println!("Read-only run: set LUMIN_SEND_TO and LUMIN_FILE_URL to send a signature request.");
    Ok(())
}

/// Sends a signature request for `file_url` to `signer` and follows it through.
async fn signing_flow(client: &Client, signer: &str, file_url: &str) -> Result<(), Box<dyn Error>> {
    // 1. Who am I?
    let user = client.get_user_information().await?;
    println!("1. Signed in as {} <{}>", user.user.name, user.user.email);

    // 2. Send a signature request, due in a week by the client's clock.
    let due = DueDate::after(Duration::from_secs(7 * 24 * 3600), client.clock().as_ref())?;
    let request = types::SignatureRequestDto::builder()
        .title("Quickstart agreement")
        .file_url(Some(file_url.to_owned()))
        .signers(vec![types::Signer {
            email_address: signer.to_owned(),
            name: "Quickstart Signer".to_owned(),
            group: None,
            verification: None,
        }])
        .expires_at(due);
    let created = client.send_signature_request().body(request).await?;
    let id = created.signature_request.signature_request_id.clone();
    println!(
        "2. Sent signature request {id} (created {})",
        created.signature_request.created_at
    );

    // 3. Lumin processes the documents asynchronously: poll until it is done.
    let mut status = SignatureRequestStatus::WaitingForProcessing;
    for attempt in 1..=10 {
        let current = client
            .get_signature_request()
            .signature_request_id(&id)
            .await?;
        status = current.signature_request.status;
        println!("3. Poll {attempt}: {status}");
        if status != SignatureRequestStatus::WaitingForProcessing {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    if status == SignatureRequestStatus::Failed {
        return Err("Lumin could not process the documents".into());
    }

    // 4. An embedded signing session for the signer, valid for 10 minutes.
    let session = client
        .create_signing_session()
        .signature_request_id(&id)
        .body(types::SigningSessionRequest {
            signer_email: signer.to_owned(),
            expiry: Some(SigningSessionExpiry::from_duration(Duration::from_secs(
                600,
            ))?),
        })
        .await?;
    let now = client.clock().now();
    println!(
        "4. Signing session for {} ({:?}): {} valid until {} (re-issue first: {})",
        session.signer_email,
        session.status,
        session.sign_url,
        session.expires_at,
        session.expires_within(Duration::from_secs(60), now),
    );

    // 5. The agreement file, as a signed URL.
    let file = client
        .get_signature_request_file()
        .signature_request_id(&id)
        .type_(types::SignatureRequestFileType::Agreement)
        .await?;
    println!(
        "5. Agreement file: {} (expires {}, {:?} left)",
        file.signed_url,
        file.expires_at,
        file.remaining(now)
    );
    Ok(())
}

/// A local stand-in of the Lumin API that answers the quickstart's calls with the
/// documented example payloads.
mod stand_in {
    use httpmock::MockServer;
    use serde_json::json;

    /// The document the stand-in pretends to fetch.
    pub const FILE_URL: &str = "https://example.com/quickstart.pdf";

    pub struct StandIn(MockServer);

    impl StandIn {
        pub fn url(&self) -> String {
            self.0.base_url()
        }
    }

    pub async fn start() -> StandIn {
        let server = MockServer::start_async().await;
        let key = "stand-in-key";
        server
            .mock_async(|when, then| {
                when.method("GET")
                    .path("/user/info")
                    .header("x-api-key", key);
                then.status(200).json_body(json!({
                    "user": {"id": "usr_a1b2c3d4", "email": "you@example.com", "name": "Your Name"}
                }));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method("POST").path("/signature_request/send").header("x-api-key", key);
                then.status(201).json_body(json!({
                    "signature_request": {"signature_request_id": "696d007913f3b8", "created_at": "1768751225657"}
                }));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method("GET").path("/signature_request/696d007913f3b8").header("x-api-key", key);
                then.status(200).json_body(json!({
                    "signature_request": {
                        "signature_request_id": "696d007913f3b8",
                        "title": "Quickstart agreement",
                        "created_at": 1768751225657_i64,
                        "expires_at": 1927510980694_i64,
                        "details_url": "https://sign.luminpdf.com/auth?mode=view-contract&token=8647b08b",
                        "status": "NEED_TO_SIGN",
                        "signing_type": "SAME_TIME",
                        "signers": [{"name": "Quickstart Signer", "email_address": "signer1@example.com",
                                     "status": "NEED_TO_SIGN", "is_approved": false, "group": 1}]
                    }
                }));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method("POST")
                    .path("/signature_request/696d007913f3b8/signing-session")
                    .header("x-api-key", key);
                then.status(200).json_body(json!({
                    "sign_url": "https://sign.luminpdf.com/embed?session=8647b08b",
                    "signer_email": "signer1@example.com",
                    "expires_at": 1927510980694_i64,
                    "status": "NEED_TO_SIGN"
                }));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method("GET")
                    .path("/signature_request/696d007913f3b8/file")
                    .query_param("type", "agreement")
                    .header("x-api-key", key);
                then.status(200).json_body(json!({
                    "signed_url": "https://files.luminpdf.com/download/quickstart.pdf?expires=1927510980",
                    "expires_at": 1927510980_i64
                }));
            })
            .await;
        StandIn(server)
    }
}
