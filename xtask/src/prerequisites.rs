//! Programs the checks need that cargo cannot install, looked for before any check runs
//! and installed with apt-get when missing (as root); otherwise a missing one is named at
//! once with how to install it, instead of failing tests minutes later.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A program the checks run that comes from a Debian package.
struct Program {
    /// Its name on `PATH`.
    name: &'static str,
    /// The Debian package that provides it.
    package: &'static str,
    /// What needs it.
    needed_by: &'static str,
}

/// Every program the checks need besides the Rust toolchain, Python and Node.
const PROGRAMS: [Program; 3] = [
    // The shared-cache tests start a real Redis server (no mocked Redis stands in).
    Program {
        name: "redis-server",
        package: "redis-server",
        needed_by: "the shared-cache tests start a real Redis server",
    },
    // The keyring test runs a private session bus with its own GNOME Keyring.
    Program {
        name: "dbus-run-session",
        package: "dbus-daemon",
        needed_by: "the keyring test runs a private session bus",
    },
    Program {
        name: "gnome-keyring-daemon",
        package: "gnome-keyring",
        needed_by: "the keyring test stores a key in a private GNOME Keyring",
    },
];

/// Finds every program the checks need, installing the missing ones with apt-get when
/// this runs as root on a machine that has it (a fresh CI machine); otherwise says how
/// to install them. `Ok` lists what was found.
pub(crate) fn ensure() -> Result<Vec<String>, String> {
    let path = std::env::var_os("PATH");
    let missing: Vec<&Program> = PROGRAMS
        .iter()
        .filter(|program| find_program(program.name, path.as_deref()).is_none())
        .collect();
    if !missing.is_empty() {
        install(&missing)?;
    }
    PROGRAMS
        .iter()
        .map(|program| {
            let found = find_program(program.name, path.as_deref())
                .ok_or_else(|| missing_message(&[program]))?;
            Ok(format!("{}: {}", program.name, found.display()))
        })
        .collect()
}

/// Finds `redis-server` (installing it as [`ensure`] does when it may), for the
/// benchmarks' Redis rows; `Ok` says where it is.
pub(crate) fn redis_server() -> Result<String, String> {
    let redis = &PROGRAMS[0];
    let path = std::env::var_os("PATH");
    if find_program(redis.name, path.as_deref()).is_none() {
        install(&[redis])?;
    }
    find_program(redis.name, path.as_deref())
        .map(|found| found.display().to_string())
        .ok_or_else(|| missing_message(&[redis]))
}

/// Installs the packages of `missing` with apt-get, if this process may.
fn install(missing: &[&Program]) -> Result<(), String> {
    let apt = find_program("apt-get", std::env::var_os("PATH").as_deref());
    if apt.is_none() || !is_root() {
        return Err(missing_message(missing));
    }
    let packages: Vec<&str> = missing.iter().map(|program| program.package).collect();
    println!("installing {} with apt-get", packages.join(", "));
    let apt_get = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    let mut install = vec!["install", "-y", "-qq"];
    install.extend(&packages);
    // The package lists of a fresh machine may be empty: update them if the first try
    // cannot find the packages.
    if apt_get(&install) || (apt_get(&["update", "-qq"]) && apt_get(&install)) {
        Ok(())
    } else {
        Err(format!(
            "apt-get could not install {}. {}",
            packages.join(", "),
            missing_message(missing)
        ))
    }
}

/// Whether this process runs as root (by `id -u`, as there is no safe call for it here).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn missing_message(missing: &[&Program]) -> String {
    let names: Vec<String> = missing
        .iter()
        .map(|program| format!("`{}` ({})", program.name, program.needed_by))
        .collect();
    let packages: Vec<&str> = missing.iter().map(|program| program.package).collect();
    format!(
        "not found on PATH: {}. Install them with `sudo apt-get install {}` (Debian and \
         Ubuntu; `cargo xtask test` does this itself when run as root), then run the \
         command again.",
        names.join(", "),
        packages.join(" ")
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
        write(first.path(), "redis-server", 0o644); // not executable
        std::fs::create_dir(second.path().join("redis-server")).unwrap(); // a directory
        let found = write(third.path(), "redis-server", 0o755);
        let path = std::env::join_paths([first.path(), second.path(), third.path()]).unwrap();

        assert_eq!(find_program("redis-server", Some(&path)), Some(found));
    }

    #[test]
    fn a_missing_program_is_none_and_the_message_says_how_to_install_it() {
        let empty = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([empty.path()]).unwrap();

        assert_eq!(find_program("redis-server", Some(&path)), None);
        assert_eq!(find_program("redis-server", None), None);
        assert_eq!(find_program("redis-server", Some(OsStr::new(""))), None);
        assert!(
            missing_message(&[&PROGRAMS[0], &PROGRAMS[2]])
                .contains("apt-get install redis-server gnome-keyring")
        );
    }
}
