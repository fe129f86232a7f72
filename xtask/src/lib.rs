//! Maintainer commands for the `lumin` crate, run as `cargo xtask <command>`.
//!
//! - `spec sync --from <file or https URL> [--check] [--write]`: normalize an upstream
//!   Lumin OpenAPI document and report (or merge) how it differs from `openapi.yaml`;
//! - `surface`: print the public surface of the generated client;
//! - `check`: everything CI checks, each failure naming the command that fixes it.
//!
//! The library holds the code so that the tests in `xtask/tests/` run exactly what the
//! commands run.

pub mod check;
pub mod spec;
pub mod surface;

use std::path::PathBuf;

/// The workspace root (the directory holding `openapi.yaml`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Where CI finds Lumin's published spec: `shared/` beside the repository.
pub const SHARED_UPSTREAM: &str = "../shared/lumin-api/upstream/openapi.2026-01-29.yaml";
