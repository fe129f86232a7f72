//! What the spec says about each operation, in one table the call layer reads.
//!
//! `lumin-codegen` writes one [`Operation`] per operation of `openapi.yaml` (see
//! `operation_facts` in the generated code); every builder hands its own to the call
//! layer, so nothing is looked up by name at run time.

use reqwest::{Method, StatusCode};

/// The facts of one operation.
#[derive(Debug)]
pub struct Operation {
    /// progenitor's operation id, snake case: `get_user_information`.
    pub id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template: `/signature_request/{signature_request_id}`.
    pub path: &'static str,
    /// Headers the client sets on every request of this operation (lower-case names):
    /// required headers with a documented default, and `Accept` for PDF-only answers.
    pub default_headers: &'static [(&'static str, &'static str)],
    /// The documented rules on the JSON body, checked before sending (see
    /// [`crate::rules`]); `None` when the operation has none, so it pays nothing for them.
    pub rules: Option<&'static [crate::rules::Rule]>,
    /// Documented success statuses, as inclusive ranges.
    pub success_statuses: &'static [(u16, u16)],
    /// Whether sending the request again cannot do anything twice: GET, PUT, DELETE by
    /// their HTTP semantics; POST and PATCH only with `x-lumin-retry-safe: true`.
    pub retry_safe: bool,
    /// How the operation pages, when it does (`x-lumin-pagination`).
    pub pagination: Option<Pagination>,
}

/// Which response fields of a paged list hold its items and its total count.
#[derive(Debug, Clone, Copy)]
pub struct Pagination {
    /// The field holding the page's items (`data`).
    pub items: &'static str,
    /// The field holding the total number of items (`total_count`).
    pub total: &'static str,
}

impl Operation {
    /// True when the spec documents `status` as a success of this operation.
    pub fn is_success(&self, status: StatusCode) -> bool {
        let code = status.as_u16();
        self.success_statuses
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&code))
    }

    /// Checks a request body against the operation's documented rules, counting the
    /// fields in `given` (multipart file parts) as present. Nothing to do without rules.
    pub(crate) fn check_rules(
        &self,
        body: &serde_json::Value,
        given: &[&str],
    ) -> Result<(), crate::rules::RuleError> {
        match self.rules {
            Some(rules) => crate::rules::check(rules, body, given),
            None => Ok(()),
        }
    }
}
