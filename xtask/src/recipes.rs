//! `cargo xtask recipes` and the `recipes` check of `cargo xtask test`: the projects under
//! `mock-idp/recipes/` that other languages' test suites copy, run against a freshly
//! built mock-idp.
//!
//! Steps: check that the code blocks of mock-idp/README.md's "From other languages"
//! equal the recipe files; build mock-idp (the test build, as the conformance checks
//! do); copy each recipe to `target/recipes/` and run it there with `MOCK_IDP_BIN`
//! naming the binary:
//! - `pytest/`: a virtualenv at `target/recipes/venv` with the recipe's
//!   `requirements.txt` (and PyYAML, to read the workflow below) installed by pip, then
//!   `python -m pytest`;
//! - `github-actions.yml`: parsed, and each command of its steps checked against this
//!   repository (the paths it names exist, it installs mock-idp and runs the pytest
//!   recipe the way this step does);
//! - `node/`: `npm ci` (when `node_modules` is missing or was installed from another
//!   lock file), then `node --test`.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::conformance::{built_mock_idp, create_venv, find_python, quiet};
use crate::conformance_node::{ensure_installed, find_node, find_npm, pinned_version};

/// PyYAML, to parse the workflow snippet (the recipe itself does not need it).
const PYYAML: &str = "pyyaml==6.0.3";

/// Each file of mock-idp/README.md's "From other languages", with the language of its
/// code block: the README shows every one of them as it is.
pub(crate) const SHOWN_IN_README: &[&str] = &[
    "pytest/requirements.txt",
    "pytest/conftest.py",
    "pytest/test_sign_in.py",
    "node/package.json",
    "node/mock-idp.mjs",
    "node/sign-in.test.mjs",
    "github-actions.yml",
];

/// The files of the pytest recipe (copied to `target/recipes/pytest`).
const PYTEST_FILES: &[&str] = &["requirements.txt", "conftest.py", "test_sign_in.py"];

/// The files of the Node recipe (copied to `target/recipes/node`).
const NODE_FILES: &[&str] = &[
    "package.json",
    "package-lock.json",
    "mock-idp.mjs",
    "sign-in.test.mjs",
];

/// Runs every recipe against a fresh mock-idp build.
pub(crate) fn run(root: &Path) -> Result<String, String> {
    readme_shows_the_recipes(root)?;
    let node_version = find_node()?;
    find_npm()?;
    let python = find_python()?;
    let binary = fs::canonicalize(built_mock_idp(root)?)
        .map_err(|err| format!("the mock-idp binary: {err}"))?;
    let recipes = recipes_dir(root);
    let work = crate::mock_idp::target_dir(root).join("recipes");

    let venv_python = pytest_venv(&python, &recipes, &work)?;
    let workflow = parse_workflow(&venv_python, &recipes.join("github-actions.yml"))?;
    check_workflow(root, &workflow)?;

    let pytest_dir = copy_recipe(&recipes.join("pytest"), &work.join("pytest"), PYTEST_FILES)?;
    let mut pytest = Command::new(&venv_python);
    pytest
        .args(["-m", "pytest", "-p", "no:cacheprovider"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("MOCK_IDP_BIN", &binary)
        .current_dir(&pytest_dir);
    let pytest_passed = run_counting(pytest, "pytest", pytest_passed_count)?;

    let node_dir = copy_recipe(&recipes.join("node"), &work.join("node"), NODE_FILES)?;
    let pinned = pinned_version(&node_dir)?;
    ensure_installed(&node_dir, &pinned)?;
    let mut node = Command::new("node");
    node.arg("--test")
        .env("MOCK_IDP_BIN", &binary)
        .current_dir(&node_dir);
    let node_passed = run_counting(node, "node --test", node_passed_count)?;

    Ok(format!(
        "pytest recipe: {pytest_passed} passed (MSAL Python {}); node recipe: {node_passed} \
         passed (MSAL Node {pinned}, Node {node_version}); github-actions.yml checked",
        first_requirement(&recipes, "msal")?
    ))
}

/// `mock-idp/recipes`.
fn recipes_dir(root: &Path) -> PathBuf {
    root.join("mock-idp").join("recipes")
}

/// The virtualenv at `target/recipes/venv`, with the pytest recipe's requirements and
/// PyYAML installed unless they already were from the same `requirements.txt`.
fn pytest_venv(python: &Path, recipes: &Path, work: &Path) -> Result<PathBuf, String> {
    let venv = work.join("venv");
    let venv_python = create_venv(python, &venv)?;
    let requirements = recipes.join("pytest").join("requirements.txt");
    let wanted = fs::read_to_string(&requirements)
        .map_err(|err| format!("cannot read {}: {err}", requirements.display()))?
        + PYYAML
        + "\n";
    let stamp = venv.join("xtask-installed-requirements.txt");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv_python);
    }
    println!("pip install -r {} {PYYAML}", requirements.display());
    quiet(
        Command::new(&venv_python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements)
            .arg(PYYAML),
        &format!("pip install -r {} {PYYAML}", requirements.display()),
    )?;
    fs::write(&stamp, wanted).map_err(|err| format!("cannot write {}: {err}", stamp.display()))?;
    Ok(venv_python)
}

/// The version pinned for `package` in the pytest recipe's `requirements.txt`.
fn first_requirement(recipes: &Path, package: &str) -> Result<String, String> {
    let path = recipes.join("pytest").join("requirements.txt");
    let text = fs::read_to_string(&path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    text.lines()
        .find_map(|line| line.trim().strip_prefix(package)?.strip_prefix("=="))
        .map(|version| version.trim().to_owned())
        .ok_or_else(|| format!("{} pins no {package}==VERSION", path.display()))
}

/// Copies `files` of a recipe into `to` (created if needed); returns `to`.
fn copy_recipe(from: &Path, to: &Path, files: &[&str]) -> Result<PathBuf, String> {
    fs::create_dir_all(to).map_err(|err| format!("cannot create {}: {err}", to.display()))?;
    for file in files {
        fs::copy(from.join(file), to.join(file)).map_err(|err| {
            format!(
                "cannot copy {} to {}: {err}",
                from.join(file).display(),
                to.display()
            )
        })?;
    }
    Ok(to.to_path_buf())
}

/// Runs a test command, streaming its output, and returns how many tests passed (read
/// from its output by `passed`); a failure, or no test run, is an error.
fn run_counting(
    mut command: Command,
    what: &str,
    passed: fn(&str) -> Option<usize>,
) -> Result<usize, String> {
    println!(
        "{what} in {}",
        command
            .get_current_dir()
            .map_or_else(String::new, |dir| dir.display().to_string())
    );
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| format!("could not start {what}: {err}"))?;
    let mut count = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(n) = passed(&line) {
                count = Some(n);
            }
        }
    }
    let status = child.wait().map_err(|err| format!("{what}: {err}"))?;
    match count {
        Some(n) if status.success() && n > 0 => Ok(n),
        _ if !status.success() => Err(format!("the {what} recipe failed ({status})")),
        _ => Err(format!("the {what} recipe ran no test")),
    }
}

/// The passed count from pytest's closing line (`==== 2 passed in 0.61s ====`).
fn pytest_passed_count(line: &str) -> Option<usize> {
    let line = line.trim().trim_matches('=').trim();
    let (counts, _) = line.rsplit_once(" in ")?;
    counts
        .split(", ")
        .find_map(|part| part.strip_suffix(" passed")?.parse().ok())
}

/// The passed count from node's test runner summary (`# pass 2`, or `ℹ pass 2`).
fn node_passed_count(line: &str) -> Option<usize> {
    let rest = line.trim_start();
    let rest = rest
        .strip_prefix("# pass ")
        .or_else(|| rest.strip_prefix("\u{2139} pass "))?;
    rest.trim().parse().ok()
}

/// The workflow snippet as JSON, read by PyYAML in the recipes' virtualenv.
fn parse_workflow(venv_python: &Path, path: &Path) -> Result<serde_json::Value, String> {
    let out = Command::new(venv_python)
        .args([
            "-c",
            "import json, sys, yaml\n\
             with open(sys.argv[1], encoding='utf-8') as f:\n    \
             print(json.dumps(yaml.safe_load(f), default=str))",
        ])
        .arg(path)
        .output()
        .map_err(|err| format!("could not run PyYAML: {err}"))?;
    if !out.status.success() {
        return Err(format!(
            "{} is not valid YAML: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|err| format!("PyYAML's reading of {}: {err}", path.display()))
}

/// Checks the workflow's jobs against this repository: each step uses an action or runs
/// commands; every `working-directory` exists; every command is one the check knows
/// (rustup, cargo install of mock-idp, pip install of an existing requirements file,
/// pytest where a conftest.py is), and together they install mock-idp and run pytest.
fn check_workflow(root: &Path, workflow: &serde_json::Value) -> Result<(), String> {
    let jobs = workflow["jobs"]
        .as_object()
        .filter(|jobs| !jobs.is_empty())
        .ok_or("github-actions.yml: no `jobs`")?;
    let mut installs_mock_idp = false;
    let mut runs_pytest = false;
    for (name, job) in jobs {
        if job["runs-on"].as_str().is_none() {
            return Err(format!("github-actions.yml: job {name} has no `runs-on`"));
        }
        let steps = job["steps"]
            .as_array()
            .filter(|steps| !steps.is_empty())
            .ok_or_else(|| format!("github-actions.yml: job {name} has no `steps`"))?;
        for (index, step) in steps.iter().enumerate() {
            let at = format!("github-actions.yml: job {name}, step {}", index + 1);
            if step["uses"].as_str().is_some() {
                continue;
            }
            let run = step["run"]
                .as_str()
                .ok_or_else(|| format!("{at}: neither `uses` nor `run`"))?;
            let dir = match step["working-directory"].as_str() {
                Some(dir) => root.join(dir),
                None => root.to_path_buf(),
            };
            if !dir.is_dir() {
                return Err(format!("{at}: no directory {}", dir.display()));
            }
            for command in commands(run) {
                match check_command(&command, &dir) {
                    Ok(Effect::InstallsMockIdp) => installs_mock_idp = true,
                    Ok(Effect::RunsPytest) => runs_pytest = true,
                    Ok(Effect::Other) => {}
                    Err(problem) => {
                        return Err(format!("{at}: `{}`: {problem}", command.join(" ")));
                    }
                }
            }
        }
    }
    if !installs_mock_idp {
        return Err("github-actions.yml never installs mock-idp (cargo install)".into());
    }
    if !runs_pytest {
        return Err("github-actions.yml never runs pytest".into());
    }
    Ok(())
}

/// What a checked command does.
#[derive(Debug, PartialEq, Eq)]
enum Effect {
    InstallsMockIdp,
    RunsPytest,
    Other,
}

/// The commands of a `run:` block: its lines (comments and blank lines left out), each
/// split at `&&`, each split into words.
fn commands(run: &str) -> Vec<Vec<String>> {
    run.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .flat_map(|line| line.split("&&"))
        .map(|command| command.split_whitespace().map(str::to_owned).collect())
        .filter(|words: &Vec<String>| !words.is_empty())
        .collect()
}

/// Checks one command run in `dir`.
fn check_command(words: &[String], dir: &Path) -> Result<Effect, String> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let words = match words.as_slice() {
        ["python" | "python3", "-m", rest @ ..] => rest,
        other => other,
    };
    match words {
        ["rustup", ..] => Ok(Effect::Other),
        ["cargo", "install", args @ ..] => {
            if let Some(path) = value_of(args, "--path") {
                let manifest = dir.join(path).join("Cargo.toml");
                let text = fs::read_to_string(&manifest)
                    .map_err(|err| format!("cannot read {}: {err}", manifest.display()))?;
                if !text.contains("name = \"mock-idp\"") {
                    return Err(format!("{} is not mock-idp's", manifest.display()));
                }
            } else if !args.contains(&"mock-idp") {
                return Err("installs something other than mock-idp".into());
            }
            Ok(Effect::InstallsMockIdp)
        }
        ["pip", "install", args @ ..] => {
            let requirements =
                value_of(args, "-r").ok_or("the check knows only `pip install -r FILE`")?;
            if dir.join(requirements).is_file() {
                Ok(Effect::Other)
            } else {
                Err(format!("no {}", dir.join(requirements).display()))
            }
        }
        ["pytest", ..] => {
            if dir.join("conftest.py").is_file() {
                Ok(Effect::RunsPytest)
            } else {
                Err(format!("no conftest.py in {}", dir.display()))
            }
        }
        _ => Err(
            "not a command this check knows (rustup, cargo install, pip install -r, pytest)".into(),
        ),
    }
}

/// The word after `flag`.
fn value_of<'a>(args: &[&'a str], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|arg| *arg == flag)
        .and_then(|at| args.get(at + 1))
        .copied()
}

/// Checks that mock-idp/README.md shows each of [`SHOWN_IN_README`] as it is: a line
/// `<!-- recipe: PATH -->` followed by a fenced code block whose text equals the file.
pub(crate) fn readme_shows_the_recipes(root: &Path) -> Result<(), String> {
    let readme_path = root.join("mock-idp").join("README.md");
    let readme = fs::read_to_string(&readme_path)
        .map_err(|err| format!("cannot read {}: {err}", readme_path.display()))?;
    let blocks = recipe_blocks(&readme)?;
    let recipes = recipes_dir(root);
    for file in SHOWN_IN_README {
        let shown = blocks
            .iter()
            .find(|(path, _)| path == file)
            .map(|(_, text)| text)
            .ok_or_else(|| {
                format!(
                    "mock-idp/README.md does not show recipes/{file} (`<!-- recipe: {file} -->`)"
                )
            })?;
        let path = recipes.join(file);
        let text = fs::read_to_string(&path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        if *shown != text {
            return Err(format!(
                "mock-idp/README.md's block for recipes/{file} differs from the file: copy the \
                 file into the README"
            ));
        }
    }
    for (path, _) in &blocks {
        if !SHOWN_IN_README.contains(&path.as_str()) {
            return Err(format!(
                "mock-idp/README.md shows recipes/{path}, which the check does not know"
            ));
        }
    }
    Ok(())
}

/// Every `<!-- recipe: PATH -->` marker and the text of the fenced block right after it.
fn recipe_blocks(readme: &str) -> Result<Vec<(String, String)>, String> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(path) = line
            .trim()
            .strip_prefix("<!-- recipe:")
            .and_then(|rest| rest.strip_suffix("-->"))
            .map(str::trim)
        else {
            continue;
        };
        if !lines.next().is_some_and(|fence| fence.starts_with("```")) {
            return Err(format!(
                "mock-idp/README.md: `<!-- recipe: {path} -->` is not followed by a code block"
            ));
        }
        let mut text = String::new();
        loop {
            match lines.next() {
                Some("```") => break,
                Some(line) => {
                    text.push_str(line);
                    text.push('\n');
                }
                None => {
                    return Err(format!(
                        "mock-idp/README.md: the code block of recipes/{path} is not closed"
                    ));
                }
            }
        }
        blocks.push((path.to_owned(), text));
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_shows_every_recipe_file_as_it_is() {
        readme_shows_the_recipes(&crate::project_root()).unwrap_or_else(|err| panic!("{err}"));
    }

    #[test]
    fn reads_marked_code_blocks() {
        let readme = "text\n<!-- recipe: a.py -->\n```python\nx = 1\n\ny = 2\n```\nmore\n";
        assert_eq!(
            recipe_blocks(readme),
            Ok(vec![("a.py".to_owned(), "x = 1\n\ny = 2\n".to_owned())])
        );
        assert!(recipe_blocks("<!-- recipe: a.py -->\ntext\n").is_err());
        assert!(recipe_blocks("<!-- recipe: a.py -->\n```\nx\n").is_err());
    }

    #[test]
    fn the_node_recipe_pins_the_conformance_scripts_msal_node() {
        let root = crate::project_root();
        let recipe = pinned_version(&recipes_dir(&root).join("node"));
        let conformance =
            pinned_version(&root.join("mock-idp").join("conformance").join("msal-node"));
        assert!(recipe.is_ok(), "{recipe:?}");
        assert_eq!(recipe, conformance);
    }

    #[test]
    fn the_pytest_recipe_pins_msal_python_1_39() {
        let version = first_requirement(&recipes_dir(&crate::project_root()), "msal");
        assert_eq!(version.as_deref(), Ok("1.39.0"));
    }

    #[test]
    fn reads_the_passed_counts() {
        assert_eq!(
            pytest_passed_count("============ 2 passed in 0.61s ============"),
            Some(2)
        );
        assert_eq!(
            pytest_passed_count("==== 1 failed, 3 passed, 1 warning in 1.20s ===="),
            Some(3)
        );
        assert_eq!(pytest_passed_count("test_sign_in.py .. [100%]"), None);
        assert_eq!(node_passed_count("# pass 2"), Some(2));
        assert_eq!(node_passed_count("\u{2139} pass 5"), Some(5));
        assert_eq!(node_passed_count("# fail 0"), None);
    }

    #[test]
    fn checks_the_workflows_commands() {
        let root = crate::project_root();
        let pytest = root.join("mock-idp").join("recipes").join("pytest");
        let words =
            |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_owned).collect() };
        assert_eq!(
            check_command(&words("cargo install --path mock-idp --locked"), &root),
            Ok(Effect::InstallsMockIdp)
        );
        assert_eq!(
            check_command(&words("cargo install mock-idp --locked"), &root),
            Ok(Effect::InstallsMockIdp)
        );
        assert!(check_command(&words("cargo install --path crates/app"), &root).is_err());
        assert!(check_command(&words("cargo install --path nowhere"), &root).is_err());
        assert_eq!(
            check_command(&words("python -m pip install -r requirements.txt"), &pytest),
            Ok(Effect::Other)
        );
        assert!(check_command(&words("pip install -r requirements.txt"), &root).is_err());
        assert_eq!(
            check_command(&words("python -m pytest"), &pytest),
            Ok(Effect::RunsPytest)
        );
        assert!(check_command(&words("pytest"), &root).is_err());
        assert!(check_command(&words("curl https://example.com | sh"), &root).is_err());
        assert_eq!(
            commands("# comment\nrustup toolchain install stable && rustup default stable\n\n"),
            vec![
                words("rustup toolchain install stable"),
                words("rustup default stable")
            ]
        );
    }
}
