//! Snapshots of what users compile: the generated client's public surface and its full
//! code, both from `lumin_codegen::generate`, the function `build.rs` calls.
//!
//! Any change to `openapi.yaml` or the generator shows up here as a snapshot diff:
//! review it with `cargo insta review` (or `INSTA_UPDATE=always cargo test -p xtask` and
//! `git diff xtask/tests/snapshots`).

use xtask::{surface, workspace_root};

fn generated() -> lumin_codegen::Generated {
    lumin_codegen::generate(&workspace_root().join("openapi.yaml")).expect("openapi.yaml generates")
}

#[test]
fn public_surface() {
    insta::assert_snapshot!("surface", surface::render(&generated()).unwrap());
}

#[test]
fn generated_client_code() {
    insta::assert_snapshot!("generated_client", generated().client);
}
