//! `cargo xtask`: the maintainer's commands for the `lumin` crate. Run `cargo xtask help`.

use std::process::ExitCode;

use xtask::spec::command::Exit;
use xtask::{PUBLISHED_SPEC_URL, check, spec, surface, tidy, workspace_root};

const HELP: &str = "\
cargo xtask <command>

Commands:
  spec sync [--from <file or https URL>] [--check | --write]
      Normalize an upstream Lumin OpenAPI document (3.0 or 3.1, YAML or JSON) and report how
      it differs from openapi.yaml. Without --from it fetches the file Lumin publishes:
        PUBLISHED
      (a copy from 2026-01-29 is xtask/upstream-specs/openapi.2026-01-29.yaml). The report is
      always printed. --write: take upstream's new operations, fields, parameters, statuses,
      enum values and constraints into openapi.yaml, keeping everything of ours (review with
      `git diff openapi.yaml`). --check: only report (the default; kept for scripts).
      Exit status: 0 no drift; 1 drift (with --write: drift that remains after it); 2 the
      input could not be read or parsed (a syntax error names file:line:column), or wrong
      arguments.
  surface
      Print the public surface of the generated client (operations and models).
  tidy
      Check the tracked files without building: no file but Markdown names a path that
      leaves the repository (a `../` path must resolve, from its file's directory, to a
      tracked file or directory).
  bench [--quick]
      Run lumin side by side with raw reqwest against a local server the bench starts, and
      print one table (latency p50/p99, throughput at 64 in flight, peak RSS of a large
      upload and download, token requests for 1000 calls on an expired token). --quick
      takes seconds; the full run is for humans (README's Performance section).
  check
      Run everything CI checks: tidy, fmt, clippy, doc, tests, the examples, the feature
      builds, cargo package, and the spec sync report on the vendored upstream spec.
  help
      Print this.
";

/// `cargo bench --bench compare` with the bench's own flags.
fn bench(args: &[&str]) -> Result<(), String> {
    let quick = match args {
        [] => false,
        ["--quick"] => true,
        other => return Err(format!("bench: unknown arguments {}", other.join(" "))),
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = std::process::Command::new(cargo);
    command
        .args(["bench", "--bench", "compare", "--"])
        .current_dir(workspace_root());
    if quick {
        command.arg("--quick");
    }
    let status = command
        .status()
        .map_err(|e| format!("running cargo bench: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("the bench failed: see the error above".to_owned())
    }
}

fn help() -> String {
    HELP.replace("PUBLISHED", PUBLISHED_SPEC_URL)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["spec", "sync", rest @ ..] => return spec::command::run(rest).into(),
        ["surface"] => print_surface(),
        ["tidy"] => tidy::run(),
        ["check"] => check::run(),
        ["bench", rest @ ..] => bench(rest),
        [] | ["help" | "--help" | "-h"] => {
            print!("{}", help());
            Ok(())
        }
        _ => {
            eprintln!("error: unknown command: {}\n\n{}", args.join(" "), help());
            return Exit::Error.into();
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_surface() -> Result<(), String> {
    let generated = lumin_codegen::generate(&workspace_root().join("openapi.yaml"))
        .map_err(|e| e.to_string())?;
    print!("{}", surface::render(&generated)?);
    Ok(())
}
