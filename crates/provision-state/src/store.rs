//! The state store: locked load and atomic save of `<dir>/<stack>.json`.

use crate::error::StateError;
use crate::lock::{LockGuard, LockHolder};
use crate::state::{State, FORMAT_VERSION};
use std::fs::{self, File, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

const STATE_SUFFIX: &str = ".json";
const FILE_MODE: u32 = 0o600;

/// `<dir>/<stack>.json`
pub(crate) fn state_path(dir: &Path, stack: &str) -> PathBuf {
    dir.join(format!("{stack}{STATE_SUFFIX}"))
}

/// `<dir>/<stack>.json.backup`
pub(crate) fn backup_path(dir: &Path, stack: &str) -> PathBuf {
    dir.join(format!("{stack}{STATE_SUFFIX}.backup"))
}

/// `<dir>/<stack>.json.lock`
pub(crate) fn lock_path(dir: &Path, stack: &str) -> PathBuf {
    dir.join(format!("{stack}{STATE_SUFFIX}.lock"))
}

/// A stack name becomes a file name: letters, digits, `-`, `_`, `.`; not starting with `.`.
pub(crate) fn validate_stack(stack: &str) -> Result<(), StateError> {
    let reason = if stack.is_empty() {
        Some("it is empty")
    } else if stack.starts_with('.') {
        Some("it starts with `.`")
    } else if !stack
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("it contains a character that is not allowed in a file name")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StateError::InvalidStack {
            stack: stack.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// `Path::new("")` means the current directory.
fn norm_dir(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// The locked state of one stack. The lock is held until the store is dropped.
#[derive(Debug)]
pub struct StateStore {
    dir: PathBuf,
    stack: String,
    path: PathBuf,
    backup: PathBuf,
    /// The state this store last read or wrote, and its bytes. While the store holds the lock
    /// no other provision process writes the file, so a save compares with this instead of
    /// reading and parsing the file again (a prod state is ~400 KB, saved after every step).
    last: std::sync::Mutex<Option<(State, Vec<u8>)>>,
    _lock: LockGuard,
}

impl StateStore {
    /// Open the state of `stack` in `dir` (created if missing) and take its lock at once, without
    /// waiting. If another process holds it: [`StateError::Locked`], naming the holder's pid,
    /// host, start time and `command`.
    pub fn open(dir: &Path, stack: &str, command: &str) -> Result<StateStore, StateError> {
        validate_stack(stack)?;
        let dir = norm_dir(dir);
        fs::create_dir_all(dir).map_err(|e| StateError::io(dir, e))?;
        let path = state_path(dir, stack);
        let lock =
            LockGuard::acquire(&lock_path(dir, stack), &path, &LockHolder::current(command))?;
        Ok(StateStore {
            dir: dir.to_path_buf(),
            stack: stack.to_string(),
            backup: backup_path(dir, stack),
            path,
            last: std::sync::Mutex::new(None),
            _lock: lock,
        })
    }

    /// The process that held the lock before this one and ended without releasing it (killed
    /// or crashed), if the lock file still named one.
    pub fn abandoned_by(&self) -> Option<&LockHolder> {
        self._lock.abandoned_by.as_ref()
    }

    /// The state file, `<dir>/<stack>.json`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The previous version of the state file, `<dir>/<stack>.json.backup`.
    pub fn backup_path(&self) -> &Path {
        &self.backup
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn stack(&self) -> &str {
        &self.stack
    }

    /// Load the state; a missing file gives [`State::new`]. A corrupt file, one of a newer
    /// format or one of another stack is refused, and no file is touched.
    pub fn load(&self) -> Result<State, StateError> {
        match self.read_disk()? {
            Some((state, bytes)) => {
                *self.last() = Some((state.clone(), bytes));
                Ok(state)
            }
            None => {
                *self.last() = None;
                Ok(State::new(&self.stack))
            }
        }
    }

    fn last(&self) -> std::sync::MutexGuard<'_, Option<(State, Vec<u8>)>> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Persist `state`: bump its serial and write it atomically, keeping the previous file as
    /// `<stack>.json.backup`. If its content (ignoring the serial) equals the file's, nothing is
    /// written and the serial is not bumped.
    ///
    /// Refuses to replace a file that is corrupt, newer, of another stack or lineage, or at a
    /// higher serial than `state`.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        if state.stack != self.stack {
            return Err(StateError::StackMismatch {
                path: self.path.clone(),
                expected: self.stack.clone(),
                found: state.stack.clone(),
            });
        }
        state.format_version = FORMAT_VERSION;
        let mut last = self.last();
        if last.is_none() {
            *last = self.read_disk()?;
        }
        let previous = &*last;
        if let Some((disk, _)) = previous {
            if disk.same_content(state) {
                tracing::debug!(path = %self.path.display(), serial = disk.serial, "state unchanged");
                return Ok(());
            }
            if disk.lineage != state.lineage {
                return Err(StateError::LineageMismatch {
                    path: self.path.clone(),
                    on_disk: disk.lineage.clone(),
                    ours: state.lineage.clone(),
                });
            }
            if disk.serial > state.serial {
                return Err(StateError::Stale {
                    path: self.path.clone(),
                    on_disk: disk.serial,
                    ours: state.serial,
                });
            }
        }

        let old_serial = state.serial;
        state.serial += 1;
        match self.write(state, previous.as_ref().map(|(_, bytes)| bytes.as_slice())) {
            Ok(bytes) => {
                *last = Some((state.clone(), bytes));
                Ok(())
            }
            Err(e) => {
                state.serial = old_serial;
                Err(e)
            }
        }
    }

    /// The state on disk and its bytes, or None if there is no file.
    fn read_disk(&self) -> Result<Option<(State, Vec<u8>)>, StateError> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io(&self.path, e)),
        };
        let state = parse(&self.path, &self.backup, &self.stack, &bytes)?;
        Ok(Some((state, bytes)))
    }

    /// Write `state` (and `previous` as the backup); returns the bytes written.
    fn write(&self, state: &State, previous: Option<&[u8]>) -> Result<Vec<u8>, StateError> {
        let mut text = serde_json::to_vec_pretty(state).map_err(|e| StateError::Encode {
            path: self.path.clone(),
            source: e,
        })?;
        text.push(b'\n');

        let tmp = write_temp(&self.dir, &self.stack, &text)?;
        if previous.is_none() && self.backup.exists() {
            // The state file was removed but its backup stayed: that backup belongs to the old
            // history. Keep it, under a name that cannot be taken for this history's backup.
            let kept = self
                .backup
                .with_extension(format!("backup.before-{}", state.lineage));
            fs::rename(&self.backup, &kept).map_err(|e| StateError::io(&self.backup, e))?;
            tracing::warn!(
                kept = %kept.display(),
                "the state file was missing but its backup was not; the old backup is kept aside"
            );
        }
        if let Some(previous) = previous {
            // Written atomically too, so that a crash never leaves a half backup.
            let backup_tmp = write_temp(&self.dir, &self.stack, previous)?;
            backup_tmp
                .persist(&self.backup)
                .map_err(|e| StateError::io(&self.backup, e.error))?;
        }
        tmp.persist(&self.path)
            .map_err(|e| StateError::io(&self.path, e.error))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StateError::io(&self.dir, e))?;
        tracing::debug!(path = %self.path.display(), serial = state.serial, "state saved");
        Ok(text)
    }
}

/// A temp file in `dir` holding `bytes`, synced, mode 0600; removed if dropped unpersisted.
fn write_temp(
    dir: &Path,
    stack: &str,
    bytes: &[u8],
) -> Result<tempfile::NamedTempFile, StateError> {
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{stack}{STATE_SUFFIX}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)
        .map_err(|e| StateError::io(dir, e))?;
    let path = tmp.path().to_path_buf();
    tmp.write_all(bytes)
        .and_then(|()| tmp.flush())
        .and_then(|()| {
            tmp.as_file()
                .set_permissions(Permissions::from_mode(FILE_MODE))
        })
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| StateError::io(path, e))?;
    Ok(tmp)
}

/// Parse and check a state file's bytes.
fn parse(path: &Path, backup: &Path, stack: &str, bytes: &[u8]) -> Result<State, StateError> {
    let corrupt = |detail: String| StateError::Corrupt {
        path: path.to_path_buf(),
        backup: backup.to_path_buf(),
        detail,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(corrupt("the file is empty".to_string()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("not valid JSON ({e})")))?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt("it has no numeric `format_version`".to_string()))?;
    let version = u32::try_from(version).unwrap_or(u32::MAX);
    if version > FORMAT_VERSION {
        return Err(StateError::FutureVersion {
            path: path.to_path_buf(),
            backup: backup.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version < 1 {
        return Err(corrupt(format!(
            "format_version {version} was never written"
        )));
    }
    // Upgrades from older format versions go here, on `value`, once there are any.
    let state: State = serde_json::from_value(value)
        .map_err(|e| corrupt(format!("it is not a provision state ({e})")))?;
    if state.stack != stack {
        return Err(StateError::StackMismatch {
            path: path.to_path_buf(),
            expected: stack.to_string(),
            found: state.stack,
        });
    }
    // The backup is the file's previous version, so it shares its lineage. (A backup that
    // cannot be read says nothing either way.)
    let backup_lineage = fs::read(backup)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("lineage")?.as_str().map(str::to_string));
    if let Some(backup_lineage) = backup_lineage {
        if backup_lineage != state.lineage {
            return Err(StateError::BackupLineageMismatch {
                path: path.to_path_buf(),
                backup: backup.to_path_buf(),
                ours: state.lineage,
                backup_lineage,
            });
        }
    }
    Ok(state)
}

/// Read the state of `stack` in `dir` without locking (for listing and inspection); None if it
/// has no state file.
pub fn read_state(dir: &Path, stack: &str) -> Result<Option<State>, StateError> {
    validate_stack(stack)?;
    let dir = norm_dir(dir);
    let path = state_path(dir, stack);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StateError::io(&path, e)),
    };
    parse(&path, &backup_path(dir, stack), stack, &bytes).map(Some)
}

/// The stacks that have a state file in `dir` (names without `.json`), sorted. A missing `dir`
/// has none.
pub fn list_stacks(dir: &Path) -> Result<Vec<String>, StateError> {
    let dir = norm_dir(dir);
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StateError::io(dir, e)),
    };
    let mut stacks = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StateError::io(dir, e))?;
        let name = entry.file_name();
        let Some(stack) = name.to_str().and_then(|n| n.strip_suffix(STATE_SUFFIX)) else {
            continue;
        };
        if validate_stack(stack).is_err() {
            continue;
        }
        let is_file = entry
            .file_type()
            .map_err(|e| StateError::io(entry.path(), e))?
            .is_file();
        if is_file {
            stacks.push(stack.to_string());
        }
    }
    stacks.sort();
    Ok(stacks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::state::{Intent, IntentOp, ResourceState, ResourceStatus, SpecRecord};
    use provision_core::Address;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn with_vpc(state: &mut State, id: &str) {
        let addr: Address = "us-east-1/ec2.vpc/main".parse().unwrap();
        let mut r = ResourceState::new("ec2.vpc", "us-east-1", ResourceStatus::Ready);
        r.id = Some(id.to_string());
        r.desired.insert("cidr_block".into(), "10.0.0.0/16".into());
        r.intent = Some(Intent::new(IntentOp::Update));
        state.resources.insert(addr, r);
    }

    #[test]
    fn missing_file_loads_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("state");
        let store = StateStore::open(&sub, "p", "cmd").unwrap();
        assert!(sub.is_dir(), "the directory is created");
        assert_eq!(store.path(), sub.join("p.json"));
        let s = store.load().unwrap();
        assert_eq!(s.stack, "p");
        assert_eq!(s.serial, 0);
        assert!(s.resources.is_empty());
        assert!(!store.path().exists(), "load writes nothing");
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = store.load().unwrap();
        with_vpc(&mut s, "vpc-1");
        s.spec = Some(SpecRecord {
            path: "specs/prod.yaml".into(),
            sha256: "00".repeat(32),
        });
        s.outputs
            .insert("x".into(), serde_json::json!({"a": [1, 2]}));
        store.save(&mut s).unwrap();
        assert_eq!(store.load().unwrap(), s);
        assert_eq!(read_state(dir.path(), "p").unwrap(), Some(s));
    }

    #[test]
    fn serial_bumps_on_change_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = store.load().unwrap();
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, 1);
        with_vpc(&mut s, "vpc-1");
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, 2);
        assert_eq!(store.load().unwrap().serial, 2);

        // Unchanged: no write, no bump.
        let before = fs::read(store.path()).unwrap();
        let backup_before = fs::read(store.backup_path()).unwrap();
        let mut again = store.load().unwrap();
        store.save(&mut again).unwrap();
        store.save(&mut s).unwrap();
        assert_eq!(again.serial, 2);
        assert_eq!(s.serial, 2);
        assert_eq!(fs::read(store.path()).unwrap(), before);
        assert_eq!(fs::read(store.backup_path()).unwrap(), backup_before);
    }

    #[test]
    fn backup_holds_previous_version_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = store.load().unwrap();
        store.save(&mut s).unwrap();
        assert!(
            !store.backup_path().exists(),
            "no backup of a file that did not exist"
        );
        assert_eq!(mode(store.path()), 0o600);

        let first = fs::read(store.path()).unwrap();
        with_vpc(&mut s, "vpc-1");
        store.save(&mut s).unwrap();
        assert_eq!(fs::read(store.backup_path()).unwrap(), first);
        assert_eq!(mode(store.backup_path()), 0o600);
        assert_eq!(mode(store.path()), 0o600);

        // A backup left with loose permissions is tightened on the next write.
        fs::set_permissions(store.backup_path(), Permissions::from_mode(0o644)).unwrap();
        let second = fs::read(store.path()).unwrap();
        with_vpc(&mut s, "vpc-2");
        store.save(&mut s).unwrap();
        assert_eq!(fs::read(store.backup_path()).unwrap(), second);
        assert_eq!(mode(store.backup_path()), 0o600);

        // No temp files left behind.
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["p.json", "p.json.backup", "p.json.lock"]);
    }

    #[test]
    fn lineage_is_a_uuid_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let lineage;
        {
            let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
            let mut s = store.load().unwrap();
            lineage = s.lineage.clone();
            assert_eq!(
                uuid::Uuid::parse_str(&lineage).unwrap().get_version_num(),
                4
            );
            store.save(&mut s).unwrap();
            with_vpc(&mut s, "vpc-1");
            store.save(&mut s).unwrap();
        }
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = store.load().unwrap();
        assert_eq!(s.lineage, lineage);
        with_vpc(&mut s, "vpc-2");
        store.save(&mut s).unwrap();
        assert_eq!(store.load().unwrap().lineage, lineage);
    }

    fn assert_refused_untouched(contents: &[u8], check: impl Fn(&StateError)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        fs::write(&path, contents).unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let err = store.load().unwrap_err();
        check(&err);
        // Saving over it is refused too.
        let mut s = State::new("p");
        let err = store.save(&mut s).unwrap_err();
        check(&err);
        assert_eq!(fs::read(&path).unwrap(), contents);
        assert!(!store.backup_path().exists());
        let err = read_state(dir.path(), "p").unwrap_err();
        check(&err);
    }

    fn is_corrupt(err: &StateError) {
        match err {
            StateError::Corrupt { path, backup, .. } => {
                assert!(path.ends_with("p.json"));
                assert!(backup.ends_with("p.json.backup"));
                let msg = err.to_string();
                assert!(msg.contains("p.json.backup"), "{msg}");
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn truncated_file_refused_and_unchanged() {
        let mut s = State::new("p");
        with_vpc(&mut s, "vpc-1");
        let full = serde_json::to_vec_pretty(&s).unwrap();
        assert_refused_untouched(&full[..full.len() / 2], is_corrupt);
    }

    #[test]
    fn garbage_and_empty_refused() {
        assert_refused_untouched(b"\x00\x01garbage", is_corrupt);
        assert_refused_untouched(b"", is_corrupt);
        assert_refused_untouched(b"[1, 2, 3]", is_corrupt);
        assert_refused_untouched(br#"{"format_version": 1, "stack": "p"}"#, is_corrupt);
    }

    #[test]
    fn future_version_refused() {
        let mut v = serde_json::to_value(State::new("p")).unwrap();
        v["format_version"] = (FORMAT_VERSION + 1).into();
        // Fields a future version might have changed must not matter.
        v["resources"] = serde_json::json!("something new");
        let bytes = serde_json::to_vec_pretty(&v).unwrap();
        assert_refused_untouched(&bytes, |err| match err {
            StateError::FutureVersion {
                found, supported, ..
            } => {
                assert_eq!(*found, FORMAT_VERSION + 1);
                assert_eq!(*supported, FORMAT_VERSION);
            }
            other => panic!("expected FutureVersion, got {other:?}"),
        });
    }

    #[test]
    fn stack_mismatch_refused() {
        let bytes = serde_json::to_vec_pretty(&State::new("other")).unwrap();
        assert_refused_untouched(&bytes, |err| match err {
            StateError::StackMismatch {
                expected, found, ..
            } => {
                assert_eq!(expected, "p");
                assert_eq!(found, "other");
            }
            other => panic!("expected StackMismatch, got {other:?}"),
        });

        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = State::new("q");
        assert!(matches!(
            store.save(&mut s),
            Err(StateError::StackMismatch { .. })
        ));
        assert!(!store.path().exists());
    }

    #[test]
    fn a_file_whose_backup_has_another_lineage_is_refused_and_both_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = store.load().unwrap();
        store.save(&mut s).unwrap();
        with_vpc(&mut s, "vpc-1");
        store.save(&mut s).unwrap();
        // Someone copies another history's file over the state.
        let mut foreign = State::new("p");
        with_vpc(&mut foreign, "vpc-9");
        let foreign_bytes = serde_json::to_vec_pretty(&foreign).unwrap();
        fs::write(store.path(), &foreign_bytes).unwrap();
        let backup_before = fs::read(store.backup_path()).unwrap();

        let err = store.load().unwrap_err();
        assert!(
            matches!(err, StateError::BackupLineageMismatch { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("p.json.backup"), "{msg}");
        assert!(read_state(dir.path(), "p").is_err());
        assert_eq!(fs::read(store.path()).unwrap(), foreign_bytes);
        assert_eq!(fs::read(store.backup_path()).unwrap(), backup_before);
    }

    #[test]
    fn a_new_history_sets_the_old_backup_aside() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = store.load().unwrap();
        store.save(&mut s).unwrap();
        with_vpc(&mut s, "vpc-1");
        store.save(&mut s).unwrap();
        let old_backup = fs::read(store.backup_path()).unwrap();
        // The user removes the state file, not its backup, and starts again.
        fs::remove_file(store.path()).unwrap();
        let mut s = store.load().unwrap();
        store.save(&mut s).unwrap();
        with_vpc(&mut s, "vpc-2");
        store.save(&mut s).unwrap();
        assert!(store.load().is_ok());
        let kept = dir
            .path()
            .join(format!("p.json.backup.before-{}", s.lineage));
        assert_eq!(fs::read(kept).unwrap(), old_backup);
    }

    #[test]
    fn other_lineage_and_stale_serial_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "p", "cmd").unwrap();
        let mut s = store.load().unwrap();
        store.save(&mut s).unwrap();
        let old = s.clone();
        with_vpc(&mut s, "vpc-1");
        store.save(&mut s).unwrap();
        let on_disk = fs::read(store.path()).unwrap();

        let mut foreign = State::new("p");
        with_vpc(&mut foreign, "vpc-9");
        assert!(matches!(
            store.save(&mut foreign),
            Err(StateError::LineageMismatch { .. })
        ));
        let mut stale = old;
        with_vpc(&mut stale, "vpc-2");
        assert!(matches!(
            store.save(&mut stale),
            Err(StateError::Stale {
                on_disk: 2,
                ours: 1,
                ..
            })
        ));
        assert_eq!(stale.serial, 1, "a refused save does not bump the serial");
        assert_eq!(fs::read(store.path()).unwrap(), on_disk);
    }

    #[test]
    fn read_state_and_list_stacks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            list_stacks(&dir.path().join("missing")).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(read_state(dir.path(), "b").unwrap(), None);
        for stack in ["b", "a-prod", "c.dev"] {
            let store = StateStore::open(dir.path(), stack, "cmd").unwrap();
            let mut s = store.load().unwrap();
            store.save(&mut s).unwrap();
            with_vpc(&mut s, "vpc-1");
            store.save(&mut s).unwrap();
        }
        // Only locked, never saved: not a stack.
        let _d = StateStore::open(dir.path(), "d", "cmd").unwrap();
        fs::write(dir.path().join(".x.json.123.tmp"), b"").unwrap();
        fs::write(dir.path().join("notes.txt"), b"").unwrap();
        fs::create_dir(dir.path().join("dir.json")).unwrap();
        assert_eq!(list_stacks(dir.path()).unwrap(), ["a-prod", "b", "c.dev"]);
        let b = read_state(dir.path(), "b").unwrap().unwrap();
        assert_eq!(b.serial, 2);
        assert_eq!(b.stack, "b");
    }

    #[test]
    fn invalid_stack_names_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", ".hidden", "a/b", "../x", "a b"] {
            assert!(
                matches!(
                    StateStore::open(dir.path(), bad, "cmd"),
                    Err(StateError::InvalidStack { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
