//! Running one input with its panic caught, naming the panic, and the committed cases:
//! `fuzz/regressions/<target>/<hash>` (must not crash; replayed by the tests),
//! `fuzz/open/<target>/<hash>` (known open defects, replayed by an ignored test), each
//! beside a `<hash>.txt` saying what it did when found. `fuzz/open/signatures.txt`
//! lists the known open defects a pass reports without failing.

use std::any::Any;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, PoisonError};

use crate::rng::fnv1a;
use crate::targets::Target;

/// Where the last panic happened, as the panic hook saw it.
static LAST_LOCATION: Mutex<Option<String>> = Mutex::new(None);
static QUIET_HOOK: Once = Once::new();

thread_local! {
    /// Whether this thread is inside [`run_caught`], whose panics are recorded, not printed.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs a panic hook that records the location of a panic inside [`run_caught`] and
/// prints nothing (a pass with thousands of caught panics stays readable); other panics
/// (a failing test's assertion) go to the previous hook as before.
pub fn silence_panics() {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                previous(info);
                return;
            }
            let location = info.location().map(|l| {
                let file = l.file();
                if file.starts_with("/rustc/") {
                    // A panic inside std (`SystemTime + Duration`): name the caller.
                    caller_outside_std(&format!("{file}:{}:", l.line()))
                        .unwrap_or_else(|| format!("{}:{}:{}", file, l.line(), l.column()))
                } else {
                    format!("{}:{}:{}", short_path(file), l.line(), l.column())
                }
            });
            *LAST_LOCATION.lock().unwrap_or_else(PoisonError::into_inner) = location;
        }));
    });
}

/// The first frame outside std and core after the frame at `panicked_at` (`file:line:`)
/// in the current backtrace.
fn caller_outside_std(panicked_at: &str) -> Option<String> {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| format!("{}/", p.display()))
        .unwrap_or_default();
    trace
        .lines()
        .filter_map(|line| line.trim().strip_prefix("at "))
        .skip_while(|at| !at.starts_with(panicked_at))
        .find(|at| !at.starts_with("/rustc/"))
        .map(|at| {
            let at = at.strip_prefix(root.as_str()).unwrap_or(at);
            short_path(at.strip_prefix("./").unwrap_or(at))
        })
}

/// A registry path shortened to `crate-1.2.3/src/...`; workspace paths as they are.
fn short_path(file: &str) -> String {
    match file.find("/registry/src/") {
        Some(at) => {
            let rest = &file[at + "/registry/src/".len()..];
            rest.split_once('/').map_or(rest, |(_, r)| r).to_owned()
        }
        None => file.to_owned(),
    }
}

/// What a crashing input did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash {
    /// `panic` or `abort` (the process died: a stack overflow) or `timeout`.
    pub kind: String,
    /// Where it panicked (`file:line:column`), or what the process printed last.
    pub location: String,
    /// The panic message's first line (at most 300 characters).
    pub message: String,
}

impl Crash {
    /// `location: message`, what `fuzz/open/signatures.txt` lines match against.
    pub fn signature(&self) -> String {
        format!("{}: {}", self.location, self.message)
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_owned());
    let first = text.lines().next().unwrap_or_default();
    first.chars().take(300).collect()
}

/// Runs `target` on `input` on the current thread; a panic becomes a [`Crash`].
pub fn run_caught(target: &Target, input: &[u8]) -> Result<(), Crash> {
    *LAST_LOCATION.lock().unwrap_or_else(PoisonError::into_inner) = None;
    CATCHING.with(|catching| catching.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    CATCHING.with(|catching| catching.set(false));
    result.map_err(|payload| Crash {
        kind: "panic".to_owned(),
        location: LAST_LOCATION
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| "(unknown location)".to_owned()),
        message: panic_message(payload.as_ref()),
    })
}

/// Runs `work` on a new thread with [`crate::STACK_SIZE`] of stack and returns its value.
pub fn on_fuzz_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new()
        .name("fuzz".to_owned())
        .stack_size(crate::STACK_SIZE)
        .spawn(work);
    match handle.map(std::thread::JoinHandle::join) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(error) => panic!("cannot start the fuzz thread: {error}"),
    }
}

/// A known open defect: crashes of `target` whose signature contains `pattern`.
#[derive(Debug, Clone)]
pub struct OpenDefect {
    /// The target name, or `*` for any.
    pub target: String,
    /// A piece of the signature (`location: message`).
    pub pattern: String,
}

/// The known open defects listed in `<fuzz_dir>/open/signatures.txt` (one
/// `target pattern...` per line, `#` comments); none if the file is absent.
pub fn open_defects(fuzz_dir: &Path) -> Vec<OpenDefect> {
    let text = fs::read_to_string(fuzz_dir.join("open").join("signatures.txt")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once(char::is_whitespace))
        .map(|(target, pattern)| OpenDefect {
            target: target.to_owned(),
            pattern: pattern.trim().to_owned(),
        })
        .collect()
}

/// Whether `crash` of `target` is a known open defect.
pub fn is_open(defects: &[OpenDefect], target: &str, crash: &Crash) -> bool {
    let signature = crash.signature();
    defects
        .iter()
        .any(|d| (d.target == "*" || d.target == target) && signature.contains(&d.pattern))
}

/// Where a saved case went.
#[derive(Debug, Clone)]
pub enum Saved {
    /// A new file.
    New(PathBuf),
    /// A case with the same location was saved before; nothing written.
    Known(PathBuf),
}

impl Saved {
    /// The case's path.
    pub fn path(&self) -> &Path {
        match self {
            Saved::New(path) | Saved::Known(path) => path,
        }
    }
}

/// The case files (not the `.txt` notes) under `dir`, sorted.
pub fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_none())
        .collect();
    files.sort();
    files
}

/// The case saved for `target` that crashed at `location`, if any.
pub fn saved_case(fuzz_dir: &Path, target: &str, location: &str) -> Option<PathBuf> {
    ["regressions", "open"].iter().find_map(|kind| {
        cases(&fuzz_dir.join(kind).join(target))
            .into_iter()
            .find(|case| {
                let note = fs::read_to_string(case.with_extension("txt")).unwrap_or_default();
                note.lines()
                    .any(|line| line.strip_prefix("location: ") == Some(location))
            })
    })
}

/// Saves a crasher under `regressions/<target>/` (or `open/<target>/` for a known open
/// defect) unless a case with the same location is already there.
pub fn save(
    fuzz_dir: &Path,
    target: &str,
    input: &[u8],
    crash: &Crash,
    open: bool,
    found: &str,
) -> std::io::Result<Saved> {
    if let Some(case) = saved_case(fuzz_dir, target, &crash.location) {
        return Ok(Saved::Known(case));
    }
    let dir = fuzz_dir
        .join(if open { "open" } else { "regressions" })
        .join(target);
    fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{:016x}", fnv1a(input)));
    fs::write(&path, input)?;
    fs::write(
        path.with_extension("txt"),
        format!(
            "target: {target}\nkind: {}\nlocation: {}\nmessage: {}\nfound: {found}\nbytes: {}\n",
            crash.kind,
            crash.location,
            crash.message,
            input.len()
        ),
    )?;
    Ok(Saved::New(path))
}

/// Replays every case of `<fuzz_dir>/<kind>/<target>/` on the fuzz stack; returns
/// how many cases ran and the ones that still crash, with their crash.
pub fn replay_all(fuzz_dir: &Path, kind: &str) -> (usize, Vec<(PathBuf, Crash)>) {
    replay(crate::targets::all, fuzz_dir, kind)
}

fn replay(
    targets: fn() -> Vec<Target>,
    fuzz_dir: &Path,
    kind: &str,
) -> (usize, Vec<(PathBuf, Crash)>) {
    silence_panics();
    let (mut ran, mut failures) = (0, Vec::new());
    for (index, target) in targets().iter().enumerate() {
        for case in cases(&fuzz_dir.join(kind).join(target.name)) {
            let Ok(input) = fs::read(&case) else {
                continue;
            };
            ran += 1;
            let result = on_fuzz_stack(move || {
                let targets = targets();
                run_caught(&targets[index], &input)
            });
            if let Err(crash) = result {
                failures.push((case, crash));
            }
        }
    }
    (ran, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_paths_are_shortened() {
        assert_eq!(
            short_path(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/quick-xml-0.38.3/src/reader/mod.rs"
            ),
            "quick-xml-0.38.3/src/reader/mod.rs"
        );
        assert_eq!(
            short_path("crates/app/src/clock.rs"),
            "crates/app/src/clock.rs"
        );
    }

    #[test]
    fn a_signature_line_matches_by_target_and_piece() {
        let defects = vec![OpenDefect {
            target: "sign_in".into(),
            pattern: "overflow when adding duration".into(),
        }];
        let crash = Crash {
            kind: "panic".into(),
            location: "crates/app/src/clock.rs:72:5".into(),
            message: "overflow when adding duration to instant".into(),
        };
        assert!(is_open(&defects, "sign_in", &crash));
        assert!(!is_open(&defects, "mex", &crash));
    }

    fn boom_target() -> Vec<Target> {
        vec![Target {
            name: "boom",
            about: "panics on `boom`",
            seeds: Vec::new,
            generate: |_, _| Vec::new(),
            run: |input| assert!(input != b"boom", "it went boom"),
        }]
    }

    #[test]
    fn replay_reports_the_cases_that_crash() {
        let dir = tempfile::tempdir().unwrap();
        let cases = dir.path().join("regressions").join("boom");
        fs::create_dir_all(&cases).unwrap();
        fs::write(cases.join("1"), b"boom").unwrap();
        fs::write(cases.join("2"), b"fine").unwrap();
        fs::write(cases.join("1.txt"), b"a note, not a case").unwrap();
        let (ran, failures) = replay(boom_target, dir.path(), "regressions");
        assert_eq!(ran, 2);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, cases.join("1"));
        assert_eq!(failures[0].1.message, "it went boom");
        assert!(failures[0].1.location.contains("regressions.rs"));
    }

    #[test]
    fn a_crasher_is_saved_once_per_location() {
        let dir = tempfile::tempdir().unwrap();
        let crash = Crash {
            kind: "panic".into(),
            location: "x.rs:1:1".into(),
            message: "boom".into(),
        };
        let first = save(dir.path(), "mex", b"<a>", &crash, false, "seed 0, input 1").unwrap();
        assert!(matches!(first, Saved::New(_)));
        assert!(first.path().with_extension("txt").exists());
        let second = save(dir.path(), "mex", b"<b>", &crash, true, "seed 0, input 2").unwrap();
        assert!(matches!(second, Saved::Known(ref p) if p == first.path()));
    }
}
