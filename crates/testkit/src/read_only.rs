//! Read-only files for tests of "the file cannot be written" paths, also as root.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file made read-only by [`make_read_only`]; made writable again when dropped.
#[derive(Debug)]
pub struct ReadOnly {
    path: PathBuf,
    immutable: bool,
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).status();
        }
        let _ = set_mode(&self.path, 0o644);
    }
}

/// Makes `path` read-only to this process (and to the processes it spawns): `chmod 0444`, and
/// where that does not stop this process (root ignores file modes) the immutable attribute
/// (`chattr +i`), which stops root too. An error when neither does (root on a file system
/// without `chattr +i`), so that a test cannot pass without testing anything.
pub fn make_read_only(path: &Path) -> io::Result<ReadOnly> {
    set_mode(path, 0o444)?;
    let mut guard = ReadOnly {
        path: path.to_owned(),
        immutable: false,
    };
    if writable(path) {
        let status = Command::new("chattr").arg("+i").arg(path).status();
        guard.immutable = matches!(status, Ok(status) if status.success());
    }
    if writable(path) {
        return Err(io::Error::other(format!(
            "cannot make {} read-only to this process (running as root on a file system \
             without `chattr +i`?)",
            path.display()
        )));
    }
    Ok(guard)
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn writable(path: &Path) -> bool {
    std::fs::OpenOptions::new().write(true).open(path).is_ok()
}
