//! Rules the spec states about request bodies that a type cannot: checked before sending.

use serde_json::Value;

/// A request body that breaks a documented cross-field rule; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// More than one of mutually exclusive fields (`file`, `files`, `file_url`,
    /// `file_urls`) was given.
    #[error("only one of {allowed:?} may be given, but {given:?} were")]
    ExclusiveInputs {
        /// The fields of which one may be given.
        allowed: Vec<String>,
        /// The fields that were given.
        given: Vec<String>,
    },
    /// None of the fields of which one is required was given.
    #[error("one of {allowed:?} must be given")]
    MissingInput {
        /// The fields of which one must be given.
        allowed: Vec<String>,
    },
}

/// Checks the mutually exclusive fields `allowed` in `body`: at most one present (counting
/// `extra_given`, fields sent outside the JSON body); `required` also demands one.
pub(crate) fn check_exclusive(
    allowed: &[&str],
    body: &Value,
    extra_given: &[&str],
    required: bool,
) -> Result<(), RuleError> {
    let present = |field: &str| match body.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    };
    let given: Vec<String> = allowed
        .iter()
        .filter(|field| present(field) || extra_given.contains(field))
        .map(|field| (*field).to_owned())
        .collect();
    let allowed = || allowed.iter().map(|f| (*f).to_owned()).collect();
    match given.len() {
        0 if required => Err(RuleError::MissingInput { allowed: allowed() }),
        0 | 1 => Ok(()),
        _ => Err(RuleError::ExclusiveInputs {
            allowed: allowed(),
            given,
        }),
    }
}
