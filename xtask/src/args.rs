//! The command line of `cargo xtask`: every subcommand's arguments are checked here, so
//! an unknown command, flag or argument is refused with the usage text and exit status 2
//! instead of being ignored.

/// What `cargo xtask` was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Task {
    /// `test`: every check CI runs.
    Test,
    /// `demo`: the main job against an in-process mock-idp.
    Demo,
    /// `layering`: only the crate-boundary check.
    Layering,
    /// `package`: only the packaging check of the publishable crates.
    Package,
    /// `recipes`: only the mock-idp recipes for other languages.
    Recipes,
    /// `bench [--quick]`.
    Bench {
        /// Fewer calls, no repetitions.
        quick: bool,
    },
    /// `fuzz ...`: the arguments, handed to entra-fuzz.
    Fuzz(Vec<String>),
    /// `help`, `--help`, `-h` or nothing: print the usage text.
    Help,
}

/// The flags of a fuzz pass (`cargo xtask fuzz [--flag value]...`), each taking a value.
const FUZZ_PASS_FLAGS: [&str; 7] = [
    "--seconds",
    "--target",
    "--seed",
    "--iterations",
    "--timeout",
    "--slow",
    "--dir",
];

/// entra-fuzz's own subcommands, whose arguments entra-fuzz checks itself.
const FUZZ_SUBCOMMANDS: [&str; 4] = ["list", "replay", "minimise", "input"];

/// Reads the arguments after `cargo xtask`; `Err` names what was refused.
pub(crate) fn parse(args: &[String]) -> Result<Task, String> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    match command.as_str() {
        "test" => no_arguments("test", rest).map(|()| Task::Test),
        "demo" => no_arguments("demo", rest).map(|()| Task::Demo),
        "layering" => no_arguments("layering", rest).map(|()| Task::Layering),
        "package" => no_arguments("package", rest).map(|()| Task::Package),
        "recipes" => no_arguments("recipes", rest).map(|()| Task::Recipes),
        "bench" => match rest {
            [] => Ok(Task::Bench { quick: false }),
            [flag] if flag == "--quick" => Ok(Task::Bench { quick: true }),
            _ => Err(refused("bench", rest)),
        },
        "fuzz" => fuzz(rest).map(Task::Fuzz),
        "help" | "--help" | "-h" => no_arguments(command, rest).map(|()| Task::Help),
        other => Err(format!("unknown command `{other}`")),
    }
}

fn no_arguments(command: &str, rest: &[String]) -> Result<(), String> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(refused(command, rest))
    }
}

fn refused(command: &str, rest: &[String]) -> String {
    format!("`cargo xtask {command}` does not take `{}`", rest.join(" "))
}

/// A fuzz pass takes only its known flags, each with a value; entra-fuzz's subcommands
/// (`list`, `replay FILE`, ...) go through as they are, for entra-fuzz to check.
fn fuzz(rest: &[String]) -> Result<Vec<String>, String> {
    if rest
        .first()
        .is_some_and(|first| FUZZ_SUBCOMMANDS.contains(&first.as_str()))
    {
        return Ok(rest.to_vec());
    }
    let mut pairs = rest.chunks(2);
    for pair in pairs.by_ref() {
        match pair {
            [flag, _value] if FUZZ_PASS_FLAGS.contains(&flag.as_str()) => {}
            [flag] if FUZZ_PASS_FLAGS.contains(&flag.as_str()) => {
                return Err(format!("`cargo xtask fuzz {flag}` needs a value"));
            }
            [other, ..] => {
                return Err(format!("`cargo xtask fuzz` does not take `{other}`"));
            }
            [] => {}
        }
    }
    Ok(rest.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Result<Task, String> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args)
    }

    #[test]
    fn each_command_is_read() {
        assert_eq!(parsed(""), Ok(Task::Help));
        assert_eq!(parsed("--help"), Ok(Task::Help));
        assert_eq!(parsed("test"), Ok(Task::Test));
        assert_eq!(parsed("demo"), Ok(Task::Demo));
        assert_eq!(parsed("layering"), Ok(Task::Layering));
        assert_eq!(parsed("package"), Ok(Task::Package));
        assert_eq!(parsed("recipes"), Ok(Task::Recipes));
        assert_eq!(parsed("bench"), Ok(Task::Bench { quick: false }));
        assert_eq!(parsed("bench --quick"), Ok(Task::Bench { quick: true }));
    }

    #[test]
    fn unknown_flags_and_arguments_are_refused() {
        for (line, refusal) in [
            ("test --bogus", "`cargo xtask test` does not take `--bogus`"),
            (
                "test extra words",
                "`cargo xtask test` does not take `extra words`",
            ),
            ("demo --fast", "`cargo xtask demo` does not take `--fast`"),
            ("layering x", "`cargo xtask layering` does not take `x`"),
            (
                "package --bogus",
                "`cargo xtask package` does not take `--bogus`",
            ),
            ("bench --slow", "`cargo xtask bench` does not take `--slow`"),
            (
                "bench --quick --quick",
                "`cargo xtask bench` does not take `--quick --quick`",
            ),
            ("help me", "`cargo xtask help` does not take `me`"),
            ("tset", "unknown command `tset`"),
            ("--bogus", "unknown command `--bogus`"),
        ] {
            assert_eq!(parsed(line), Err(refusal.to_owned()), "{line}");
        }
    }

    #[test]
    fn a_fuzz_pass_takes_its_flags_with_values() {
        assert_eq!(parsed("fuzz"), Ok(Task::Fuzz(Vec::new())));
        assert_eq!(
            parsed("fuzz --seconds 3 --target mex --seed 7"),
            Ok(Task::Fuzz(
                ["--seconds", "3", "--target", "mex", "--seed", "7"]
                    .map(str::to_owned)
                    .to_vec()
            ))
        );
        assert_eq!(
            parsed("fuzz --seconds"),
            Err("`cargo xtask fuzz --seconds` needs a value".to_owned())
        );
        assert_eq!(
            parsed("fuzz --bogus 1"),
            Err("`cargo xtask fuzz` does not take `--bogus`".to_owned())
        );
        assert_eq!(
            parsed("fuzz --seed 1 stray"),
            Err("`cargo xtask fuzz` does not take `stray`".to_owned())
        );
    }

    #[test]
    fn entra_fuzz_subcommands_go_through() {
        assert_eq!(
            parsed("fuzz replay a.bin"),
            Ok(Task::Fuzz(["replay", "a.bin"].map(str::to_owned).to_vec()))
        );
        assert_eq!(parsed("fuzz list"), Ok(Task::Fuzz(vec!["list".to_owned()])));
    }
}
