//! A [`TokenStore`] in a file, so that a rotated refresh token survives a restart.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{StoreError, Token, TokenStore};
use crate::auth::BoxFuture;

/// Why a [`FileTokenStore`] could not load or save. Never shows the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileStoreError {
    /// A file system step failed; a failed save leaves the file as it was.
    #[error("could not {step} {path}")]
    Io {
        /// What was being done (`write`, `rename`, `sync the directory of`, …).
        step: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file does not hold a token.
    #[error("{path} does not hold a token: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Where decoding failed (no token content).
        reason: String,
    },
    /// The blocking file work did not finish (the runtime shut down).
    #[error("the token file work was interrupted")]
    Interrupted,
}

/// A [`TokenStore`] that keeps the token as JSON in one file, readable by its owner only.
///
/// The file holds the refresh token: it is a secret at rest. It is created with mode
/// `0600` on Unix (the directory's permissions are yours to choose). Each save writes a
/// temporary file in the same directory, flushes it to disk, renames it over the file and
/// flushes the directory, so that a crash at any point leaves either the previous token
/// or the new one, never a partial file. A save that fails reports a
/// [`FileStoreError`]; the session then keeps the new token in memory, unused, and tries
/// again (see [`TokenStore`]).
///
/// ```no_run
/// # async fn run(app: lumin::oauth::PrivateApp) -> Result<(), lumin::oauth::SessionError> {
/// use std::sync::Arc;
/// use lumin::oauth::FileTokenStore;
///
/// let store = Arc::new(FileTokenStore::new("/var/lib/my-app/lumin-token.json"));
/// let session = app.resume_session(store).await?;
/// # let _ = session;
/// # Ok(())
/// # }
/// ```
pub struct FileTokenStore {
    path: PathBuf,
    /// Called between writing the temporary file and renaming it: the tests' crash.
    #[cfg(test)]
    before_rename: Option<fn(&Path) -> io::Result<()>>,
}

impl fmt::Debug for FileTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileTokenStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Distinguishes the temporary files of saves running at once in one process.
static SAVES: AtomicU64 = AtomicU64::new(0);

impl FileTokenStore {
    /// A store in the file at `path` (created on the first save; its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            #[cfg(test)]
            before_rename: None,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load_blocking(path: &Path) -> Result<Option<Token>, FileStoreError> {
        let text = match fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(FileStoreError::Io {
                    step: "read",
                    path: path.to_owned(),
                    source,
                });
            }
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| FileStoreError::Malformed {
                path: path.to_owned(),
                // Line and column only: serde's message could quote the content.
                reason: format!("invalid JSON at line {} column {}", e.line(), e.column()),
            })
    }

    fn save_blocking(
        path: &Path,
        json: &[u8],
        #[cfg(test)] before_rename: Option<fn(&Path) -> io::Result<()>>,
    ) -> Result<(), FileStoreError> {
        let io = |step: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| FileStoreError::Io { step, path, source }
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "token".to_owned());
        let temp = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            SAVES.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = owner_only().open(&temp).map_err(io("create", &temp))?;
            file.write_all(json).map_err(io("write", &temp))?;
            file.sync_all().map_err(io("flush", &temp))?;
            #[cfg(test)]
            if let Some(hook) = before_rename {
                hook(&temp).map_err(io("rename", &temp))?;
            }
            fs::rename(&temp, path).map_err(io("rename", &temp))
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
            return written;
        }
        sync_dir(&dir).map_err(io("sync the directory of", path))
    }
}

/// Options creating a new file readable and writable by its owner only.
fn owner_only() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Flushes a directory's entries (the rename) to disk, where the platform allows it.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, File::open);
        Ok(())
    }
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FileStoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| Box::new(e) as StoreError),
        Err(_) => Err(Box::new(FileStoreError::Interrupted)),
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<Token>, StoreError>> {
        let path = self.path.clone();
        Box::pin(blocking(move || Self::load_blocking(&path)))
    }

    fn save<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<(), StoreError>> {
        let path = self.path.clone();
        #[cfg(test)]
        let hook = self.before_rename;
        Box::pin(async move {
            let json = serde_json::to_vec_pretty(token).map_err(|e| Box::new(e) as StoreError)?;
            blocking(move || {
                Self::save_blocking(
                    &path,
                    &json,
                    #[cfg(test)]
                    hook,
                )
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2::{AccessToken, RefreshToken};

    fn dir(name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/tmp/file-token-store")
            .join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn token(n: u32) -> Token {
        Token::new(AccessToken::new(format!("at-{n}")), None)
            .with_refresh_token(RefreshToken::new(format!("rt-{n}")))
    }

    fn refresh(token: Option<Token>) -> String {
        token.unwrap().refresh_token().unwrap().secret().clone()
    }

    #[tokio::test]
    async fn saves_and_loads_json_readable_by_the_owner_only() {
        let dir = dir("roundtrip");
        let store = FileTokenStore::new(dir.join("token.json"));
        assert!(store.load().await.unwrap().is_none());
        store.save(&token(1)).await.unwrap();
        store.save(&token(2)).await.unwrap();
        assert_eq!(refresh(store.load().await.unwrap()), "rt-2");
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("token.json")).unwrap()).unwrap();
        assert_eq!(json["refresh_token"], "rt-2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.join("token.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // Only the token file is left: no temporary file.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let debug = format!("{store:?}");
        assert!(
            debug.contains("token.json") && !debug.contains("rt-2"),
            "{debug}"
        );
    }

    #[tokio::test]
    async fn a_crash_before_the_rename_leaves_the_previous_token() {
        let dir = dir("crash");
        let path = dir.join("token.json");
        let store = FileTokenStore::new(&path);
        store.save(&token(1)).await.unwrap();

        // A crash of an earlier process between write and rename left a temporary file.
        fs::write(dir.join(".token.json.tmp-1-0"), b"{\"access_token\": \"at-").unwrap();
        assert_eq!(refresh(store.load().await.unwrap()), "rt-1");

        // A save whose rename fails reports a typed error and changes nothing.
        let failing = FileTokenStore {
            path: path.clone(),
            before_rename: Some(|_| Err(io::Error::other("power cut"))),
        };
        let error = failing.save(&token(2)).await.unwrap_err();
        let error = error.downcast::<FileStoreError>().unwrap();
        assert!(
            matches!(*error, FileStoreError::Io { step: "rename", .. }),
            "{error:?}"
        );
        assert!(!error.to_string().contains("rt-2"));
        assert_eq!(refresh(store.load().await.unwrap()), "rt-1");
        // Its own temporary file was removed; the old leftover is untouched.
        let mut names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [".token.json.tmp-1-0", "token.json"]);
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_token_is_a_typed_error_without_its_content() {
        let dir = dir("malformed");
        fs::write(dir.join("token.json"), b"rt-secret-value").unwrap();
        let store = FileTokenStore::new(dir.join("token.json"));
        let error = store.load().await.unwrap_err();
        let error = error.downcast::<FileStoreError>().unwrap();
        assert!(
            matches!(*error, FileStoreError::Malformed { .. }),
            "{error:?}"
        );
        assert!(!format!("{error:?} {error}").contains("rt-secret"));
    }

    #[tokio::test]
    async fn a_missing_directory_is_a_typed_error() {
        let dir = dir("missing");
        let store = FileTokenStore::new(dir.join("no/such/dir/token.json"));
        let error = store.save(&token(1)).await.unwrap_err();
        let error = error.downcast::<FileStoreError>().unwrap();
        assert!(
            matches!(*error, FileStoreError::Io { step: "create", .. }),
            "{error:?}"
        );
    }
}
