//! Building a client has no process-wide side effect: it installs no default rustls
//! crypto provider, so an application may install its own afterwards (with `.expect()`),
//! and clients built before and after both work. (Its own test binary: the provider is
//! process-global.)
#![cfg(feature = "rustls-ring")]

use httpmock::MockServer;

#[tokio::test]
async fn a_client_installs_no_crypto_provider_and_coexists_with_the_applications() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("GET").path("/user/info");
            then.status(200)
                .body(r#"{"user":{"id":"u","email":"you@example.com","name":"You"}}"#);
        })
        .await;
    let build = || {
        lumin::ClientBuilder::new()
            .base_url(server.base_url())
            .api_key("key")
            .build()
            .expect("a client builds")
    };
    let before = build();
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "building a client must not install a process-wide provider"
    );
    rustls::crypto::ring::default_provider()
        .install_default()
        .expect("the application installs its own provider");
    let after = build();
    for client in [&before, &after] {
        let user = client.get_user_information().await.unwrap();
        assert_eq!(user.user.email, "you@example.com");
    }
    mock.assert_calls_async(2).await;
    // An https client is built on the crate's own TLS configuration either way.
    lumin::ClientBuilder::new()
        .api_key("key")
        .build()
        .expect("the production client builds with its own TLS configuration");
}
