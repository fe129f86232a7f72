//! The scopes an app asks for, as a typed set.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An OAuth scope: one that Lumin documents, or any other, passed through as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `openid`: basic identity details (user name, email, picture).
    OpenId,
    /// `offline_access`: a refresh token. Private apps only.
    OfflineAccess,
    /// `profile.read`: the user's basic profile.
    ProfileRead,
    /// `profile.settings`: manage the user's account settings.
    ProfileSettings,
    /// `workspaces`: manage the Workspace (create Spaces, list members).
    Workspaces,
    /// `workspaces.read`: view the Workspace the user authenticated with.
    WorkspacesRead,
    /// `templates`: view and manage templates.
    Templates,
    /// `pdf:files`: create, edit and delete PDF files.
    PdfFiles,
    /// `pdf:files.read`: retrieve PDF files.
    PdfFilesRead,
    /// `sign:requests`: create, update and view signature requests.
    SignRequests,
    /// `sign:requests.read`: retrieve signature requests.
    SignRequestsRead,
    /// `agreements`: create, update and delete AgreementGen documents.
    Agreements,
    /// A scope this crate does not know, sent as written.
    Other(String),
}

impl Scope {
    /// Every scope Lumin documents, in the order of its scopes table.
    pub const DOCUMENTED: [Scope; 12] = [
        Scope::OpenId,
        Scope::OfflineAccess,
        Scope::ProfileRead,
        Scope::ProfileSettings,
        Scope::Workspaces,
        Scope::WorkspacesRead,
        Scope::Templates,
        Scope::PdfFiles,
        Scope::PdfFilesRead,
        Scope::SignRequests,
        Scope::SignRequestsRead,
        Scope::Agreements,
    ];

    /// The scope as sent in the `scope` parameter.
    pub fn as_str(&self) -> &str {
        match self {
            Self::OpenId => "openid",
            Self::OfflineAccess => "offline_access",
            Self::ProfileRead => "profile.read",
            Self::ProfileSettings => "profile.settings",
            Self::Workspaces => "workspaces",
            Self::WorkspacesRead => "workspaces.read",
            Self::Templates => "templates",
            Self::PdfFiles => "pdf:files",
            Self::PdfFilesRead => "pdf:files.read",
            Self::SignRequests => "sign:requests",
            Self::SignRequestsRead => "sign:requests.read",
            Self::Agreements => "agreements",
            Self::Other(other) => other,
        }
    }

    /// The scope named `name`: a documented one when the name is known, else [`Scope::Other`].
    pub fn new(name: &str) -> Self {
        Self::DOCUMENTED
            .into_iter()
            .find(|scope| scope.as_str() == name)
            .unwrap_or_else(|| Self::Other(name.to_owned()))
    }

    /// True when the name is a valid scope token (RFC 6749 §3.3: printable ASCII other
    /// than space, `"` and `\`, at least one character).
    pub(crate) fn is_well_formed(&self) -> bool {
        let name = self.as_str();
        !name.is_empty()
            && name
                .bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Scope {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

impl FromStr for Scope {
    type Err = std::convert::Infallible;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(name))
    }
}

/// A set of scopes, kept in the order they were added and sent space-separated.
///
/// ```
/// use lumin::oauth::{Scope, Scopes};
///
/// let scopes = Scopes::from([Scope::OpenId, Scope::OfflineAccess, Scope::SignRequests]);
/// assert_eq!(scopes.to_string(), "openid offline_access sign:requests");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// No scopes.
    pub fn new() -> Self {
        Self::default()
    }

    /// These scopes and `scope`.
    #[must_use]
    pub fn with(mut self, scope: impl Into<Scope>) -> Self {
        self.insert(scope);
        self
    }

    /// Adds `scope`; returns false when it was already there.
    pub fn insert(&mut self, scope: impl Into<Scope>) -> bool {
        let scope = scope.into();
        if self.contains(&scope) {
            return false;
        }
        self.0.push(scope);
        true
    }

    /// True when `scope` is in the set.
    pub fn contains(&self, scope: &Scope) -> bool {
        self.0.iter().any(|s| s.as_str() == scope.as_str())
    }

    /// The scopes in the order they were added.
    pub fn iter(&self) -> std::slice::Iter<'_, Scope> {
        self.0.iter()
    }

    /// How many scopes the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes of a space-separated `scope` value, as a token response returns them.
    pub fn parse(value: &str) -> Self {
        value
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(Scope::new)
            .collect()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl<S: Into<Scope>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut scopes = Self::new();
        for scope in iter {
            scopes.insert(scope);
        }
        scopes
    }
}

impl<S: Into<Scope>, const N: usize> From<[S; N]> for Scopes {
    fn from(scopes: [S; N]) -> Self {
        scopes.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Scopes {
    type Item = &'a Scope;
    type IntoIter = std::slice::Iter<'a, Scope>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Ok(Self::parse(&value))
    }
}
