//! Webhook deliveries: the documented signature example, every way a signature can be
//! wrong, key rotation, every documented payload, freshness and de-duplication.

use std::sync::Arc;
use std::time::Duration;

use lumin::clock::FixedClock;
use lumin::time::{Millis, Timestamp};
use lumin::webhooks::{
    DedupKey, EventType, WebhookError, WebhookEvent, WebhookVerifier, parse_unverified, signature,
};
use secrecy::SecretString;

/// The documented worked example: key, spaced body and digest, verbatim.
const KEY: &str = "my_primary_api_key";
const BODY: &str = r#"{"event": { "event_time": 1694664207595, "event_type": "signature_request_sent" }, "signature_request": { "signature_request_id": "fa5c8a0b0f492d768749333ad6fcc214c111e967", "title": "My first request" } }"#;
const DIGEST: &str = "3810cb411041efab279d31698b9584372e5ede9d1641fbb354810f16e51be81c";

/// The overview page's payload (`details_url` at the top level).
const DOWNLOADABLE: &str = r#"{
  "event": {
    "event_time": 1758812586180,
    "event_type": "signature_request_downloadable",
    "event_metadata": { "workspace_id": "68d417dcdeaecfae84872de8" }
  },
  "signature_request": {
    "signature_request_id": "68d558daa153cb3c30718518",
    "title": "Test webhook",
    "created_at": 1758812378277,
    "updated_at": 1758812574883,
    "expires_at": 1827510980694,
    "status": "APPROVED",
    "signers": [
      { "name": "John Doe", "email": "john.doe@example.com", "status": "APPROVED", "is_approved": true }
    ]
  },
  "details_url": "https://sign.luminpdf.com/auth?mode=view-contract&token=abc"
}"#;

/// The test-locally page's `signature_request_created` payload (`signer_email` in the
/// metadata, `details_url` inside `signature_request`, two signers still to sign).
const CREATED: &str = r#"{
  "event": {
    "event_time": 1758812378300,
    "event_type": "signature_request_created",
    "event_metadata": { "workspace_id": "68d417dcdeaecfae84872de8", "signer_email": "john.doe@example.com" }
  },
  "signature_request": {
    "signature_request_id": "68d558daa153cb3c30718518",
    "title": "Test webhook",
    "created_at": 1758812378277,
    "updated_at": 1758812378277,
    "expires_at": 1827510980694,
    "status": "NEED_TO_SIGN",
    "details_url": "https://sign.luminpdf.com/auth?mode=view-contract&token=def",
    "signers": [
      { "name": "John Doe", "email": "john.doe@example.com", "status": "NEED_TO_SIGN", "is_approved": false },
      { "name": "Jane Doe", "email": "jane.doe@example.com", "status": "NEED_TO_SIGN", "is_approved": false }
    ]
  }
}"#;

#[test]
fn the_documented_worked_example_verifies() {
    assert_eq!(signature(KEY, BODY.as_bytes()), DIGEST);
    let verifier = WebhookVerifier::new(KEY);
    assert_eq!(verifier.verify(BODY.as_bytes(), Some(DIGEST)), Ok(()));
    // Header values may carry surrounding white space or upper-case hex.
    assert_eq!(
        verifier.verify(
            BODY.as_bytes(),
            Some(&format!(" {} ", DIGEST.to_uppercase()))
        ),
        Ok(())
    );
    let event = verifier
        .verify_and_parse(BODY.as_bytes(), Some(DIGEST))
        .unwrap();
    assert_eq!(
        event.event.event_type,
        EventType::Unknown("signature_request_sent".into())
    );
    assert_eq!(event.event.event_time.unix_millis(), 1_694_664_207_595);
    let sr = event.signature_request.unwrap();
    assert_eq!(
        sr.signature_request_id.as_deref(),
        Some("fa5c8a0b0f492d768749333ad6fcc214c111e967")
    );
    assert_eq!(sr.title.as_deref(), Some("My first request"));
}

#[test]
fn the_same_json_reserialized_is_rejected() {
    let compact =
        serde_json::to_vec(&serde_json::from_str::<serde_json::Value>(BODY).unwrap()).unwrap();
    assert_ne!(compact, BODY.as_bytes());
    assert_eq!(
        WebhookVerifier::new(KEY).verify(&compact, Some(DIGEST)),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn one_changed_byte_is_rejected() {
    let verifier = WebhookVerifier::new(KEY);
    for i in [0, BODY.len() / 2, BODY.len() - 1] {
        let mut body = BODY.as_bytes().to_vec();
        body[i] ^= 0x01;
        assert_eq!(
            verifier.verify(&body, Some(DIGEST)),
            Err(WebhookError::SignatureMismatch),
            "byte {i}"
        );
    }
    let mut digest = DIGEST.to_owned();
    digest.replace_range(0..1, "4");
    assert_eq!(
        verifier.verify(BODY.as_bytes(), Some(&digest)),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn a_wrong_key_is_rejected() {
    assert_eq!(
        WebhookVerifier::new("my_other_api_key").verify(BODY.as_bytes(), Some(DIGEST)),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn during_rotation_either_key_is_accepted() {
    let verifier = WebhookVerifier::new("new_primary_key").with_secret(KEY);
    assert_eq!(verifier.verify(BODY.as_bytes(), Some(DIGEST)), Ok(()));
    let signed_new = signature("new_primary_key", BODY.as_bytes());
    assert_eq!(verifier.verify(BODY.as_bytes(), Some(&signed_new)), Ok(()));
    let signed_other = signature("retired_key", BODY.as_bytes());
    assert_eq!(
        verifier.verify(BODY.as_bytes(), Some(&signed_other)),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn malformed_headers_are_each_their_own_error() {
    let verifier = WebhookVerifier::new(KEY);
    let body = BODY.as_bytes();
    assert_eq!(
        verifier.verify(body, None),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        verifier.verify(body, Some("")),
        Err(WebhookError::SignatureLength(0))
    );
    assert_eq!(
        verifier.verify(body, Some(&format!("sha256={DIGEST}"))),
        Err(WebhookError::SignatureNotHex)
    );
    assert_eq!(
        verifier.verify(body, Some(&DIGEST.replace('3', "z"))),
        Err(WebhookError::SignatureNotHex)
    );
    assert_eq!(
        verifier.verify(body, Some(&"é".repeat(32))),
        Err(WebhookError::SignatureNotHex)
    );
    assert_eq!(
        verifier.verify(body, Some(&DIGEST[..63])),
        Err(WebhookError::SignatureLength(63))
    );
    assert_eq!(
        verifier.verify(body, Some(&format!("{DIGEST}00"))),
        Err(WebhookError::SignatureLength(66))
    );
    // A bad signature is rejected before the body is parsed.
    assert_eq!(
        verifier.verify_and_parse(b"not json", Some(DIGEST)),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn the_overview_payload_parses_with_details_url_at_the_top() {
    let event = parse_unverified(DOWNLOADABLE.as_bytes()).unwrap();
    assert_eq!(
        event.event.event_type,
        EventType::SignatureRequestDownloadable
    );
    assert_eq!(event.event.event_time.unix_millis(), 1_758_812_586_180);
    assert_eq!(
        event.event.event_metadata.workspace_id.as_deref(),
        Some("68d417dcdeaecfae84872de8")
    );
    assert_eq!(event.event.event_metadata.signer_email, None);
    assert_eq!(
        event.details_url(),
        Some("https://sign.luminpdf.com/auth?mode=view-contract&token=abc")
    );
    let sr = event.signature_request.as_ref().unwrap();
    assert_eq!(sr.status.as_deref(), Some("APPROVED"));
    assert_eq!(
        sr.created_at.map(|t| t.unix_millis()),
        Some(1_758_812_378_277)
    );
    assert_eq!(
        sr.updated_at.map(|t| t.unix_millis()),
        Some(1_758_812_574_883)
    );
    assert_eq!(
        sr.expires_at.map(|t| t.unix_millis()),
        Some(1_827_510_980_694)
    );
    assert_eq!(sr.signers.len(), 1);
    assert_eq!(sr.signers[0].email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(sr.signers[0].name.as_deref(), Some("John Doe"));
    assert_eq!(sr.signers[0].is_approved, Some(true));
}

#[test]
fn the_test_locally_payload_parses_with_details_url_inside() {
    let event = parse_unverified(CREATED.as_bytes()).unwrap();
    assert_eq!(event.event.event_type, EventType::SignatureRequestCreated);
    assert_eq!(
        event.event.event_metadata.signer_email.as_deref(),
        Some("john.doe@example.com")
    );
    assert_eq!(event.details_url, None);
    assert_eq!(
        event.details_url(),
        Some("https://sign.luminpdf.com/auth?mode=view-contract&token=def")
    );
    let sr = event.signature_request.unwrap();
    assert_eq!(sr.status.as_deref(), Some("NEED_TO_SIGN"));
    let emails: Vec<_> = sr.signers.iter().map(|s| s.email.as_deref()).collect();
    assert_eq!(
        emails,
        [Some("john.doe@example.com"), Some("jane.doe@example.com")]
    );
    assert!(sr.signers.iter().all(|s| s.is_approved == Some(false)));
}

#[test]
fn every_documented_event_type_round_trips_and_unknown_names_are_kept() {
    for name in [
        "signature_request_created",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_approved",
        "signature_request_declined",
        "signature_request_downloadable",
        "signature_request_invalid",
        "signature_request_canceled",
        "signature_request_cancel_failed",
        "signature_request_due_date_updated",
    ] {
        let parsed: EventType = name.parse().unwrap();
        assert!(!matches!(parsed, EventType::Unknown(_)), "{name}");
        assert_eq!(parsed.as_str(), name);
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            format!("\"{name}\"")
        );
    }
    // The American "canceled" is documented; the British spelling is not.
    assert_eq!(
        "signature_request_cancelled".parse::<EventType>().unwrap(),
        EventType::Unknown("signature_request_cancelled".into())
    );
    let body = r#"{"event":{"event_time":1,"event_type":"signature_request_teleported","event_metadata":{"workspace_id":"w","extra":[1,2]}},"new_field":true}"#;
    let event = parse_unverified(body.as_bytes()).unwrap();
    assert_eq!(
        event.event.event_type.as_str(),
        "signature_request_teleported"
    );
    assert_eq!(
        event.event.event_metadata.other.get("extra"),
        Some(&serde_json::json!([1, 2]))
    );
    assert_eq!(event.other.get("new_field"), Some(&serde_json::json!(true)));
    // An error event without a signature request still parses.
    let canceled = parse_unverified(
        br#"{"event":{"event_time":"1758812586180","event_type":"signature_request_canceled"}}"#,
    )
    .unwrap();
    assert_eq!(
        canceled.event.event_type,
        EventType::SignatureRequestCanceled
    );
    assert!(canceled.signature_request.is_none());
}

#[test]
fn hostile_bodies_never_panic() {
    let verifier = WebhookVerifier::new(KEY);
    let mut bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"[]".to_vec(),
        b"[1,2,3]".to_vec(),
        b"null".to_vec(),
        b"{}".to_vec(),
        b"{\"event\":{}}".to_vec(),
        b"{\"event\":{\"event_time\":-1e400,\"event_type\":5}}".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
    ];
    // Deterministic pseudo-random bytes (xorshift), no extra crate.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in [1, 7, 64, 513, 4096] {
        let body = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        bodies.push(body);
    }
    for body in &bodies {
        // Correctly signed, so parsing is reached.
        let header = signature(KEY, body);
        let result = verifier.verify_and_parse(body, Some(&header));
        assert!(
            matches!(result, Err(WebhookError::Malformed(_))),
            "{:?} -> {result:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn maximum_age_is_checked_with_the_injected_clock() {
    let event_time = 1_758_812_586_180;
    let clock = FixedClock::at_unix_millis(event_time);
    let verifier =
        WebhookVerifier::new(KEY).with_max_age(Duration::from_secs(600), Arc::new(clock.clone()));
    let header = signature(KEY, DOWNLOADABLE.as_bytes());
    assert!(
        verifier
            .verify_and_parse(DOWNLOADABLE.as_bytes(), Some(&header))
            .is_ok()
    );
    clock.advance(Duration::from_secs(600));
    assert!(
        verifier
            .verify_and_parse(DOWNLOADABLE.as_bytes(), Some(&header))
            .is_ok(),
        "exactly max_age old is still fresh"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        verifier.verify_and_parse(DOWNLOADABLE.as_bytes(), Some(&header)),
        Err(WebhookError::TooOld {
            event_time: Timestamp::<Millis>::from_unix_millis(event_time),
            now: Timestamp::from_unix_millis(event_time + 600_001),
            max_age: Duration::from_secs(600),
        })
    );
    // An event dated after the clock's now (clock skew) is accepted.
    clock.set(Timestamp::from_unix_millis(event_time - 60_000));
    assert!(
        verifier
            .verify_and_parse(DOWNLOADABLE.as_bytes(), Some(&header))
            .is_ok()
    );
    // The age is checked only after the signature.
    assert_eq!(
        verifier.verify_and_parse(DOWNLOADABLE.as_bytes(), Some(DIGEST)),
        Err(WebhookError::SignatureMismatch)
    );
    // Without a window, any age is accepted: Lumin retries for about 30 hours.
    let relaxed = WebhookVerifier::new(KEY);
    clock.advance(Duration::from_secs(31 * 3600));
    assert!(
        relaxed
            .verify_and_parse(DOWNLOADABLE.as_bytes(), Some(&header))
            .is_ok()
    );
}

#[test]
fn dedup_key_is_stable_across_redeliveries() {
    let first = parse_unverified(DOWNLOADABLE.as_bytes()).unwrap();
    // A retry carries the same event, possibly serialized differently.
    let compact =
        serde_json::to_vec(&serde_json::from_str::<serde_json::Value>(DOWNLOADABLE).unwrap())
            .unwrap();
    let retry = parse_unverified(&compact).unwrap();
    assert_eq!(first.dedup_key(), retry.dedup_key());
    assert_eq!(
        first.dedup_key(),
        DedupKey {
            event_type: "signature_request_downloadable".into(),
            signature_request_id: Some("68d558daa153cb3c30718518".into()),
            event_time: Timestamp::from_unix_millis(1_758_812_586_180),
        }
    );
    assert_eq!(
        first.dedup_key().to_string(),
        "signature_request_downloadable:68d558daa153cb3c30718518:1758812586180"
    );
    let other = parse_unverified(CREATED.as_bytes()).unwrap();
    assert_ne!(first.dedup_key(), other.dedup_key());
    // Each part of the key matters.
    let mut later = first.clone();
    later.event.event_time = later.event.event_time + Duration::from_millis(1);
    assert_ne!(first.dedup_key(), later.dedup_key());
    let mut approved = first.clone();
    approved.event.event_type = EventType::SignatureRequestApproved;
    assert_ne!(first.dedup_key(), approved.dedup_key());
    // An event without a signature request still has a key.
    let bare =
        parse_unverified(br#"{"event":{"event_time":5,"event_type":"signature_request_invalid"}}"#)
            .unwrap();
    assert_eq!(
        bare.dedup_key().to_string(),
        "signature_request_invalid:-:5"
    );
}

#[test]
fn empty_secrets_are_refused_and_secret_strings_are_accepted() {
    let body = BODY.as_bytes();
    let signed_with_nothing = signature("", body);
    assert_eq!(
        WebhookVerifier::new("").verify(body, Some(&signed_with_nothing)),
        Err(WebhookError::NoSecret)
    );
    assert_eq!(
        WebhookVerifier::new("")
            .with_secret(KEY)
            .verify(body, Some(&signed_with_nothing)),
        Err(WebhookError::SignatureMismatch)
    );
    let verifier = WebhookVerifier::new(SecretString::from(KEY)).with_secret(String::new());
    assert_eq!(verifier.verify(body, Some(DIGEST)), Ok(()));
    assert!(format!("{verifier:?}").contains("1 redacted"));
}

#[test]
fn events_round_trip_through_serde() {
    for body in [BODY, DOWNLOADABLE, CREATED] {
        let event = parse_unverified(body.as_bytes()).unwrap();
        let json = serde_json::to_vec(&event).unwrap();
        let again: WebhookEvent = serde_json::from_slice(&json).unwrap();
        assert_eq!(again, event);
        assert_eq!(again.details_url(), event.details_url());
    }
    let unknown = EventType::Unknown("signature_request_sent".into());
    let json = serde_json::to_string(&unknown).unwrap();
    assert_eq!(json, r#""signature_request_sent""#);
    assert_eq!(serde_json::from_str::<EventType>(&json).unwrap(), unknown);
}

#[test]
fn undocumented_error_payloads_and_nulls_parse() {
    // The "Signature Request Error" payload is never shown: whatever it carries is kept.
    let event = parse_unverified(
        br#"{"event":{"event_time":1758812586180,"event_type":"signature_request_invalid","event_metadata":null},
            "signature_request":{"signature_request_id":"68d558daa153cb3c30718518","signers":null,
            "reason":{"code":"INVALID_TEXT_TAGS"},"created_at":"1758812378277"}}"#,
    )
    .unwrap();
    assert_eq!(event.event.event_type, EventType::SignatureRequestInvalid);
    assert_eq!(event.event.event_metadata.workspace_id, None);
    let sr = event.signature_request.unwrap();
    assert!(sr.signers.is_empty());
    assert_eq!(
        sr.other.get("reason"),
        Some(&serde_json::json!({"code": "INVALID_TEXT_TAGS"}))
    );
    // Millisecond timestamps are also accepted as digit strings.
    assert_eq!(
        sr.created_at,
        Some(Timestamp::from_unix_millis(1_758_812_378_277))
    );
    // When both places carry a details URL, the top-level one is preferred.
    let both = parse_unverified(
        br#"{"event":{"event_time":1,"event_type":"signature_request_viewed"},
            "signature_request":{"details_url":"inside"},"details_url":"top"}"#,
    )
    .unwrap();
    assert_eq!(both.details_url(), Some("top"));
}

#[test]
fn secrets_are_not_printed() {
    let verifier = WebhookVerifier::new("whsec_do_not_print").with_secret("old_key_do_not_print");
    let printed = format!("{verifier:?}");
    assert!(!printed.contains("do_not_print"), "{printed}");
    assert!(printed.contains("2 redacted"), "{printed}");
}
