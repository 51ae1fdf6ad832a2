//! `entra-fuzz`: runs a fuzz pass over the workspace's targets (what `cargo xtask fuzz`
//! calls), replays saved cases, regenerates one input.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use entra_fuzz::driver::{self, ChildOptions, PassOptions};
use entra_fuzz::regressions;

const USAGE: &str = "\
usage: entra-fuzz [--seconds N] [--target NAME] [--seed S] [--iterations N] [--timeout S]
                  [--slow S] [--dir DIR]
       entra-fuzz list
       entra-fuzz replay [--target NAME] FILE...
       entra-fuzz minimise [--target NAME] [--seconds N] FILE
       entra-fuzz input --target NAME --seed S --iteration I [--out FILE]

A pass runs every target (or one) for N seconds each (default 10), seed S (default 0),
in a child process; crashers are minimised and saved under DIR/regressions/<target>/
(DIR/open/<target>/ when DIR/open/signatures.txt lists them as known open defects).
An input that runs over S seconds per started MiB twice (--slow, default 2) is a
crasher too; one that gives no sign of life for --timeout seconds (default 10) is a
hang.
Exit status 1 if a crasher is not a known open defect.";

struct Args(Vec<String>);

impl Args {
    fn value(&self, flag: &str) -> Option<&str> {
        self.0
            .iter()
            .position(|a| a == flag)
            .and_then(|i| self.0.get(i + 1))
            .map(String::as_str)
    }

    fn number<T: std::str::FromStr>(&self, flag: &str, default: T) -> Result<T, String> {
        match self.value(flag) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("{flag} takes a number, not `{text}`")),
        }
    }

    /// The arguments that are not flags or flag values.
    fn free(&self) -> Vec<&str> {
        let mut free = Vec::new();
        let mut skip = false;
        for arg in self.0.iter().skip(1) {
            if skip {
                skip = false;
            } else if arg.starts_with("--") {
                skip = true;
            } else {
                free.push(arg.as_str());
            }
        }
        free
    }
}

fn main() -> ExitCode {
    let args = Args(std::env::args().skip(1).collect());
    let result = match args.0.first().map(String::as_str) {
        Some("child") => child(&args),
        Some("list") => {
            for target in entra_fuzz::all() {
                println!("{:<20} {}", target.name, target.about);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some("replay") => replay(&args),
        Some("minimise") => minimise(&args),
        Some("input") => input(&args),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => pass(&args),
    };
    result.unwrap_or_else(|problem| {
        eprintln!("entra-fuzz: {problem}\n\n{USAGE}");
        ExitCode::from(2)
    })
}

fn fuzz_dir(args: &Args) -> PathBuf {
    args.value("--dir")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

fn target(args: &Args) -> Result<entra_fuzz::Target, String> {
    let name = args.value("--target").ok_or("--target NAME is needed")?;
    entra_fuzz::by_name(name).ok_or_else(|| format!("no target `{name}` (see `entra-fuzz list`)"))
}

fn pass(args: &Args) -> Result<ExitCode, String> {
    let options = PassOptions {
        seed: args.number("--seed", 0)?,
        seconds: args.number("--seconds", 10.0)?,
        iterations: args.number("--iterations", u64::MAX)?,
        timeout: Duration::from_secs_f64(args.number("--timeout", 10.0)?),
        slow: Duration::from_secs_f64(args.number("--slow", 2.0)?),
        fuzz_dir: fuzz_dir(args),
    };
    let targets = match args.value("--target") {
        Some(_) => vec![target(args)?],
        None => entra_fuzz::all(),
    };
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let (mut inputs, mut failed, mut open, mut seconds) = (0, 0, 0, 0.0);
    for target in &targets {
        let report = driver::supervise(&exe, target, &options);
        println!(
            "{:<20} {:>9} inputs {:>6.1} s  {}",
            target.name,
            report.inputs,
            report.seconds,
            match (report.crashes.len(), report.failed) {
                (0, _) => "no crash".to_owned(),
                (n, true) => format!("{n} crasher(s), NEW"),
                (n, false) => format!("{n} known open crasher(s)"),
            }
        );
        for line in report.crashes.iter().chain(&report.notes) {
            println!("    {line}");
        }
        inputs += report.inputs;
        seconds += report.seconds;
        failed += usize::from(report.failed);
        open += usize::from(!report.failed && !report.crashes.is_empty());
    }
    println!(
        "fuzz: {} targets, {inputs} inputs in {seconds:.1} s (seed {}): {failed} with new crashers, {open} with known open ones only",
        targets.len(),
        options.seed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn child(args: &Args) -> Result<ExitCode, String> {
    let name = target(args)?.name;
    let options = ChildOptions {
        seed: args.number("--seed", 0)?,
        start: args.number("--start", 0)?,
        end: args.number("--iterations", u64::MAX)?,
        seconds: args.number("--seconds", 10.0)?,
        fuzz_dir: fuzz_dir(args),
        slow: Duration::from_secs_f64(args.number("--slow", 2.0)?),
    };
    regressions::on_fuzz_stack(move || {
        if let Some(target) = entra_fuzz::by_name(name) {
            driver::child(&target, &options);
        }
    });
    Ok(ExitCode::SUCCESS)
}

/// The target of a saved case: `--target`, else the directory the case sits in.
fn case_target(args: &Args, path: &std::path::Path) -> Result<String, String> {
    let name = match args.value("--target") {
        Some(name) => name.to_owned(),
        None => path
            .parent()
            .and_then(|dir| dir.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    match entra_fuzz::by_name(&name) {
        Some(_) => Ok(name),
        None => Err(format!(
            "no target `{name}` for {}: pass --target",
            path.display()
        )),
    }
}

/// Shrinks a saved case in place (a new file named by its new hash, the note updated).
fn minimise(args: &Args) -> Result<ExitCode, String> {
    let file = *args.free().first().ok_or("minimise needs a file")?;
    let path = PathBuf::from(file);
    let name = case_target(args, &path)?;
    let seconds: f64 = args.number("--seconds", 60.0)?;
    let input = std::fs::read(&path).map_err(|e| format!("cannot read {file}: {e}"))?;
    regressions::silence_panics();
    let (small, crash) = regressions::on_fuzz_stack(move || {
        let target = entra_fuzz::by_name(&name)?;
        let crash = regressions::run_caught(&target, &input).err()?;
        let small = driver::minimise(&target, &input, &crash, Duration::from_secs_f64(seconds));
        Some((small, crash))
    })
    .ok_or_else(|| format!("{file} does not crash"))?;
    let new_path = path.with_file_name(format!("{:016x}", entra_fuzz::rng::fnv1a(&small)));
    let note = std::fs::read_to_string(path.with_extension("txt")).unwrap_or_default();
    let note: String = note
        .lines()
        .map(|line| match line.starts_with("bytes: ") {
            true => format!("bytes: {}\n", small.len()),
            false => format!("{line}\n"),
        })
        .collect();
    std::fs::write(&new_path, &small).map_err(|e| format!("cannot write: {e}"))?;
    std::fs::write(new_path.with_extension("txt"), note)
        .map_err(|e| format!("cannot write: {e}"))?;
    if new_path != path {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(path.with_extension("txt"));
    }
    println!(
        "{} -> {} ({} bytes, still {})",
        path.display(),
        new_path.display(),
        small.len(),
        crash.signature()
    );
    Ok(ExitCode::SUCCESS)
}

fn replay(args: &Args) -> Result<ExitCode, String> {
    let files = args.free();
    if files.is_empty() {
        return Err("replay needs a file".to_owned());
    }
    let mut crashed = false;
    for file in files {
        let path = PathBuf::from(file);
        let name = case_target(args, &path)?;
        let input = std::fs::read(&path).map_err(|e| format!("cannot read {file}: {e}"))?;
        // The panic is printed as usual here: this is for a human to read.
        let result = regressions::on_fuzz_stack(move || {
            entra_fuzz::by_name(&name)
                .map(|target| std::panic::catch_unwind(|| (target.run)(&input)).is_ok())
        });
        let ok = result.unwrap_or(false);
        crashed |= !ok;
        println!("{file}: {}", if ok { "no crash" } else { "CRASHED" });
    }
    Ok(if crashed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn input(args: &Args) -> Result<ExitCode, String> {
    let target = target(args)?;
    let seed = args.number("--seed", 0)?;
    let iteration = args
        .value("--iteration")
        .ok_or("--iteration I is needed")?
        .parse::<u64>()
        .map_err(|_| "--iteration takes a number")?;
    let bytes = driver::input_for(&target, &(target.seeds)(), seed, iteration);
    match args.value("--out") {
        Some(out) => std::fs::write(out, &bytes).map_err(|e| format!("cannot write {out}: {e}"))?,
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| format!("cannot write: {e}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
