//! Time and limits: every documented rule is checked before a request leaves, every
//! timestamp decodes in the unit its field documents, and every expiring response says
//! how long it has left. A fixed clock stands in for the wall clock; nothing sleeps.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use httpmock::MockServer;
use lumin::clock::{Clock, FixedClock};
use lumin::expiry::{DueDate, Expiring, ExpiryError, SigningSessionExpiry};
use lumin::limits::{BoundedVec, CollectionRecord, Collections, LimitError, Page, PageLimit};
use lumin::time::{Millis, Rfc3339, Seconds, Timestamp};
use lumin::types;
use serde_json::json;

const NOW_MS: i64 = 1_768_751_225_657;

fn clock() -> FixedClock {
    FixedClock::at_unix_millis(NOW_MS)
}

fn client(server: &MockServer, clock: &FixedClock) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(server.base_url())
        .api_key("test-key")
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

// ---- Signing session expiry ---------------------------------------------------------

#[test]
fn signing_session_expiry_boundaries() {
    for rejected in [0, 299_999, 3_600_001, u128::from(u64::MAX)] {
        assert_eq!(
            SigningSessionExpiry::from_millis(rejected),
            Err(ExpiryError::SigningSessionExpiryOutOfRange {
                requested_ms: rejected
            }),
            "{rejected} ms must be rejected"
        );
    }
    for accepted in [300_000, 900_000, 3_600_000] {
        assert_eq!(
            SigningSessionExpiry::from_millis(accepted)
                .unwrap()
                .as_millis() as u128,
            accepted
        );
    }
    assert_eq!(
        SigningSessionExpiry::from_duration(Duration::from_secs(5 * 60)).unwrap(),
        SigningSessionExpiry::MIN
    );
    assert_eq!(
        SigningSessionExpiry::from_duration(Duration::from_secs(60 * 60)).unwrap(),
        SigningSessionExpiry::MAX
    );
    assert!(SigningSessionExpiry::from_duration(Duration::from_millis(299_999)).is_err());
    assert!(
        SigningSessionExpiry::from_duration(Duration::from_secs(3600) + Duration::from_millis(1))
            .is_err()
    );
    assert_eq!(SigningSessionExpiry::default().as_millis(), 900_000);
}

#[test]
fn signing_session_expiry_error_names_the_range() {
    let message = SigningSessionExpiry::from_millis(299_999)
        .unwrap_err()
        .to_string();
    assert!(message.contains("300000 to 3600000 ms"), "{message}");
    assert!(message.contains("299999"), "{message}");
}

#[test]
fn an_out_of_range_expiry_cannot_be_decoded_either() {
    let err = serde_json::from_value::<types::SigningSessionRequest>(
        json!({"signer_email": "a@example.com", "expiry": 3_600_001}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("3600001"), "{err}");
}

#[tokio::test]
async fn the_default_expiry_is_sent_as_900000() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let mock = server
        .mock_async(|when, then| {
            when.method("POST")
                .path("/signature_request/sr_1/signing-session")
                .json_body(json!({"signer_email": "signer1@example.com", "expiry": 900000}));
            then.status(200).json_body(json!({
                "sign_url": "https://sign.luminpdf.com/embed?session=8647b08b",
                "signer_email": "signer1@example.com",
                "expires_at": 1927510980694_i64,
                "status": "NEED_TO_SIGN"
            }));
        })
        .await;
    let session = client(&server, &clock)
        .create_signing_session()
        .signature_request_id("sr_1")
        .body(types::SigningSessionRequest {
            signer_email: "signer1@example.com".into(),
            expiry: Some(SigningSessionExpiry::default()),
        })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(session.expires_at.unix_millis(), 1_927_510_980_694);
}

// ---- Due dates ----------------------------------------------------------------------

#[test]
fn due_date_must_be_in_the_future() {
    let clock = clock();
    let now = clock.now();
    assert_eq!(
        DueDate::at(now - Duration::from_millis(1), &clock),
        Err(ExpiryError::DueDateNotInFuture {
            due: now - Duration::from_millis(1),
            now
        })
    );
    assert_eq!(
        DueDate::at(now, &clock),
        Err(ExpiryError::DueDateNotInFuture { due: now, now })
    );
    let due = DueDate::at(now + Duration::from_millis(1), &clock).unwrap();
    assert_eq!(due.instant().unix_millis(), NOW_MS + 1);
    assert!(DueDate::after(Duration::ZERO, &clock).is_err());
    assert_eq!(
        DueDate::after(Duration::from_secs(60), &clock)
            .unwrap()
            .instant()
            .unix_millis(),
        NOW_MS + 60_000
    );
    // A due date given in seconds is compared as the same instant.
    let in_seconds = Timestamp::<Seconds>::from_unix_seconds(NOW_MS / 1000 + 1);
    assert!(DueDate::at(in_seconds, &clock).is_ok());
}

#[test]
fn due_dates_follow_the_injected_clock() {
    let clock = clock();
    let due = clock.now() + Duration::from_secs(3600);
    assert!(DueDate::at(due, &clock).is_ok());
    clock.advance(Duration::from_secs(3600));
    assert!(DueDate::at(due, &clock).is_err());
}

#[tokio::test]
async fn due_date_is_sent_in_milliseconds() {
    let server = MockServer::start_async().await;
    let clock = clock();
    let mock = server
        .mock_async(|when, then| {
            when.method("PATCH")
                .path("/signature_request/sr_1")
                .json_body(json!({"expires_at": NOW_MS + 86_400_000}));
            then.status(200).json_body(json!({"signature_request": {
                "signature_request_id": "sr_1",
                "expires_at": NOW_MS + 86_400_000
            }}));
        })
        .await;
    let due = DueDate::after(Duration::from_secs(86_400), &clock).unwrap();
    let updated = client(&server, &clock)
        .update_signature_request()
        .signature_request_id("sr_1")
        .body(types::SignatureRequestUpdateRequest { expires_at: due })
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        updated.signature_request.as_ref().unwrap().expires_at,
        Some(due.instant())
    );
}

// ---- Timestamp encodings --------------------------------------------------------------

#[test]
fn timestamps_decode_from_integers_and_digit_strings_in_their_unit() {
    let ms: Timestamp<Millis> = serde_json::from_str("1768751225657").unwrap();
    let ms_text: Timestamp<Millis> = serde_json::from_str("\"1768751225657\"").unwrap();
    assert_eq!(ms, ms_text);
    assert_eq!(ms.unix_millis(), 1_768_751_225_657);

    let s: Timestamp<Seconds> = serde_json::from_str("1766726700").unwrap();
    let s_text: Timestamp<Seconds> = serde_json::from_str("\"1766726700\"").unwrap();
    assert_eq!(s, s_text);
    assert_eq!(s.unix_millis(), 1_766_726_700_000);

    let iso: Timestamp<Rfc3339> = serde_json::from_str("\"2026-04-09T06:38:59.381Z\"").unwrap();
    assert_eq!(iso.unix_millis(), 1_775_716_739_381);

    // Each encodes back in its own unit.
    assert_eq!(serde_json::to_string(&ms_text).unwrap(), "1768751225657");
    assert_eq!(serde_json::to_string(&s_text).unwrap(), "1766726700");
    assert_eq!(
        serde_json::to_string(&iso).unwrap(),
        "\"2026-04-09T06:38:59.381Z\""
    );
}

#[test]
fn the_unit_comes_from_the_field_unless_only_milliseconds_can_be_that_large() {
    // A seconds field: a value above 10^11 can only be milliseconds (as seconds it would
    // be after the year 5000), so it is read as milliseconds; up to 10^11 it is seconds.
    let s: Timestamp<Seconds> = serde_json::from_str("1766726700000").unwrap();
    assert_eq!(s.unix_millis(), 1_766_726_700_000);
    let s: Timestamp<Seconds> = serde_json::from_str("1766726700").unwrap();
    assert_eq!(s.unix_millis(), 1_766_726_700_000);
    // A seconds-sized value in a milliseconds field stays milliseconds (January 1970).
    let ms: Timestamp<Millis> = serde_json::from_str("1766726700").unwrap();
    assert_eq!(ms.unix_millis(), 1_766_726_700);
}

#[test]
fn values_that_fit_no_encoding_are_errors() {
    for bad in ["\"soon\"", "\"\"", "\"-5\"", "true", "null", "{}", "1.5"] {
        assert!(
            serde_json::from_str::<Timestamp<Millis>>(bad).is_err(),
            "{bad}"
        );
        assert!(
            serde_json::from_str::<Timestamp<Seconds>>(bad).is_err(),
            "{bad}"
        );
    }
    for bad in ["\"2026-04-09\"", "\"yesterday\"", "true", "1.5"] {
        assert!(
            serde_json::from_str::<Timestamp<Rfc3339>>(bad).is_err(),
            "{bad}"
        );
    }
    // A number where RFC 3339 text is documented is milliseconds (see tests/doc_quirks.rs).
    let iso: Timestamp<Rfc3339> = serde_json::from_str("1775716739381").unwrap();
    assert_eq!(iso.unix_millis(), 1_775_716_739_381);
}

/// Each response field with a timestamp, in both JSON encodings, in its documented unit.
#[test]
fn every_response_timestamp_field_decodes_in_its_documented_unit() {
    fn both<T: serde::de::DeserializeOwned>(
        body: serde_json::Value,
        field: &[&str],
        value: i64,
        get: impl Fn(&T) -> i64,
        expected_ms: i64,
    ) {
        for encoded in [json!(value), json!(value.to_string())] {
            let mut body = body.clone();
            let mut slot = &mut body;
            for key in field {
                slot = &mut slot[*key];
            }
            *slot = encoded.clone();
            let decoded: T = serde_json::from_value(body).unwrap();
            assert_eq!(get(&decoded), expected_ms, "{field:?} as {encoded}");
        }
    }
    const MS: i64 = 1_927_510_980_694;
    const S: i64 = 1_766_726_700;
    let signed = json!({"signed_url": "https://files.example/x.pdf", "expires_at": 0});
    both::<types::SignedFileUrlSeconds>(
        signed.clone(),
        &["expires_at"],
        S,
        |r| r.expires_at.unix_millis(),
        S * 1000,
    );
    both::<types::FileUrlResponse>(
        json!({"file_url": "https://files.example/x.pdf", "expires_at": 0}),
        &["expires_at"],
        S,
        |r| r.expires_at.unix_millis(),
        S * 1000,
    );
    both::<types::DocumentGenerateResponse>(
        json!({"document_name": "NDA", "signed_url": "https://files.example/x.pdf", "expires_at": 0}),
        &["expires_at"],
        S,
        |r| r.expires_at.unix_millis(),
        S * 1000,
    );
    both::<types::PdfOperationResponse>(
        json!({"document_name": "merged", "signed_url": "https://files.example/x.pdf", "expires_at": 0}),
        &["expires_at"],
        MS,
        |r| r.expires_at.unix_millis(),
        MS,
    );
    both::<types::SigningSessionResponse>(
        json!({"sign_url": "https://sign.example", "signer_email": "a@example.com", "expires_at": 0, "status": "NEED_TO_SIGN"}),
        &["expires_at"],
        MS,
        |r| r.expires_at.unix_millis(),
        MS,
    );
    let sr = json!({"signature_request": {
        "signature_request_id": "1", "title": "t", "created_at": 0, "expires_at": 0, "updated_at": 0,
        "details_url": "https://sign.example", "status": "APPROVED", "signers": [], "signing_type": "ORDER"
    }});
    for field in ["created_at", "expires_at"] {
        both::<types::SignatureRequestResponse>(
            sr.clone(),
            &["signature_request", field],
            MS,
            |r| match field {
                "created_at" => r.signature_request.created_at.unix_millis(),
                _ => r.signature_request.expires_at.unix_millis(),
            },
            MS,
        );
    }
    both::<types::SignatureRequestResponse>(
        sr,
        &["signature_request", "updated_at"],
        MS,
        |r| r.signature_request.updated_at.unwrap().unix_millis(),
        MS,
    );
    both::<types::SignatureRequestCreateResponse>(
        json!({"signature_request": {"signature_request_id": "1", "created_at": "0"}}),
        &["signature_request", "created_at"],
        MS,
        |r| r.signature_request.created_at.unix_millis(),
        MS,
    );
    both::<types::TemplateListItem>(
        json!({"created_at": 0}),
        &["created_at"],
        MS,
        |r| r.created_at.unwrap().unix_millis(),
        MS,
    );
    both::<types::TemplateDetail>(
        json!({"updated_at": 0}),
        &["updated_at"],
        MS,
        |r| r.updated_at.unwrap().unix_millis(),
        MS,
    );
    both::<types::DocumentSummary>(
        json!({"id": "doc_1", "name": "n", "created_at": 0, "updated_at": 0}),
        &["created_at"],
        MS,
        |r| r.created_at.unix_millis(),
        MS,
    );
    both::<types::AgreementSummary>(
        json!({"id": "ag_1", "name": "n", "created_at": 0}),
        &["created_at"],
        MS,
        |r| r.created_at.unix_millis(),
        MS,
    );
    both::<types::WorkspaceInfo>(
        json!({"created_at": 0}),
        &["created_at"],
        MS,
        |r| r.created_at.unwrap().unix_millis(),
        MS,
    );
    both::<types::WorkspaceMember>(
        json!({"joined_at": 0}),
        &["joined_at"],
        MS,
        |r| r.joined_at.unwrap().unix_millis(),
        MS,
    );
    both::<types::WorkspaceMember>(
        json!({"last_active_at": 0}),
        &["last_active_at"],
        MS,
        |r| r.last_active_at.unwrap().unix_millis(),
        MS,
    );
    let space: types::Space = serde_json::from_value(
        json!({"id": "sp_1", "name": "Legal", "created_at": "2026-04-09T06:38:59.381Z"}),
    )
    .unwrap();
    assert_eq!(space.created_at.unwrap().unix_millis(), 1_775_716_739_381);
}

#[tokio::test]
async fn a_timestamp_that_fits_neither_encoding_is_an_error_naming_the_field() {
    let server = MockServer::start_async().await;
    let clock = clock();
    server
        .mock_async(|when, then| {
            when.method("GET").path("/signature_request/sr_1");
            then.status(200).body(
                r#"{"signature_request":{"signature_request_id":"sr_1","title":"t","created_at":"next tuesday","expires_at":1,"details_url":"u","status":"APPROVED","signers":[],"signing_type":"ORDER"}}"#,
            );
        })
        .await;
    let err = client(&server, &clock)
        .get_signature_request()
        .signature_request_id("sr_1")
        .await
        .unwrap_err();
    match &err {
        lumin::Error::Decode { path, .. } => assert_eq!(path, "signature_request.created_at"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(
        err.to_string().contains("signature_request.created_at"),
        "{err}"
    );
}

// ---- Expiring responses ---------------------------------------------------------------

#[test]
fn expiring_responses_report_expiry_around_the_boundary() {
    fn check(item: &dyn Expiring, expires_ms: i64) {
        let at = |ms: i64| Timestamp::<Millis>::from_unix_millis(ms);
        assert_eq!(item.expires_at().unix_millis(), expires_ms);
        assert!(!item.is_expired(at(expires_ms - 1)));
        assert_eq!(item.remaining(at(expires_ms - 1)), Duration::from_millis(1));
        assert!(item.is_expired(at(expires_ms)));
        assert_eq!(item.remaining(at(expires_ms)), Duration::ZERO);
        assert!(item.is_expired(at(expires_ms + 1)));
        assert_eq!(item.remaining(at(expires_ms + 1)), Duration::ZERO);
        assert!(item.expires_within(Duration::from_secs(60), at(expires_ms - 59_999)));
        assert!(!item.expires_within(Duration::from_secs(60), at(expires_ms - 60_000)));
    }
    let session: types::SigningSessionResponse = serde_json::from_value(json!({
        "sign_url": "https://sign.luminpdf.com/embed?session=8647b08b",
        "signer_email": "signer1@example.com",
        "expires_at": 1927510980694_i64,
        "status": "NEED_TO_SIGN"
    }))
    .unwrap();
    check(&session, 1_927_510_980_694);
    let file: types::SignedFileUrlSeconds = serde_json::from_value(
        json!({"signed_url": "https://files.example/x.pdf", "expires_at": 1766726700}),
    )
    .unwrap();
    check(&file, 1_766_726_700_000);
    let legacy: types::FileUrlResponse = serde_json::from_value(
        json!({"file_url": "https://files.example/x.pdf", "expires_at": 1766726700}),
    )
    .unwrap();
    check(&legacy, 1_766_726_700_000);
    let generated: types::DocumentGenerateResponse = serde_json::from_value(json!({
        "document_name": "NDA_AcmeCorp",
        "signed_url": "https://files.luminpdf.com/download/nda-acmecorp-abc123.pdf",
        "expires_at": 1766726700
    }))
    .unwrap();
    check(&generated, 1_766_726_700_000);
    let merged: types::PdfOperationResponse = serde_json::from_value(json!({
        "document_name": "merged_NDA",
        "signed_url": "https://files.luminpdf.com/download/merged.pdf",
        "expires_at": 1766726700000_i64
    }))
    .unwrap();
    check(&merged, 1_766_726_700_000);
}

// ---- Other documented limits ------------------------------------------------------------

#[test]
fn titles_and_document_names_are_1_to_255_characters() {
    assert!(types::Title::try_from("").is_err());
    assert!(types::Title::try_from("a").is_ok());
    assert!(types::Title::try_from("a".repeat(255).as_str()).is_ok());
    assert!(types::Title::try_from("a".repeat(256).as_str()).is_err());
    assert!(types::DocumentName::try_from("").is_err());
    assert!(types::DocumentName::try_from("é".repeat(255).as_str()).is_ok());
    assert!(types::DocumentName::try_from("a".repeat(256).as_str()).is_err());
}

#[test]
fn space_names_are_1_to_100_characters() {
    assert!(types::SpaceName::try_from("").is_err());
    assert!(types::SpaceName::try_from("a").is_ok());
    assert!(types::SpaceName::try_from("a".repeat(100).as_str()).is_ok());
    assert!(types::SpaceName::try_from("a".repeat(101).as_str()).is_err());
}

#[test]
fn page_limit_is_10_25_or_50_and_page_starts_at_1() {
    for ok in [10, 25, 50] {
        assert_eq!(PageLimit::try_from(ok).unwrap().get(), ok);
    }
    for bad in [0, 9, 11, 24, 26, 49, 51, 100] {
        assert_eq!(PageLimit::try_from(bad), Err(LimitError::PageLimit(bad)));
    }
    assert_eq!(Page::new(0), Err(LimitError::PageBelowOne(0)));
    assert_eq!(Page::new(1).unwrap(), Page::FIRST);
    assert_eq!(Page::FIRST.next().get(), 2);
    assert!(serde_json::from_str::<PageLimit>("20").is_err());
    assert!(serde_json::from_str::<Page>("0").is_err());
}

#[test]
fn merge_inputs_are_2_to_20() {
    let ids = |n: usize| (0..n).map(|i| format!("doc_{i}")).collect::<Vec<_>>();
    for bad in [0, 1, 21] {
        assert_eq!(
            BoundedVec::<String, 2, 20>::new(ids(bad)),
            Err(LimitError::ItemCount {
                min: 2,
                max: Some(20),
                actual: bad
            })
        );
    }
    for ok in [2, 20] {
        assert_eq!(BoundedVec::<String, 2, 20>::new(ids(ok)).unwrap().len(), ok);
    }
    let request = types::MergeDocumentsRequest::builder()
        .document_ids(Some(BoundedVec::new(ids(2)).unwrap()));
    let request = types::MergeDocumentsRequest::try_from(request).unwrap();
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"document_ids": ["doc_0", "doc_1"]})
    );
}

#[test]
fn reminder_emails_must_not_be_empty() {
    assert!(BoundedVec::<String, 1>::new(vec![]).is_err());
    assert!(BoundedVec::<String, 1>::new(vec!["a@example.com".into()]).is_ok());
    assert!(
        serde_json::from_value::<types::SignatureRequestRemindRequest>(json!({"emails": []}))
            .is_err()
    );
}

#[test]
fn collections_hold_at_most_50_of_at_most_100_records() {
    let record = || CollectionRecord::from([("item".to_owned(), "Widget".to_owned())]);
    let collections = |count: usize, records: usize| {
        (0..count)
            .map(|i| (format!("c{i:02}"), vec![record(); records]))
            .collect::<BTreeMap<_, _>>()
    };
    assert!(Collections::new(collections(50, 100)).is_ok());
    assert_eq!(
        Collections::new(collections(51, 1)),
        Err(LimitError::TooManyCollections {
            max: 50,
            actual: 51
        })
    );
    assert_eq!(
        Collections::new(collections(1, 101)),
        Err(LimitError::CollectionTooLong {
            name: "c00".into(),
            max: 100,
            actual: 101
        })
    );
}
