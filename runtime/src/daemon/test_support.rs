//! Helpers shared by the daemon's unit tests.

use std::path::PathBuf;

/// A fresh, empty directory for one test's store: `<temp>/jido-NAME-PID`, emptied first so a
/// run never reads what an earlier one left.
pub(super) fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jido-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
