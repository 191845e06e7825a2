//! Helpers shared by the daemon's unit tests.

use std::path::{Path, PathBuf};

/// A fresh, empty directory for one test's store, `<temp>/jido-NAME-PID`: emptied first, so a
/// run never reads what an earlier one left, and removed when dropped, so a run leaves nothing.
pub(super) struct TestDir(PathBuf);

impl TestDir {
    /// Makes the directory.
    pub(super) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("jido-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TestDir(dir)
    }

    /// `file` inside the directory.
    pub(super) fn join(&self, file: impl AsRef<Path>) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
