//! Maintainer commands for the `lumin` crate, run as `cargo xtask <command>`.
//!
//! - `spec sync [--from <file or https URL>] [--check | --write]`: normalize an upstream
//!   Lumin OpenAPI document (by default the one Lumin publishes) and report (or merge) how it
//!   differs from `openapi.yaml`; exit 0 for no drift, 1 for drift, 2 when an input cannot
//!   be read or parsed;
//! - `surface`: print the public surface of the generated client;
//! - `tidy`: repository checks that need no build (no tracked file names a path outside
//!   the repository);
//! - `check`: everything CI checks, each failure naming the command that fixes it.
//!
//! The library holds the code so that the tests in `xtask/tests/` run exactly what the
//! commands run.

pub mod check;
pub mod layers;
pub mod spec;
pub mod surface;
pub mod tidy;

use std::path::PathBuf;

/// The workspace root (the directory holding `openapi.yaml`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Lumin's published OpenAPI file as of 2026-01-29, vendored in the repository (see
/// `xtask/upstream-specs/README.md`); relative to [`workspace_root`]. The tests and
/// `cargo xtask check` compare `openapi.yaml` with it.
pub const VENDORED_UPSTREAM: &str = "xtask/upstream-specs/openapi.2026-01-29.yaml";

/// Where Lumin publishes its OpenAPI file (the raw form of the "API Definition" link in its
/// own `info.description`): what `cargo xtask spec sync` reads when no `--from` is given.
pub const PUBLISHED_SPEC_URL: &str =
    "https://raw.githubusercontent.com/luminpdf/luminsign-docs/main/openapi.yaml";
