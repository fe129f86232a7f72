//! `ClientBuilder::from_env_with`: the documented variables, read from a map (the process
//! environment is never touched), and a typed error naming what is missing.

use std::collections::HashMap;
use std::env::VarError;

use httpmock::MockServer;
use lumin::ClientBuilder;
use lumin::client::{ENV_ACCESS_TOKEN, ENV_API_KEY, ENV_BASE_URL, EnvError};

fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder, EnvError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    ClientBuilder::from_env_with(|name| vars.get(name).cloned().ok_or(VarError::NotPresent))
}

const USER: &str = r#"{"user":{"id":"u1","email":"you@example.com","name":"You"}}"#;

#[test]
fn the_variables_are_the_documented_ones() {
    assert_eq!(ENV_API_KEY, "LUMIN_API_KEY");
    assert_eq!(ENV_ACCESS_TOKEN, "LUMIN_ACCESS_TOKEN");
    assert_eq!(ENV_BASE_URL, "LUMIN_BASE_URL");
}

#[tokio::test]
async fn an_api_key_and_a_base_url_reach_the_server() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.path("/user/info").header("x-api-key", "env-key");
        then.status(200).body(USER);
    });
    let client = from(&[
        ("LUMIN_API_KEY", "env-key"),
        ("LUMIN_BASE_URL", &server.base_url()),
    ])
    .unwrap()
    .build()
    .unwrap();
    client.get_user_information().await.unwrap();
    mock.assert();
}

#[tokio::test]
async fn an_access_token_is_sent_as_bearer() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.path("/user/info")
            .header("authorization", "Bearer env-token")
            .header_missing("x-api-key");
        then.status(200).body(USER);
    });
    let client = from(&[
        ("LUMIN_ACCESS_TOKEN", "env-token"),
        ("LUMIN_BASE_URL", &server.base_url()),
    ])
    .unwrap()
    .build()
    .unwrap();
    client.get_user_information().await.unwrap();
    mock.assert();
}

#[test]
fn missing_credentials_name_both_variables() {
    let error = from(&[("LUMIN_BASE_URL", "http://127.0.0.1:1")]).unwrap_err();
    assert_eq!(error, EnvError::MissingCredentials);
    let message = error.to_string();
    assert!(
        message.contains("LUMIN_API_KEY") && message.contains("LUMIN_ACCESS_TOKEN"),
        "{message}"
    );
    // An empty value counts as unset.
    assert_eq!(
        from(&[("LUMIN_API_KEY", "")]).unwrap_err(),
        EnvError::MissingCredentials
    );
}

#[test]
fn both_credentials_are_refused() {
    let error = from(&[("LUMIN_API_KEY", "k"), ("LUMIN_ACCESS_TOKEN", "t")]).unwrap_err();
    assert_eq!(error, EnvError::ConflictingCredentials);
}

#[test]
fn a_variable_that_is_not_unicode_is_named() {
    let error = ClientBuilder::from_env_with(|name| {
        if name == "LUMIN_API_KEY" {
            Err(VarError::NotUnicode(std::ffi::OsString::from("x")))
        } else {
            Err(VarError::NotPresent)
        }
    })
    .unwrap_err();
    assert_eq!(
        error,
        EnvError::NotUnicode {
            variable: "LUMIN_API_KEY"
        }
    );
    assert!(error.to_string().contains("LUMIN_API_KEY"));
}

#[test]
fn without_a_base_url_the_production_one_is_used_and_a_bad_one_fails_to_build() {
    let builder = from(&[("LUMIN_API_KEY", "k")]).unwrap();
    assert!(format!("{builder:?}").contains(lumin::client::DEFAULT_BASE_URL));
    assert!(!format!("{builder:?}").contains("\"k\""));
    let error = from(&[("LUMIN_API_KEY", "k"), ("LUMIN_BASE_URL", "ftp://x")])
        .unwrap()
        .build()
        .unwrap_err();
    assert!(
        matches!(error, lumin::client::BuildError::InvalidBaseUrl { .. }),
        "{error:?}"
    );
}
