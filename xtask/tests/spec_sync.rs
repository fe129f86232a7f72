//! `cargo xtask spec sync` on Lumin's real published spec, as vendored in
//! `xtask/upstream-specs/` (see the README there).
//!
//! The report is snapshotted (`cargo insta review` after a deliberate change), and the
//! differences between that spec and the current docs are asserted one by one, so that a
//! regression in the normalizer or the comparison shows.

use std::path::PathBuf;

use xtask::spec::drift::Change;
use xtask::{VENDORED_UPSTREAM, spec, workspace_root};

fn upstream_path() -> PathBuf {
    workspace_root().join(VENDORED_UPSTREAM)
}

fn sync() -> spec::Sync {
    let upstream = std::fs::read_to_string(upstream_path())
        .unwrap_or_else(|e| panic!("{}: {e}", upstream_path().display()));
    let ours = std::fs::read_to_string(workspace_root().join("openapi.yaml")).unwrap();
    spec::sync(&upstream, VENDORED_UPSTREAM, &ours).expect("the upstream spec normalizes")
}

fn schema_changes(sync: &spec::Sync, title: &str) -> Vec<String> {
    sync.drift
        .schemas
        .iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("no drift for schema {title}:\n{}", sync.report))
        .changes
        .iter()
        .map(Change::to_string)
        .collect()
}

#[test]
fn report_on_the_published_spec() {
    insta::assert_snapshot!("upstream_2026_01_29_report", sync().report);
}

#[test]
fn the_six_newer_operations_are_only_ours() {
    let sync = sync();
    assert!(sync.drift.only_upstream.is_empty(), "{}", sync.report);
    let ids: Vec<&str> = sync
        .drift
        .only_ours
        .iter()
        .map(|op| op.rsplit("  ").next().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "get-signing-link",
            "create-signing-session",
            "merge-documents",
            "compress-document",
            "list-spaces",
            "create-space"
        ]
    );
    assert_eq!(sync.drift.in_both, 18);
}

#[test]
fn the_documented_field_changes_show() {
    let sync = sync();
    // send-from-template + collections
    assert!(
        schema_changes(&sync, "SignatureRequestFromTemplateDTO")
            .contains(&"- collections: object (only ours)".to_owned())
    );
    // template details + collections
    assert!(
        schema_changes(&sync, "TemplateDetail")
            .contains(&"- collections: array (only ours)".to_owned())
    );
    // generate-document + collections (upstream's body is inline)
    assert!(
        schema_changes(
            &sync,
            "DocumentGenerateRequest (upstream: POST /templates/{template_id}/generate-document request application/json)"
        )
        .contains(&"- collections: object (only ours)".to_owned())
    );
    // upload document: method enum + template, and a response schema upstream lacks
    assert!(
        schema_changes(&sync, "DocumentCreateRequest")
            .contains(&"~ method: enum only ours [template]".to_owned())
    );
    let summary = schema_changes(
        &sync,
        "DocumentSummary (upstream: POST /documents 201 application/json)",
    );
    for field in ["id", "name", "created_at", "updated_at"] {
        assert!(
            summary
                .iter()
                .any(|c| c.starts_with(&format!("- {field}: "))
                    && c.ends_with(", required (only ours)")),
            "{field}: {summary:#?}"
        );
    }
    // create agreement + collections and signer_roles
    let agreement = schema_changes(&sync, "AgreementTemplateData");
    assert!(agreement.contains(&"- collections: object (only ours)".to_owned()));
    assert!(agreement.contains(&"- signer_roles: array (only ours)".to_owned()));
}

#[test]
fn normalizing_the_published_spec_uses_the_expected_rules() {
    let report = sync().report;
    for line in [
        "Upstream: xtask/upstream-specs/openapi.2026-01-29.yaml (OpenAPI 3.1.0, 18 operations)",
        "  openapi_version_to_30: 1",
        "  uppercase_status_ranges: 18",
        "  derive_operation_ids: 17",
        "    components.schemas.SignatureRequestDTO.properties.files.items",
    ] {
        assert!(
            report.lines().any(|l| l == line),
            "missing {line:?} in\n{report}"
        );
    }
}
