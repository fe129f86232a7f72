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
