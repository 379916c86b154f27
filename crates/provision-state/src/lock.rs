//! The stack lock: an advisory `flock` on `<dir>/<stack>.json.lock`.
//!
//! The holder takes an exclusive non-blocking lock, then writes who it is (pid, host, since,
//! command) into the file. The file is never deleted, since deleting it races with other openers;
//! on release it is truncated to empty and unlocked. The OS drops the lock when a process dies, so
//! a holder left in the file by a killed process is harmless: the file's content is only believed
//! while a try-lock on it fails.

use crate::error::StateError;
use crate::state::now_rfc3339;
use crate::store::{lock_path, state_path, validate_stack};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often an opener retries a contended lock before reporting it, so that a momentary probe
/// by [`lock_holder`] in another process does not make it fail.
const ACQUIRE_RETRIES: u32 = 3;
const ACQUIRE_RETRY_DELAY: Duration = Duration::from_millis(15);
/// How often a reader retries a locked file whose holder is not written yet.
const READ_RETRIES: u32 = 10;
const READ_RETRY_DELAY: Duration = Duration::from_millis(5);

/// The process that holds a stack's lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    /// RFC 3339 UTC.
    pub since: String,
    /// The command line that took the lock, e.g. `provision up specs/prod.yaml`.
    pub command: String,
}

impl LockHolder {
    /// This process, now, running `command`.
    pub fn current(command: &str) -> LockHolder {
        LockHolder {
            pid: std::process::id(),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            since: now_rfc3339(),
            command: command.to_string(),
        }
    }

    /// A lock is held, but its file names no holder (pid 0).
    pub fn unknown() -> LockHolder {
        LockHolder {
            pid: 0,
            host: "unknown".to_string(),
            since: "unknown".to_string(),
            command: "unknown".to_string(),
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.pid == 0
    }
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unknown() {
            return f.write_str("an unknown process (the lock file names no holder)");
        }
        write!(
            f,
            "pid {} on host {} since {} ({})",
            self.pid, self.host, self.since, self.command
        )
    }
}

/// A held lock; released (file truncated, then unlocked) on drop.
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: File,
    path: PathBuf,
    /// The holder an earlier process left in the file: it died (killed, crashed) without
    /// releasing the lock, which the OS then released for it.
    pub(crate) abandoned_by: Option<LockHolder>,
}

impl LockGuard {
    /// Take the lock at `lock` without waiting (beyond a few short retries) and write `holder`
    /// into it. `state` is the state file, named in the error.
    pub(crate) fn acquire(
        lock: &Path,
        state: &Path,
        holder: &LockHolder,
    ) -> Result<LockGuard, StateError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(lock)
            .map_err(|e| StateError::io(lock, e))?;
        let mut attempt = 0;
        while !fs4::fs_std::FileExt::try_lock_exclusive(&file)
            .map_err(|e| StateError::io(lock, e))?
        {
            attempt += 1;
            if attempt > ACQUIRE_RETRIES {
                return Err(StateError::Locked {
                    path: state.to_path_buf(),
                    holder: read_holder_retrying(lock),
                });
            }
            std::thread::sleep(ACQUIRE_RETRY_DELAY);
        }
        // A holder still written in the file belongs to a process that ended without releasing
        // the lock (a clean release empties the file).
        let abandoned_by = read_holder(lock).ok().flatten();
        // From here on, dropping the guard releases the lock.
        let guard = LockGuard {
            file,
            path: lock.to_path_buf(),
            abandoned_by,
        };
        let mut text = serde_json::to_vec(holder).map_err(|e| StateError::Encode {
            path: lock.to_path_buf(),
            source: e,
        })?;
        text.push(b'\n');
        guard
            .file
            .set_len(0)
            .and_then(|()| guard.file.write_all_at(&text, 0))
            .and_then(|()| guard.file.sync_data())
            .map_err(|e| StateError::io(lock, e))?;
        tracing::debug!(lock = %lock.display(), "state lock taken");
        Ok(guard)
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Err(e) = self.file.set_len(0) {
            tracing::warn!(lock = %self.path.display(), error = %e, "cannot clear the lock file");
        }
        if let Err(e) = fs4::fs_std::FileExt::unlock(&self.file) {
            tracing::warn!(lock = %self.path.display(), error = %e, "cannot release the lock");
        }
        tracing::debug!(lock = %self.path.display(), "state lock released");
    }
}

/// Who holds the lock of `stack` in `dir` now, if anyone.
///
/// The lock file's content is reported only if a non-blocking try-lock on it fails; a holder left
/// behind by a process that died is not reported. If the lock is held but its file names no
/// holder, this gives [`LockHolder::unknown`].
pub fn lock_holder(dir: &Path, stack: &str) -> Result<Option<LockHolder>, StateError> {
    validate_stack(stack)?;
    let lock = lock_path(dir, stack);
    let file = match File::open(&lock) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StateError::io(&lock, e)),
    };
    // A shared probe: it conflicts with the holder's exclusive lock but not with other probes.
    if fs4::fs_std::FileExt::try_lock_shared(&file).map_err(|e| StateError::io(&lock, e))? {
        fs4::fs_std::FileExt::unlock(&file).map_err(|e| StateError::io(&lock, e))?;
        return Ok(None);
    }
    Ok(Some(
        read_holder_retrying(&lock).unwrap_or_else(LockHolder::unknown),
    ))
}

/// Clear the lock file of `stack` in `dir` if no live process holds its lock, and return the
/// stale holder it named, if any. Refuses with [`StateError::Locked`] if the lock is held.
pub fn force_unlock(dir: &Path, stack: &str) -> Result<Option<LockHolder>, StateError> {
    validate_stack(stack)?;
    let lock = lock_path(dir, stack);
    let file = match OpenOptions::new().read(true).write(true).open(&lock) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StateError::io(&lock, e)),
    };
    if !fs4::fs_std::FileExt::try_lock_exclusive(&file).map_err(|e| StateError::io(&lock, e))? {
        return Err(StateError::Locked {
            path: state_path(dir, stack),
            holder: read_holder_retrying(&lock),
        });
    }
    let stale = read_holder(&lock);
    let cleared = file.set_len(0).map_err(|e| StateError::io(&lock, e));
    let unlocked = fs4::fs_std::FileExt::unlock(&file).map_err(|e| StateError::io(&lock, e));
    let stale = stale?;
    cleared?;
    unlocked?;
    if let Some(h) = &stale {
        tracing::info!(lock = %lock.display(), holder = %h, "cleared a stale lock");
    }
    Ok(stale)
}

/// The holder named in the lock file, if it names one.
fn read_holder(lock: &Path) -> Result<Option<LockHolder>, StateError> {
    match fs::read(lock) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StateError::io(lock, e)),
    }
}

/// The holder of a lock known to be held, allowing it a moment to write its name.
fn read_holder_retrying(lock: &Path) -> Option<LockHolder> {
    for attempt in 0..=READ_RETRIES {
        if let Ok(Some(h)) = read_holder(lock) {
            return Some(h);
        }
        if attempt < READ_RETRIES {
            std::thread::sleep(READ_RETRY_DELAY);
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::StateStore;

    #[test]
    fn display() {
        let h = LockHolder {
            pid: 1234,
            host: "x".into(),
            since: "2026-11-26T10:00:00Z".into(),
            command: "provision up specs/prod.yaml".into(),
        };
        assert_eq!(
            h.to_string(),
            "pid 1234 on host x since 2026-11-26T10:00:00Z (provision up specs/prod.yaml)"
        );
        assert!(LockHolder::unknown()
            .to_string()
            .contains("unknown process"));
    }

    #[test]
    fn second_open_fails_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateStore::open(dir.path(), "s", "provision up specs/prod.yaml").unwrap();
        let err = StateStore::open(dir.path(), "s", "provision diff").unwrap_err();
        let StateError::Locked { path, holder } = &err else {
            panic!("expected Locked, got {err:?}");
        };
        assert_eq!(path, &dir.path().join("s.json"));
        let holder = holder.as_ref().unwrap();
        assert_eq!(holder.pid, std::process::id());
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        assert_eq!(holder.host, host);
        assert_eq!(holder.command, "provision up specs/prod.yaml");
        assert!(humantime::parse_rfc3339(&holder.since).is_ok());
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains(&format!("on host {host}")), "{msg}");
        assert!(msg.contains("provision state unlock"), "{msg}");
    }

    #[test]
    fn lock_is_per_stack() {
        let dir = tempfile::tempdir().unwrap();
        let _a = StateStore::open(dir.path(), "a", "cmd").unwrap();
        let _b = StateStore::open(dir.path(), "b", "cmd").unwrap();
    }

    #[test]
    fn released_on_drop_and_file_kept_empty() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("s.json.lock");
        let store = StateStore::open(dir.path(), "s", "cmd").unwrap();
        assert!(!fs::read(&lock).unwrap().is_empty());
        drop(store);
        assert!(lock.exists(), "the lock file is never deleted");
        assert!(fs::read(&lock).unwrap().is_empty());
        let _again = StateStore::open(dir.path(), "s", "cmd").unwrap();
    }

    #[test]
    fn lock_file_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let _store = StateStore::open(dir.path(), "s", "cmd").unwrap();
        let mode = fs::metadata(dir.path().join("s.json.lock"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn holder_reported_only_while_held() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(lock_holder(dir.path(), "s").unwrap(), None);
        let store = StateStore::open(dir.path(), "s", "provision up x").unwrap();
        let h = lock_holder(dir.path(), "s").unwrap().unwrap();
        assert_eq!(h.pid, std::process::id());
        assert_eq!(h.command, "provision up x");
        // The probe must not disturb the holder's lock.
        assert!(StateStore::open(dir.path(), "s", "other").is_err());
        drop(store);
        assert_eq!(lock_holder(dir.path(), "s").unwrap(), None);
    }

    #[test]
    fn a_holder_left_by_a_dead_process_is_named_to_the_next_opener() {
        let dir = tempfile::tempdir().unwrap();
        let stale = LockHolder {
            pid: 99999,
            host: "gone".into(),
            since: "2020-01-01T00:00:00Z".into(),
            command: "provision up".into(),
        };
        fs::write(
            dir.path().join("s.json.lock"),
            serde_json::to_vec(&stale).unwrap(),
        )
        .unwrap();
        let store = StateStore::open(dir.path(), "s", "cmd").unwrap();
        assert_eq!(store.abandoned_by(), Some(&stale));
        drop(store);
        // A clean release leaves nothing to report.
        let store = StateStore::open(dir.path(), "s", "cmd").unwrap();
        assert_eq!(store.abandoned_by(), None);
    }

    #[test]
    fn stale_holder_in_file_is_not_reported() {
        let dir = tempfile::tempdir().unwrap();
        let stale = LockHolder {
            pid: 99999,
            host: "gone".into(),
            since: "2020-01-01T00:00:00Z".into(),
            command: "provision up".into(),
        };
        fs::write(
            dir.path().join("s.json.lock"),
            serde_json::to_vec(&stale).unwrap(),
        )
        .unwrap();
        assert_eq!(lock_holder(dir.path(), "s").unwrap(), None);
        // And it does not stop an opener.
        drop(StateStore::open(dir.path(), "s", "cmd").unwrap());
    }

    #[test]
    fn force_unlock_clears_stale_and_refuses_live() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(force_unlock(dir.path(), "s").unwrap(), None);
        let lock = dir.path().join("s.json.lock");
        let stale = LockHolder {
            pid: 99999,
            host: "gone".into(),
            since: "2020-01-01T00:00:00Z".into(),
            command: "provision up".into(),
        };
        fs::write(&lock, serde_json::to_vec(&stale).unwrap()).unwrap();
        assert_eq!(force_unlock(dir.path(), "s").unwrap(), Some(stale));
        assert!(lock.exists());
        assert!(fs::read(&lock).unwrap().is_empty());

        let store = StateStore::open(dir.path(), "s", "provision up x").unwrap();
        let err = force_unlock(dir.path(), "s").unwrap_err();
        match err {
            StateError::Locked { holder, .. } => {
                assert_eq!(holder.unwrap().pid, std::process::id())
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        // Still held, and still named.
        assert!(!fs::read(&lock).unwrap().is_empty());
        assert!(StateStore::open(dir.path(), "s", "other").is_err());
        drop(store);
    }

    #[test]
    fn held_lock_without_holder_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("s.json.lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .unwrap();
        assert!(fs4::fs_std::FileExt::try_lock_exclusive(&file).unwrap());
        let h = lock_holder(dir.path(), "s").unwrap().unwrap();
        assert!(h.is_unknown());
        let err = StateStore::open(dir.path(), "s", "cmd").unwrap_err();
        assert!(
            matches!(err, StateError::Locked { holder: None, .. }),
            "{err:?}"
        );
    }
}
