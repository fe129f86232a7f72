//! `cargo xtask`: the maintainer's commands for the `lumin` crate. Run `cargo xtask help`.

use std::process::ExitCode;

use xtask::{SHARED_UPSTREAM, check, spec, surface, workspace_root};

const HELP: &str = "\
cargo xtask <command>

Commands:
  spec sync --from <file or https URL> [--check] [--write]
      Normalize an upstream Lumin OpenAPI document (3.0 or 3.1, YAML or JSON) and report how
      it differs from openapi.yaml. --check: exit 1 when it differs. --write: take upstream's
      new operations, fields, parameters, statuses, enum values and constraints into
      openapi.yaml, keeping everything of ours (review with `git diff openapi.yaml`).
  surface
      Print the public surface of the generated client (operations and models).
  check
      Run everything CI checks: fmt, clippy, doc, tests, the examples, and the spec sync report.
  help
      Print this.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["spec", "sync", rest @ ..] => spec_sync(rest),
        ["surface"] => print_surface(),
        ["check"] => check::run(),
        [] | ["help" | "--help" | "-h"] => {
            print!("{HELP}");
            Ok(())
        }
        _ => Err(format!("unknown command: {}\n\n{HELP}", args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn spec_sync(args: &[&str]) -> Result<(), String> {
    let mut from = None;
    let mut check = false;
    let mut write = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match *arg {
            "--from" => from = args.next().copied(),
            "--check" => check = true,
            "--write" => write = true,
            other => return Err(format!("spec sync: unknown argument {other}\n\n{HELP}")),
        }
    }
    let from = from.ok_or_else(|| {
        format!("spec sync needs --from <file or https URL>, e.g. --from {SHARED_UPSTREAM}")
    })?;
    let ours_path = workspace_root().join("openapi.yaml");
    let ours_text =
        std::fs::read_to_string(&ours_path).map_err(|e| format!("{}: {e}", ours_path.display()))?;
    let upstream_text = spec::read_source(from)?;
    let sync = spec::sync(&upstream_text, from, &ours_text)?;
    print!("{}", sync.report);
    if write {
        let merged = spec::merge::apply(&ours_text, &sync.drift.patches, &sync.upstream)?;
        if merged.text == ours_text {
            println!("\n--write: nothing to take; openapi.yaml is unchanged.");
        } else {
            std::fs::write(&ours_path, &merged.text)
                .map_err(|e| format!("{}: {e}", ours_path.display()))?;
            println!(
                "\n--write: took {} additions into openapi.yaml:",
                merged.applied.len()
            );
            for line in &merged.applied {
                println!("  {line}");
            }
            println!(
                "Review with `git diff openapi.yaml`, then `cargo insta review` for the generated surface."
            );
        }
    }
    if check && !sync.drift.is_empty() {
        return Err(format!(
            "openapi.yaml differs from {from} (report above). Take upstream's additions with \
             `cargo xtask spec sync --from {from} --write` and review `git diff openapi.yaml`; \
             differences that remain are ours on purpose or need a hand edit."
        ));
    }
    Ok(())
}

fn print_surface() -> Result<(), String> {
    let generated = lumin_codegen::generate(&workspace_root().join("openapi.yaml"))
        .map_err(|e| e.to_string())?;
    print!("{}", surface::render(&generated)?);
    Ok(())
}
