//! What a URL the client sends credentials to must be: the API base URL and the OAuth
//! endpoints.
//!
//! - absolute `http` or `https`, with a host and no user name or password;
//! - `https`, except for a loopback host (`127.0.0.0/8`, `::1`, `localhost`): plain
//!   `http` elsewhere would send API keys, tokens and client secrets in the clear, so it
//!   takes an explicit opt-in ([`ClientBuilder::allow_insecure_http`](crate::ClientBuilder::allow_insecure_http),
//!   [`AppBuilder::allow_insecure_http`](crate::oauth::AppBuilder::allow_insecure_http));
//! - no fragment; and for the API base URL no query either, since paths are appended
//!   to it (`http://proxy/?x=1` would become `/?x=1/user/info`). OAuth endpoints may
//!   carry a query (RFC 6749 §3.1).

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use url::{Host, Url};

/// Why a URL cannot be used as an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// It does not parse as an absolute URL.
    #[error("not an absolute URL")]
    Parse(#[source] url::ParseError),
    /// Its scheme is neither `http` nor `https`.
    #[error("the scheme {0:?} is not http or https")]
    Scheme(String),
    /// It has no host.
    #[error("it has no host")]
    NoHost,
    /// It carries a user name or password.
    #[error("it carries a user name or password")]
    UserInfo,
    /// It has a query (`?…`), where paths are appended to it.
    #[error("it has a query; paths are appended to this URL")]
    Query,
    /// It has a fragment (`#…`).
    #[error("it has a fragment")]
    Fragment,
    /// Plain `http` to a host that is not loopback, without the opt-in.
    #[error(
        "plain http to {host} would send credentials unencrypted; use https, or opt in with allow_insecure_http"
    )]
    InsecureHttp {
        /// The host.
        host: String,
    },
}

/// Checks `url` by the rules of this module; `query_allowed` for OAuth endpoints.
pub(crate) fn check(url: &str, insecure_http: bool, query_allowed: bool) -> Result<Url, UrlError> {
    let parsed = Url::parse(url).map_err(UrlError::Parse)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlError::Scheme(parsed.scheme().to_owned()));
    }
    let Some(host) = parsed.host() else {
        return Err(UrlError::NoHost);
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlError::UserInfo);
    }
    if parsed.query().is_some() && !query_allowed {
        return Err(UrlError::Query);
    }
    if parsed.fragment().is_some() {
        return Err(UrlError::Fragment);
    }
    if parsed.scheme() == "http" && !insecure_http && !is_loopback(&host) {
        return Err(UrlError::InsecureHttp {
            host: host.to_string(),
        });
    }
    Ok(parsed)
}

/// `127.0.0.0/8`, `::1` (also as an IPv4-mapped address) or `localhost`.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).to_canonical().is_loopback(),
    }
}

/// The API base URL, parsed once when the client is built. An operation's URL is this one
/// with the operation's path set after the base's own path: made without parsing the
/// scheme and host again, as formatting a string and parsing it would on every call.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl {
    url: Url,
    /// The base's path without a trailing `/` (empty for a URL with no path).
    path: String,
}

impl BaseUrl {
    /// The base for `url`, a URL [`check`] accepted for the API (so it has no query or
    /// fragment).
    pub(crate) fn new(url: Url) -> Self {
        let path = url.path().trim_end_matches('/').to_owned();
        BaseUrl { url, path }
    }

    /// This URL with `path` appended to its path: what parsing the base URL's text
    /// followed by `path` gives. `path` starts with `/`, its parameters already
    /// percent-encoded (see `call::PathText`).
    pub(crate) fn with_path(&self, path: fmt::Arguments<'_>) -> Url {
        let mut full = String::with_capacity(self.path.len() + 64);
        full.push_str(&self.path);
        // Writing to a `String` fails only when a parameter's `Display` does; the
        // parameters are strings and numbers, whose `Display` cannot.
        let _ = full.write_fmt(path);
        let mut url = self.url.clone();
        url.set_path(&full);
        url
    }
}

/// `url` with any user name and password removed, for error messages.
pub(crate) fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the client did before, on every call: the base's text, trimmed of a trailing
    /// `/`, then the path, parsed as one URL.
    fn parsed_whole(base: &str, path: &str) -> Url {
        Url::parse(&format!("{}{path}", base.trim_end_matches('/'))).unwrap()
    }

    #[test]
    fn an_operation_url_is_what_parsing_the_whole_text_gives() {
        let bases = [
            "https://api.luminpdf.com/v1",
            "https://api.luminpdf.com/v1/",
            "http://127.0.0.1:8080/v1",
            "http://localhost",
            "http://localhost/",
            "https://proxy.example/a%20b/lumin/v1",
            "https://proxy.example/caf\u{e9}/v1",
            "https://PROXY.example:443/v1",
        ];
        let paths = [
            "/user/info",
            "/signature_request/sr_1/signing-session",
            // Parameters as `PathText` encodes them, and what it leaves alone.
            "/signature_request/a%2Fb%3Fc%23d%25e/cancel",
            "/template/caf\u{e9}/x",
            // Dot segments, which parsing removes (`%2e%2e` is `..`).
            "/signature_request/%2e%2e/user/info",
            "/signature_request/sr_1/..",
            "/signature_request/./x",
            "/templates",
        ];
        for base in bases {
            let parsed = check(base, false, false).unwrap();
            let made = BaseUrl::new(parsed);
            for path in paths {
                let url = made.with_path(format_args!("{path}"));
                assert_eq!(url, parsed_whole(base, path), "{base} + {path}");
                assert_eq!(url.as_str(), parsed_whole(base, path).as_str());
            }
        }
        let made = BaseUrl::new(check("http://127.0.0.1:8080/v1", false, false).unwrap());
        assert_eq!(
            made.with_path(format_args!(
                "/signature_request/{}/signing-session",
                "sr 1"
            ))
            .as_str(),
            "http://127.0.0.1:8080/v1/signature_request/sr%201/signing-session"
        );
    }

    #[test]
    fn loopback_may_be_plain_http_and_nothing_else_may() {
        for ok in [
            "http://127.0.0.1:8080/v1",
            "http://127.1.2.3",
            "http://[::1]:9000",
            "http://localhost/v1",
            "http://LOCALHOST",
            "https://api.luminpdf.com/v1",
        ] {
            assert!(check(ok, false, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.luminpdf.com/v1",
            "http://10.0.0.1",
            "http://localhost.example.com",
        ] {
            assert!(
                matches!(check(bad, false, false), Err(UrlError::InsecureHttp { .. })),
                "{bad}"
            );
            assert!(check(bad, true, false).is_ok(), "{bad}");
        }
    }

    #[test]
    fn queries_fragments_and_user_info_are_refused() {
        assert_eq!(
            check("http://proxy/?x=1", true, false),
            Err(UrlError::Query)
        );
        assert!(check("https://auth.example/authorize?tenant=a", false, true).is_ok());
        assert_eq!(
            check("https://a.example/v1#x", false, true),
            Err(UrlError::Fragment)
        );
        assert_eq!(
            check("https://u:p@a.example", false, false),
            Err(UrlError::UserInfo)
        );
        assert_eq!(redacted("https://u:p@a.example/v1"), "https://a.example/v1");
        assert!(matches!(
            check("ftp://a.example", false, false),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(
            check("/v1", false, false),
            Err(UrlError::Parse(_))
        ));
    }
}
