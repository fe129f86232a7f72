//! The exit codes of the real `cargo xtask spec sync` binary: 0 for no drift, 1 for drift,
//! 2 when an input cannot be read or parsed.

use std::process::{Command, Output};

use xtask::{VENDORED_UPSTREAM, workspace_root};

const COLON_IN_PLAIN_SCALAR: &str = "xtask/tests/fixtures/openapi.colon-in-plain-scalar.yaml";

fn spec_sync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["spec", "sync"])
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("the xtask binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn ours_against_ours_is_no_drift_exit_0() {
    let out = spec_sync(&["--from", "openapi.yaml"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.ends_with("No drift.\n"), "{stdout}");
    // --check only reports, with the same exit code.
    let out = spec_sync(&["--from", "openapi.yaml", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn the_vendored_upstream_spec_is_drift_exit_1() {
    for extra in [&[][..], &["--check"]] {
        let out = spec_sync(&[&["--from", VENDORED_UPSTREAM][..], extra].concat());
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
        assert!(
            stdout.starts_with(&format!("Upstream: {VENDORED_UPSTREAM} (OpenAPI 3.1.0")),
            "{stdout}"
        );
        assert!(
            stdout.lines().last().unwrap().starts_with("Drift: "),
            "{stdout}"
        );
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
}

#[test]
fn invalid_yaml_is_an_error_with_line_and_column_exit_2() {
    let out = spec_sync(&["--from", COLON_IN_PLAIN_SCALAR]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "no report: {}", text(&out.stdout));
    assert_eq!(
        stderr,
        format!(
            "error: {COLON_IN_PLAIN_SCALAR}:11:24: not valid YAML or JSON: mapping values are \
             not allowed in this context\n"
        )
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unreadable_input_or_bad_arguments_exit_2() {
    let out = spec_sync(&["--from", "xtask/tests/fixtures/no-such-file.yaml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: xtask/tests/fixtures/no-such-file.yaml: "),
        "{stderr}"
    );
    let out = spec_sync(&["--from", "openapi.yaml", "--check", "--write"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = spec_sync(&["--form", "openapi.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
