//! Rules the spec states about request bodies that a type cannot: checked before sending.
//!
//! `openapi.yaml` states them on its body schemas (`minItems`, and the extensions
//! `x-lumin-exclusive`, `x-lumin-required-one-of`, `x-lumin-required-if` and
//! `x-lumin-includes`); `lumin-codegen` writes them into each operation's
//! [`Operation::rules`](crate::operation::Operation::rules) as data, and the call layer
//! checks the JSON body against them before anything is sent. The multipart uploads of
//! [`crate::files`] check the same rules, counting their file parts as given.
//!
//! Field paths are dotted (`location.space_id`); `a[]` stands for every item of the array
//! `a` (`signers[].group`). A field counts as given when it is present, not `null`, and not
//! an empty array.

use serde_json::Value;

/// One rule on a request body: what it checks, and where it was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The path of the object the rule applies to (`""` for the body itself,
    /// `signers[].verification.payload` for every signer's verification payload).
    pub at: &'static str,
    /// What it checks, with field paths relative to `at`.
    pub check: Check,
}

/// What a [`Rule`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Check {
    /// `x-lumin-exclusive`: at most one of these fields is given.
    AtMostOne(&'static [&'static str]),
    /// `x-lumin-required-one-of`: at least one of these fields is given.
    AtLeastOne(&'static [&'static str]),
    /// `minItems`: the array field, when present, holds at least `min` items.
    MinItems {
        /// The array field.
        field: &'static str,
        /// Fewest items.
        min: usize,
    },
    /// `x-lumin-required-if`: when every `when` field has its value, one of `then` is
    /// given.
    RequiredIf {
        /// Fields and the values they must have for the rule to apply.
        when: &'static [(&'static str, &'static str)],
        /// Alternatives, one of which must be given.
        then: &'static [&'static str],
    },
    /// `x-lumin-includes`: the array field, when given, holds every one of `values`.
    Includes {
        /// The array field.
        field: &'static str,
        /// Values it must hold.
        values: &'static [&'static str],
    },
}

/// A request body that breaks a documented rule; nothing was sent. Field names are full
/// paths in the body, with item indices (`signers[1].group`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// More than one of mutually exclusive fields was given (`x-lumin-exclusive`).
    #[error("only one of {allowed:?} may be given, but {given:?} were")]
    ExclusiveInputs {
        /// The fields of which one may be given.
        allowed: Vec<String>,
        /// The fields that were given.
        given: Vec<String>,
    },
    /// None of the fields of which one is required was given (`x-lumin-required-one-of`).
    #[error("one of {allowed:?} must be given")]
    MissingInput {
        /// The fields of which one must be given.
        allowed: Vec<String>,
    },
    /// A list has fewer items than documented (`minItems`).
    #[error("`{field}` must hold at least {min} item(s), but holds {actual}")]
    TooFewItems {
        /// The list.
        field: String,
        /// Fewest items allowed.
        min: usize,
        /// Items given.
        actual: usize,
    },
    /// A field required by the value of another was not given (`x-lumin-required-if`).
    #[error("{} required when `{when}` is {value:?}", required_list(required))]
    RequiredWhen {
        /// The field that must be given, or the alternatives of which one must be.
        required: Vec<String>,
        /// The field whose value makes it required.
        when: String,
        /// That value.
        value: String,
    },
    /// A list lacks values it must always hold (`x-lumin-includes`).
    #[error("`{field}` must include {required:?}, but lacks {missing:?}")]
    MissingValues {
        /// The list.
        field: String,
        /// The values it must hold.
        required: Vec<String>,
        /// The values it lacks.
        missing: Vec<String>,
    },
}

fn required_list(fields: &[String]) -> String {
    match fields {
        [one] => format!("`{one}` is"),
        many => format!("one of {many:?} is"),
    }
}

/// Checks `body` against `rules`. `extra_given` names fields sent outside the JSON body
/// (multipart file parts: `file`, `document_data.file`), which count as given.
pub(crate) fn check(rules: &[Rule], body: &Value, extra_given: &[&str]) -> Result<(), RuleError> {
    for rule in rules {
        for (prefix, scope) in resolve(body, rule.at) {
            if let Some(scope @ Value::Object(_)) = scope {
                check_one(rule.check, &prefix, scope, extra_given)?;
            }
        }
    }
    Ok(())
}

fn check_one(
    check: Check,
    prefix: &str,
    scope: &Value,
    extra_given: &[&str],
) -> Result<(), RuleError> {
    let full = |field: &str| join(prefix, field);
    let given = |field: &str| -> bool {
        let found = resolve(scope, field);
        let any = found.iter().any(|(_, value)| present(*value));
        any || extra_given.contains(&full(field).as_str())
    };
    let names = |fields: &[&str]| fields.iter().map(|f| full(f)).collect::<Vec<_>>();
    match check {
        Check::AtMostOne(fields) => {
            let given: Vec<String> = fields
                .iter()
                .filter(|f| given(f))
                .map(|f| full(f))
                .collect();
            if given.len() > 1 {
                return Err(RuleError::ExclusiveInputs {
                    allowed: names(fields),
                    given,
                });
            }
        }
        Check::AtLeastOne(fields) => {
            if !fields.iter().any(|f| given(f)) {
                return Err(RuleError::MissingInput {
                    allowed: names(fields),
                });
            }
        }
        Check::MinItems { field, min } => {
            for (path, value) in resolve(scope, field) {
                if let Some(Value::Array(items)) = value
                    && items.len() < min
                {
                    return Err(RuleError::TooFewItems {
                        field: join(prefix, &path),
                        min,
                        actual: items.len(),
                    });
                }
            }
        }
        Check::RequiredIf { when, then } => {
            let applies = when.iter().all(|(field, expected)| {
                resolve(scope, field)
                    .iter()
                    .any(|(_, value)| value.is_some_and(|v| equals(v, expected)))
            });
            if !applies {
                return Ok(());
            }
            // The first alternative that is given in full satisfies the rule; otherwise
            // report what the first alternative lacks (with item indices).
            let lacking = |field: &str| -> Vec<String> {
                resolve(scope, field)
                    .into_iter()
                    .map(|(path, value)| (join(prefix, &path), value))
                    .filter(|(path, value)| {
                        !present(*value) && !extra_given.contains(&path.as_str())
                    })
                    .map(|(path, _)| path)
                    .collect()
            };
            if then.iter().any(|field| lacking(field).is_empty()) {
                return Ok(());
            }
            let required = match then {
                [only] => lacking(only).into_iter().take(1).collect(),
                many => names(many),
            };
            let (field, value) = when[0];
            return Err(RuleError::RequiredWhen {
                required,
                when: full(field),
                value: value.to_owned(),
            });
        }
        Check::Includes { field, values } => {
            for (path, value) in resolve(scope, field) {
                let Some(Value::Array(items)) = value else {
                    continue;
                };
                let missing: Vec<String> = values
                    .iter()
                    .filter(|v| !items.iter().any(|item| equals(item, v)))
                    .map(|v| (*v).to_owned())
                    .collect();
                if !missing.is_empty() {
                    return Err(RuleError::MissingValues {
                        field: join(prefix, &path),
                        required: values.iter().map(|v| (*v).to_owned()).collect(),
                        missing,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Given: present, not `null`, not an empty array.
fn present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

/// A JSON scalar equal to the text of a spec value.
fn equals(value: &Value, expected: &str) -> bool {
    match value {
        Value::String(text) => text == expected,
        Value::Bool(flag) => expected == if *flag { "true" } else { "false" },
        Value::Number(number) => number.to_string() == expected,
        _ => false,
    }
}

fn join(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{field}"),
    }
}

/// Every place `path` names in `value`, with its concrete path (`a[]` expanded to `a[0]`,
/// `a[1]`, …; an absent or non-array `a` expands to nothing) and what is there.
fn resolve<'v>(value: &'v Value, path: &str) -> Vec<(String, Option<&'v Value>)> {
    let mut out = Vec::new();
    let segments: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').collect()
    };
    walk(Some(value), &segments, String::new(), &mut out);
    out
}

fn walk<'v>(
    value: Option<&'v Value>,
    segments: &[&str],
    at: String,
    out: &mut Vec<(String, Option<&'v Value>)>,
) {
    let Some((segment, rest)) = segments.split_first() else {
        out.push((at, value));
        return;
    };
    if let Some(name) = segment.strip_suffix("[]") {
        if let Some(Value::Array(items)) = value.and_then(|v| v.get(name)) {
            for (i, item) in items.iter().enumerate() {
                walk(Some(item), rest, format!("{}[{i}]", join(&at, name)), out);
            }
        }
    } else {
        walk(
            value.and_then(|v| v.get(*segment)),
            rest,
            join(&at, segment),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ORDER: Rule = Rule {
        at: "",
        check: Check::RequiredIf {
            when: &[("signing_type", "ORDER")],
            then: &["signers[].group"],
        },
    };

    #[test]
    fn required_if_names_the_item_that_lacks_the_field() {
        let body = json!({"signing_type": "ORDER", "signers": [{"group": 1}, {"name": "b"}]});
        assert_eq!(
            check(&[ORDER], &body, &[]),
            Err(RuleError::RequiredWhen {
                required: vec!["signers[1].group".into()],
                when: "signing_type".into(),
                value: "ORDER".into(),
            })
        );
        let same_time = json!({"signing_type": "SAME_TIME", "signers": [{"name": "b"}]});
        assert_eq!(check(&[ORDER], &same_time, &[]), Ok(()));
    }

    #[test]
    fn nested_rules_apply_to_every_object_at_their_path() {
        let claims = Rule {
            at: "signers[].verification.payload",
            check: Check::Includes {
                field: "claims",
                values: &["given_name", "family_name"],
            },
        };
        let body = json!({"signers": [
            {"name": "a"},
            {"verification": {"payload": {"claims": ["given_name"]}}}
        ]});
        assert_eq!(
            check(&[claims], &body, &[]),
            Err(RuleError::MissingValues {
                field: "signers[1].verification.payload.claims".into(),
                required: vec!["given_name".into(), "family_name".into()],
                missing: vec!["family_name".into()],
            })
        );
    }

    #[test]
    fn a_file_part_counts_as_given() {
        let upload = Rule {
            at: "",
            check: Check::RequiredIf {
                when: &[("method", "file-upload")],
                then: &["document_data.file_url", "document_data.file"],
            },
        };
        let body = json!({"method": "file-upload", "document_data": {"template_id": "pdf_1"}});
        assert!(matches!(
            check(&[upload], &body, &[]),
            Err(RuleError::RequiredWhen { required, .. }) if required.len() == 2
        ));
        assert_eq!(check(&[upload], &body, &["document_data.file"]), Ok(()));
    }

    #[test]
    fn messages_name_the_rule_and_the_field() {
        let error = RuleError::RequiredWhen {
            required: vec!["location.space_id".into()],
            when: "location.type".into(),
            value: "space".into(),
        };
        assert_eq!(
            error.to_string(),
            "`location.space_id` is required when `location.type` is \"space\""
        );
        let error = RuleError::TooFewItems {
            field: "signers".into(),
            min: 1,
            actual: 0,
        };
        assert_eq!(
            error.to_string(),
            "`signers` must hold at least 1 item(s), but holds 0"
        );
    }
}
