//! `cargo xtask check`: everything CI checks, in one command.
//!
//! Every step runs even when an earlier one fails; the summary names, for each failure,
//! the command that fixes it.

use std::process::Command;

use crate::{SHARED_UPSTREAM, spec, workspace_root};

/// One step: what it runs, and how to fix its failure.
pub struct Step {
    /// The command as a maintainer would type it.
    pub command: &'static str,
    /// Environment variables it needs.
    pub env: &'static [(&'static str, &'static str)],
    /// The cargo arguments.
    pub args: &'static [&'static str],
    /// What to do when it fails.
    pub fix: &'static str,
}

/// The cargo steps of CI (`.ci/run`), in its order.
pub const STEPS: &[Step] = &[
    Step {
        command: "cargo fmt --all --check",
        env: &[],
        args: &["fmt", "--all", "--check"],
        fix: "run `cargo fmt --all`",
    },
    Step {
        command: "cargo clippy --workspace --all-targets -- -D warnings",
        env: &[],
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        fix: "fix the lints above (`cargo clippy --fix --workspace --all-targets --allow-dirty` \
              fixes some of them)",
    },
    Step {
        command: "RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --workspace",
        env: &[("RUSTDOCFLAGS", "-Dwarnings")],
        args: &["doc", "--no-deps", "--workspace"],
        fix: "fix the rustdoc warnings above (broken links, missing docs)",
    },
    Step {
        command: "cargo test --workspace",
        env: &[],
        args: &["test", "--workspace"],
        fix: "fix the failing tests above; if a snapshot changed on purpose (openapi.yaml or the \
              generator), review it with `cargo insta review` (install: `cargo install \
              cargo-insta`), or accept all with `INSTA_UPDATE=always cargo test -p xtask` and \
              read `git diff xtask/tests/snapshots`",
    },
];

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs every step and the spec sync report; fails naming the fix of each failed step.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    let mut failures = Vec::new();
    for step in STEPS {
        println!("\n==> {}", step.command);
        let status = Command::new(cargo())
            .args(step.args)
            .envs(step.env.iter().copied())
            .current_dir(&root)
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(_) => failures.push(format!("`{}` failed: {}", step.command, step.fix)),
            Err(e) => failures.push(format!("`{}` could not run: {e}", step.command)),
        }
    }
    println!("\n==> cargo xtask spec sync --from {SHARED_UPSTREAM}");
    match std::fs::read_to_string(root.join(SHARED_UPSTREAM)) {
        Err(_) => println!(
            "skipped: {SHARED_UPSTREAM} is not there (CI has shared/ beside the repository)"
        ),
        Ok(upstream) => {
            let ours = std::fs::read_to_string(root.join("openapi.yaml"))
                .map_err(|e| format!("openapi.yaml: {e}"))?;
            match spec::sync(&upstream, SHARED_UPSTREAM, &ours) {
                Ok(sync) => println!("{}", sync.report.lines().last().unwrap_or_default()),
                Err(e) => failures.push(format!(
                    "spec sync failed: {e}; add a normalization rule in xtask/src/spec/normalize.rs"
                )),
            }
        }
    }
    if failures.is_empty() {
        println!("\nAll checks passed.");
        Ok(())
    } else {
        Err(format!(
            "{} check(s) failed:\n  - {}",
            failures.len(),
            failures.join("\n  - ")
        ))
    }
}
