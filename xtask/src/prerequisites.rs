//! Programs the checks need that cargo cannot install, looked for before any check runs,
//! so a missing one is named at once with how to install it instead of failing tests
//! minutes later.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Redis's server program: the shared-cache tests start a real one on a free loopback
/// port (no mocked Redis stands in for it).
const REDIS_SERVER: &str = "redis-server";

/// Finds `redis-server` on `PATH` and says which one (with its version), or says how to
/// install it.
pub(crate) fn redis_server() -> Result<String, String> {
    let path = std::env::var_os("PATH");
    let program = find_program(REDIS_SERVER, path.as_deref()).ok_or_else(missing_redis_server)?;
    let version = Command::new(&program)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|| "version unknown".to_owned());
    Ok(format!("{} ({version})", program.display()))
}

fn missing_redis_server() -> String {
    format!(
        "`{REDIS_SERVER}` was not found on PATH; the shared-cache tests start a real Redis \
         server. Install it with `sudo apt-get install redis-server` (Debian and Ubuntu; \
         `.ci/run` does this on CI machines), or put a `{REDIS_SERVER}` binary of Redis 6 \
         or later on PATH, then run `cargo xtask test` again."
    )
}

/// The first executable file called `name` in the directories of `path` (a `PATH`
/// value), as a shell's `command -v` finds it.
fn find_program(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

    use super::*;

    #[cfg(unix)]
    fn write(dir: &Path, name: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.join(name);
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        file
    }

    #[cfg(unix)]
    #[test]
    fn finds_the_first_executable_on_the_path_and_skips_the_rest() {
        let (first, second, third) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        write(first.path(), REDIS_SERVER, 0o644); // not executable
        std::fs::create_dir(second.path().join(REDIS_SERVER)).unwrap(); // a directory
        let found = write(third.path(), REDIS_SERVER, 0o755);
        let path = std::env::join_paths([first.path(), second.path(), third.path()]).unwrap();

        assert_eq!(find_program(REDIS_SERVER, Some(&path)), Some(found));
    }

    #[test]
    fn a_missing_program_is_none_and_the_message_says_how_to_install_it() {
        let empty = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([empty.path()]).unwrap();

        assert_eq!(find_program(REDIS_SERVER, Some(&path)), None);
        assert_eq!(find_program(REDIS_SERVER, None), None);
        assert_eq!(find_program(REDIS_SERVER, Some(OsStr::new(""))), None);
        assert!(missing_redis_server().contains("apt-get install redis-server"));
    }
}
