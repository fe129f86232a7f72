//! Documented request limits as checked types.
//!
//! Each type here can only hold a value Lumin accepts, so a request built from them never
//! leaves with a value the server would reject for its size. String lengths (titles and
//! document names 1–255 characters, Space names 1–100) are checked by the generated
//! string types in [`crate::types`]; their `TryFrom<&str>` fails outside the range.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU64;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A request value outside a documented limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// Page numbers start at 1.
    #[error("page must be 1 or more, not {0}")]
    PageBelowOne(u64),
    /// Page sizes are 10, 25 or 50.
    #[error("limit must be 10, 25 or 50, not {0}")]
    PageLimit(u64),
    /// A list has too few or too many items.
    #[error("expected {}, got {actual}", item_range(*min, *max))]
    ItemCount {
        /// Fewest items allowed.
        min: usize,
        /// Most items allowed; `None` when there is no upper bound.
        max: Option<usize>,
        /// Items given.
        actual: usize,
    },
    /// More than 50 collections in one request.
    #[error("at most {max} collections are allowed per request, got {actual}")]
    TooManyCollections {
        /// Most collections allowed.
        max: usize,
        /// Collections given.
        actual: usize,
    },
    /// A collection with more than 100 records.
    #[error("collection {name:?} has {actual} records; at most {max} are allowed")]
    CollectionTooLong {
        /// The collection's name.
        name: String,
        /// Most records allowed.
        max: usize,
        /// Records given.
        actual: usize,
    },
}

/// "2 to 20 items", or "at least 1 item" for a list with no upper bound.
fn item_range(min: usize, max: Option<usize>) -> String {
    let items = |n: usize| if n == 1 { "item" } else { "items" };
    match max {
        Some(max) if max == min => format!("exactly {max} {}", items(max)),
        Some(max) => format!("{min} to {max} items"),
        None => format!("at least {min} {}", items(min)),
    }
}

/// A page number of a paginated list, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Page(NonZeroU64);

impl Page {
    /// The first page.
    pub const FIRST: Page = Page(NonZeroU64::MIN);

    /// Page `number`, which must be 1 or more.
    pub fn new(number: u64) -> Result<Self, LimitError> {
        NonZeroU64::new(number)
            .map(Page)
            .ok_or(LimitError::PageBelowOne(number))
    }

    /// The page number.
    pub fn get(self) -> u64 {
        self.0.get()
    }

    /// The page after this one.
    pub fn next(self) -> Self {
        Page(self.0.saturating_add(1))
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::FIRST
    }
}

impl TryFrom<u64> for Page {
    type Error = LimitError;
    fn try_from(number: u64) -> Result<Self, LimitError> {
        Self::new(number)
    }
}

impl fmt::Display for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Page {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.get())
    }
}

impl<'de> Deserialize<'de> for Page {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = u64::deserialize(deserializer)?;
        Self::new(number).map_err(serde::de::Error::custom)
    }
}

/// How many records a page holds: 10, 25 or 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum PageLimit {
    /// 10 records.
    Ten,
    /// 25 records.
    #[default]
    TwentyFive,
    /// 50 records.
    Fifty,
}

impl PageLimit {
    /// The number of records.
    pub fn get(self) -> u64 {
        match self {
            Self::Ten => 10,
            Self::TwentyFive => 25,
            Self::Fifty => 50,
        }
    }
}

impl TryFrom<u64> for PageLimit {
    type Error = LimitError;
    fn try_from(value: u64) -> Result<Self, LimitError> {
        match value {
            10 => Ok(Self::Ten),
            25 => Ok(Self::TwentyFive),
            50 => Ok(Self::Fifty),
            other => Err(LimitError::PageLimit(other)),
        }
    }
}

impl fmt::Display for PageLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl Serialize for PageLimit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.get())
    }
}

impl<'de> Deserialize<'de> for PageLimit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(deserializer)?;
        Self::try_from(value).map_err(serde::de::Error::custom)
    }
}

/// A list of `MIN` to `MAX` items (merge inputs: 2–20; reminder emails: at least 1).
///
/// `MAX` defaults to [`UNBOUNDED`], which means "no upper bound" (and is never printed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoundedVec<T, const MIN: usize, const MAX: usize = UNBOUNDED>(Vec<T>);

/// The `MAX` of a [`BoundedVec`] with no upper bound.
pub const UNBOUNDED: usize = usize::MAX;

impl<T, const MIN: usize, const MAX: usize> BoundedVec<T, MIN, MAX> {
    /// Most items allowed, `None` when unbounded.
    pub const fn max_items() -> Option<usize> {
        if MAX == UNBOUNDED { None } else { Some(MAX) }
    }

    /// The items, if there are `MIN` to `MAX` of them.
    pub fn new(items: Vec<T>) -> Result<Self, LimitError> {
        if (MIN..=MAX).contains(&items.len()) {
            Ok(Self(items))
        } else {
            Err(LimitError::ItemCount {
                min: MIN,
                max: Self::max_items(),
                actual: items.len(),
            })
        }
    }

    /// The items.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_print_an_internal_bound() {
        let unbounded = BoundedVec::<String, 1>::new(Vec::new()).unwrap_err();
        assert_eq!(unbounded.to_string(), "expected at least 1 item, got 0");
        assert_eq!(
            BoundedVec::<u8, 2, 20>::new(vec![1])
                .unwrap_err()
                .to_string(),
            "expected 2 to 20 items, got 1"
        );
        assert!(!unbounded.to_string().contains(&usize::MAX.to_string()));
    }
}

impl<T, const MIN: usize, const MAX: usize> std::ops::Deref for BoundedVec<T, MIN, MAX> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T, const MIN: usize, const MAX: usize> TryFrom<Vec<T>> for BoundedVec<T, MIN, MAX> {
    type Error = LimitError;
    fn try_from(items: Vec<T>) -> Result<Self, LimitError> {
        Self::new(items)
    }
}

impl<T: Serialize, const MIN: usize, const MAX: usize> Serialize for BoundedVec<T, MIN, MAX> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>, const MIN: usize, const MAX: usize> Deserialize<'de>
    for BoundedVec<T, MIN, MAX>
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(deserializer)?;
        Self::new(items).map_err(serde::de::Error::custom)
    }
}

/// One record of a collection: column name to text.
pub type CollectionRecord = BTreeMap<String, String>;

/// Rows for the row-loop collections of an AgreementGen template: at most 50 collections
/// of at most 100 records each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Collections(BTreeMap<String, Vec<CollectionRecord>>);

impl Collections {
    /// Most collections in one request.
    pub const MAX_COLLECTIONS: usize = 50;
    /// Most records in one collection.
    pub const MAX_RECORDS: usize = 100;

    /// The collections, if they are within the limits.
    pub fn new(collections: BTreeMap<String, Vec<CollectionRecord>>) -> Result<Self, LimitError> {
        if collections.len() > Self::MAX_COLLECTIONS {
            return Err(LimitError::TooManyCollections {
                max: Self::MAX_COLLECTIONS,
                actual: collections.len(),
            });
        }
        if let Some((name, records)) = collections
            .iter()
            .find(|(_, records)| records.len() > Self::MAX_RECORDS)
        {
            return Err(LimitError::CollectionTooLong {
                name: name.clone(),
                max: Self::MAX_RECORDS,
                actual: records.len(),
            });
        }
        Ok(Self(collections))
    }

    /// The collections by name.
    pub fn as_map(&self) -> &BTreeMap<String, Vec<CollectionRecord>> {
        &self.0
    }
}

impl TryFrom<BTreeMap<String, Vec<CollectionRecord>>> for Collections {
    type Error = LimitError;
    fn try_from(map: BTreeMap<String, Vec<CollectionRecord>>) -> Result<Self, LimitError> {
        Self::new(map)
    }
}

impl Serialize for Collections {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Collections {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::deserialize(deserializer)?;
        Self::new(map).map_err(serde::de::Error::custom)
    }
}

/// The largest upload the client lets through, checked before anything is sent. It
/// depends on the Lumin plan; MB here are decimal, the stricter reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimit(pub u64);

impl UploadLimit {
    /// Paid plans: 200 MB (the default).
    pub const PAID: Self = Self(200_000_000);
    /// The free plan: 20 MB.
    pub const FREE: Self = Self(20_000_000);
}

impl Default for UploadLimit {
    fn default() -> Self {
        Self::PAID
    }
}
