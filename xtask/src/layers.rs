//! `cargo xtask tidy`, second check: the crate's modules depend on each other one way.
//!
//! Each module of `src/` sits in a layer; code in it may name (`crate::m…`) modules of its
//! own layer or of the layers below, never above. Values and the facts checked before
//! sending are at the bottom, the error type above them, and the call layer with
//! everything built on it on top. The generated client belongs to the top (its
//! builders run the call layer), its `types` to the bottom. Comments are not code and are
//! skipped, so documentation may link anywhere.

use std::path::Path;

/// The layers, lowest first.
pub const LAYERS: &[&[&str]] = &[
    // Values, the facts of each operation and the rules checked before sending.
    &[
        "types",
        "time",
        "auth",
        "clock",
        "limits",
        "wire",
        "rules",
        "operation",
        "retry",
        "endpoint",
        "expiry",
        "schema",
        "webhooks",
    ],
    // The one error type.
    &["error"],
    // The call layer and what is built on it.
    &["call", "client", "files", "pages", "oauth", "generated"],
];

/// What the crate root re-exports, by the module it comes from.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Result", "error"),
    ("Error", "error"),
    ("ClientBuilder", "client"),
    ("Client", "generated"),
    ("ClientInfo", "generated"),
    ("ResponseValue", "generated"),
    ("ByteStream", "generated"),
    ("operations", "generated"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The module a `crate::name` refers to.
fn module_named(name: &str) -> &str {
    ROOT_ITEMS
        .iter()
        .find(|(item, _)| *item == name)
        .map_or(name, |(_, module)| module)
}

/// The problems in one source file of `module`: each `crate::…` that reaches a higher
/// layer, and each module no layer lists.
pub fn check_file(file: &str, module: &str, text: &str) -> Vec<String> {
    let Some(own) = layer_of(module) else {
        return vec![format!(
            "{file}: module `{module}` is in no layer (xtask/src/layers.rs)"
        )];
    };
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let target = module_named(&name);
            if target == module {
                continue;
            }
            match layer_of(target) {
                Some(layer) if layer <= own => {}
                Some(_) => problems.push(format!(
                    "{file}:{}: `{module}` names `crate::{name}`, a higher layer",
                    n + 1
                )),
                None => problems.push(format!(
                    "{file}:{}: `crate::{name}` is in no layer (xtask/src/layers.rs)",
                    n + 1
                )),
            }
        }
    }
    problems
}

/// Checks every `.rs` file under `src/` (of the workspace at `root`) that `tracked` lists.
pub fn check(root: &Path, tracked: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for file in tracked {
        let Some(rest) = file.strip_prefix("src/") else {
            continue;
        };
        if !file.ends_with(".rs") || rest == "lib.rs" {
            continue;
        }
        let module = rest
            .split('/')
            .next()
            .unwrap_or(rest)
            .trim_end_matches(".rs");
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        problems.extend(check_file(file, module, &text));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lower_module_naming_a_higher_one_is_a_problem() {
        let text = "use crate::files::FilesError;\n";
        let problems = check_file("src/error.rs", "error", text);
        assert_eq!(
            problems,
            ["src/error.rs:1: `error` names `crate::files`, a higher layer"]
        );
    }

    #[test]
    fn the_same_or_a_lower_layer_and_comments_are_fine() {
        let text = "//! See [`crate::files`].\nuse crate::rules::RuleError;\nfn f() -> crate::Result<()> { todo!() }\n";
        assert!(check_file("src/call.rs", "call", text).is_empty());
        assert!(check_file("src/error.rs", "error", "/// [`crate::call`]\n").is_empty());
    }

    #[test]
    fn the_crate_root_items_count_as_their_modules() {
        let problems = check_file("src/rules.rs", "rules", "fn f() -> crate::Result<()> {}\n");
        assert_eq!(
            problems,
            ["src/rules.rs:1: `rules` names `crate::Result`, a higher layer"]
        );
    }

    #[test]
    fn a_module_in_no_layer_is_a_problem() {
        let problems = check_file("src/new.rs", "new", "");
        assert_eq!(
            problems,
            ["src/new.rs: module `new` is in no layer (xtask/src/layers.rs)"]
        );
    }
}
