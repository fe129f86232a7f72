//! Redirect URIs, checked against Lumin's registration rules.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use url::{Host, Url};

/// A redirect URI that follows Lumin's rules for registered redirect URIs.
///
/// Lumin accepts `https://` URIs and app-specific schemes (`myapp://callback`), and refuses
/// wildcards, IP-address hosts and relative URIs. The URI is sent exactly as written: at
/// token time it must match a registered URI character for character.
#[derive(Clone, PartialEq, Eq)]
pub struct RedirectUri {
    raw: String,
    url: Url,
}

/// Schemes that are neither `https` nor app-specific, refused as redirect targets.
const NOT_APP_SCHEMES: &[&str] = &[
    "http",
    "ws",
    "wss",
    "ftp",
    "file",
    "data",
    "javascript",
    "vbscript",
    "about",
    "blob",
    "mailto",
];

impl RedirectUri {
    /// Checks `uri` against the rules.
    ///
    /// The rules are checked on the parsed URL (scheme, host, decoded path), so that no
    /// encoding slips past them; the URI itself is kept, and sent, byte for byte as given.
    pub fn new(uri: impl Into<String>) -> Result<Self, RedirectUriError> {
        let raw = uri.into();
        let error = |rule| RedirectUriError {
            uri: raw.clone(),
            rule,
        };
        // The URL parser drops leading and trailing spaces, tabs and newlines; the URI is
        // sent as written, so what it checks must be what goes on the wire.
        if raw.is_empty() || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(error(RedirectUriRule::WellFormed));
        }
        let url = match Url::parse(&raw) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                return Err(error(RedirectUriRule::Absolute));
            }
            Err(_) => return Err(error(RedirectUriRule::WellFormed)),
        };
        let scheme = url.scheme();
        if NOT_APP_SCHEMES.contains(&scheme) {
            return Err(error(RedirectUriRule::HttpsOrAppScheme));
        }
        // `https:host/path` parses, but is not the form a server registers.
        if scheme == "https"
            && !raw
                .get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
        {
            return Err(error(RedirectUriRule::WellFormed));
        }
        let host = url.host_str().map(decode);
        if [host.as_deref(), Some(decode(url.path()).as_str())]
            .into_iter()
            .flatten()
            .any(has_wildcard)
        {
            return Err(error(RedirectUriRule::NoWildcards));
        }
        let is_ip = match url.host() {
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
            // Hosts of app-specific schemes are opaque to the URL parser: decode them and
            // read them as an `https` host would be read (which knows `0x7f.1`, `2130706433`).
            Some(Host::Domain(_)) => host.as_deref().is_some_and(is_ip_host),
            None => false,
        };
        if is_ip {
            return Err(error(RedirectUriRule::NoIpAddresses));
        }
        if url.fragment().is_some() {
            return Err(error(RedirectUriRule::NoFragment));
        }
        Ok(Self { raw, url })
    }

    /// The URI as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The URI, parsed.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// Percent-decodes `text` (invalid UTF-8 replaced).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `*`, or a character that Unicode normalization turns into one (full-width, small).
fn has_wildcard(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '*' | '\u{FF0A}' | '\u{FE61}' | '\u{2217}'))
}

/// True when `host` is an IP address, in any notation a browser reads as one.
fn is_ip_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return true;
    }
    let bracketed = if bare.contains(':') {
        format!("[{bare}]")
    } else {
        bare.to_owned()
    };
    matches!(
        Url::parse(&format!("https://{bracketed}/")).map(|u| u.host().map(|h| h.to_owned())),
        Ok(Some(Host::Ipv4(_) | Host::Ipv6(_)))
    )
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectUri({:?})", self.raw)
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl FromStr for RedirectUri {
    type Err = RedirectUriError;
    fn from_str(uri: &str) -> Result<Self, Self::Err> {
        Self::new(uri)
    }
}

/// A rule for redirect URIs, as Lumin states it (and RFC 6749 for fragments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RedirectUriRule {
    /// "Must use `https://` or an app-specific scheme (e.g., `myapp://callback`)".
    HttpsOrAppScheme,
    /// "No wildcards".
    NoWildcards,
    /// "No IP addresses".
    NoIpAddresses,
    /// "No relative paths": the URI must be absolute.
    Absolute,
    /// RFC 6749 §3.1.2: the URI must not include a fragment.
    NoFragment,
    /// The URI must parse as a URI at all.
    WellFormed,
}

impl fmt::Display for RedirectUriRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HttpsOrAppScheme => "must use https:// or an app-specific scheme",
            Self::NoWildcards => "no wildcards",
            Self::NoIpAddresses => "no IP addresses",
            Self::Absolute => "no relative URIs",
            Self::NoFragment => "no fragment",
            Self::WellFormed => "must be a well-formed URI",
        })
    }
}

/// A redirect URI breaks one of the rules; the error names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redirect URI {uri:?} breaks Lumin's rule: {rule}")]
pub struct RedirectUriError {
    uri: String,
    rule: RedirectUriRule,
}

impl RedirectUriError {
    /// The rule that was broken.
    pub fn rule(&self) -> RedirectUriRule {
        self.rule
    }

    /// The URI as given.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}
