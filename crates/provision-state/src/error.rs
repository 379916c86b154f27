//! Errors of the state store. Each message says what happened, to which file, and what to do.

use crate::lock::LockHolder;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another process holds the stack's lock.
    #[error(
        "state {} is locked by {}; is another provision running? \
         If that process is gone, run `provision state unlock`.",
        .path.display(),
        holder_text(.holder)
    )]
    Locked {
        /// The state file (not the lock file).
        path: PathBuf,
        holder: Option<LockHolder>,
    },

    /// Reading or writing a file (or directory) failed.
    #[error("I/O error on {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The state file is not a readable state. It is left untouched.
    #[error(
        "state file {} is corrupt: {detail}. It was left untouched. \
         Inspect it and repair it by hand, or restore the previous version from {} \
         (if present; check it first) with `cp {} {}`.",
        .path.display(),
        .backup.display(),
        .backup.display(),
        .path.display()
    )]
    Corrupt {
        path: PathBuf,
        backup: PathBuf,
        detail: String,
    },

    /// The state file was written by a newer provision.
    #[error(
        "state file {} has format_version {found}, but this provision supports up to \
         {supported}; it was written by a newer provision. It was left untouched. Upgrade \
         provision to use it (the version before that run's last write, if any, is in {}).",
        .path.display(),
        .backup.display()
    )]
    FutureVersion {
        path: PathBuf,
        backup: PathBuf,
        found: u32,
        supported: u32,
    },

    /// The state file (or the state being saved) belongs to another stack.
    #[error(
        "state file {} is for stack `{expected}`, but the state holds stack `{found}`; \
         was the file renamed or copied? Put it back under its own name, or fix its \
         `stack` field by hand.",
        .path.display()
    )]
    StackMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// The state being saved has another lineage than the file it would replace.
    #[error(
        "refusing to overwrite state file {}: it has lineage {on_disk}, but the state being \
         saved has lineage {ours}, so they are different histories. Move the file aside if \
         it is really meant to be replaced.",
        .path.display()
    )]
    LineageMismatch {
        path: PathBuf,
        on_disk: String,
        ours: String,
    },

    /// The state file and its backup belong to different histories.
    #[error(
        "state file {} has lineage {ours}, but its backup {} has lineage {backup_lineage}: \
         the file was replaced by one of another history (copied from another stack or \
         machine?). Both were left untouched. If {} is the right state, move the backup \
         aside; otherwise restore the backup with `cp {} {}`.",
        .path.display(),
        .backup.display(),
        .path.display(),
        .backup.display(),
        .path.display()
    )]
    BackupLineageMismatch {
        path: PathBuf,
        backup: PathBuf,
        ours: String,
        backup_lineage: String,
    },

    /// The state being saved is older than the file it would replace.
    #[error(
        "refusing to overwrite state file {}: it is at serial {on_disk}, newer than the \
         serial {ours} of the state being saved. Load the state again and redo the change.",
        .path.display()
    )]
    Stale {
        path: PathBuf,
        on_disk: u64,
        ours: u64,
    },

    /// The stack name cannot be used as a file name.
    #[error(
        "invalid stack name `{stack}`: {reason} (use letters, digits, `-`, `_` and `.`, \
         e.g. `pyairtable-prod`)"
    )]
    InvalidStack { stack: String, reason: &'static str },

    /// The state could not be encoded as JSON.
    #[error("cannot encode the state for {}", .path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl StateError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> StateError {
        StateError::Io {
            path: path.into(),
            source,
        }
    }
}

fn holder_text(holder: &Option<LockHolder>) -> String {
    match holder {
        Some(h) => h.to_string(),
        None => "another process".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_message_names_holder_and_remedy() {
        let e = StateError::Locked {
            path: PathBuf::from("state/p.json"),
            holder: Some(LockHolder {
                pid: 42,
                host: "box".into(),
                since: "2026-11-26T10:00:00Z".into(),
                command: "provision up specs/prod.yaml".into(),
            }),
        };
        assert_eq!(
            e.to_string(),
            "state state/p.json is locked by pid 42 on host box since 2026-11-26T10:00:00Z \
             (provision up specs/prod.yaml); is another provision running? \
             If that process is gone, run `provision state unlock`."
        );
        let e = StateError::Locked {
            path: PathBuf::from("state/p.json"),
            holder: None,
        };
        assert!(e.to_string().contains("locked by another process;"));
    }

    #[test]
    fn corrupt_message_names_both_files() {
        let e = StateError::Corrupt {
            path: PathBuf::from("state/p.json"),
            backup: PathBuf::from("state/p.json.backup"),
            detail: "EOF while parsing".into(),
        };
        let m = e.to_string();
        assert!(m.contains("state/p.json is corrupt: EOF while parsing"));
        assert!(m.contains("cp state/p.json.backup state/p.json"));
        assert!(m.contains("left untouched"));
    }
}
