//! The crate-boundary check (docs/architecture.md, "Import rules"):
//!
//! - `entra-protocol` is sans-IO: no I/O crate anywhere in its normal dependency
//!   tree (read from `cargo metadata`), and no path to sockets, files, the clock, the
//!   environment, processes, threads or OS randomness in its sources (parsed with
//!   `syn`, renamed imports resolved; see [`sources`]);
//! - `entra-cache` does no network I/O: no network crate in its normal dependency tree
//!   (a store that talks to a server, such as Redis, lives in its own crate);
//! - `mock-idp` is an independent implementation: no `entra-*` crate in its tree.
//! - `entra-auth-azure` is an adapter over entra-auth's public API: no workspace
//!   package but `entra-auth` among its direct dependencies, and `azure_core` nowhere in
//!   `entra-auth`'s tree.

mod sources;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Crates that do network or async I/O; `entra-protocol` must reach none of them.
const IO_CRATES: &[&str] = &[
    "tokio",
    "reqwest",
    "hyper",
    "hyper-util",
    "mio",
    "socket2",
    "h2",
    "async-std",
    "smol",
    "ureq",
    "curl",
    "native-tls",
    "tokio-rustls",
    "axum",
];

/// Runs `cargo metadata` and checks the rules; `Ok` holds a one-line summary.
pub(crate) fn check(root: &Path) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .map_err(|err| format!("could not run cargo metadata: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|err| format!("cargo metadata printed invalid JSON: {err}"))?;
    let mut problems = check_metadata(&metadata)?;
    problems.extend(sources::check_dir(&root.join("crates/protocol/src")));
    if problems.is_empty() {
        Ok(
            "entra-protocol has no I/O dependency and names no I/O path; entra-cache has no network dependency; mock-idp imports no entra-* crate; entra-auth-azure imports only entra-auth, which has no azure_core"
                .to_owned(),
        )
    } else {
        Err(problems.join("; "))
    }
}

/// The dependency rules over a parsed `cargo metadata` document. Returns the
/// violations found (empty when the layering holds).
pub(crate) fn check_metadata(metadata: &Value) -> Result<Vec<String>, String> {
    let graph = Graph::from_metadata(metadata)?;
    let mut problems = Vec::new();
    if let Some(protocol) = graph.package_id("entra-protocol") {
        for name in graph.normal_closure(protocol) {
            if IO_CRATES.contains(&name.as_str()) {
                problems.push(format!("entra-protocol depends on the I/O crate `{name}`"));
            }
        }
    } else {
        problems.push("package entra-protocol not found in the workspace".to_owned());
    }
    // entra-cache knows no network: a store that talks to a server lives in its own
    // crate (entra-cache-redis).
    if let Some(cache) = graph.package_id("entra-cache") {
        for name in graph.normal_closure(cache) {
            if IO_CRATES.contains(&name.as_str()) || name == "redis" {
                problems.push(format!("entra-cache depends on the network crate `{name}`"));
            }
        }
    } else {
        problems.push("package entra-cache not found in the workspace".to_owned());
    }
    if let Some(mock) = graph.package_id("mock-idp") {
        for name in graph.normal_closure(mock) {
            if name.starts_with("entra-") {
                problems.push(format!("mock-idp depends on `{name}`"));
            }
        }
    } else {
        problems.push("package mock-idp not found in the workspace".to_owned());
    }
    // The Azure SDK credential is an adapter over entra-auth's public API, and entra-auth
    // itself stays without azure_core.
    if let Some(azure) = graph.package_id("entra-auth-azure") {
        for name in graph.direct_names(azure) {
            if (name.starts_with("entra-") || name == "mock-idp") && name != "entra-auth" {
                problems.push(format!(
                    "entra-auth-azure depends on `{name}`; it may use entra-auth's public API only"
                ));
            }
        }
    } else {
        problems.push("package entra-auth-azure not found in the workspace".to_owned());
    }
    if let Some(auth) = graph.package_id("entra-auth") {
        if graph.normal_closure(auth).contains("azure_core") {
            problems.push(
                "entra-auth depends on `azure_core`; the Azure SDK credential belongs in entra-auth-azure"
                    .to_owned(),
            );
        }
    } else {
        problems.push("package entra-auth not found in the workspace".to_owned());
    }
    Ok(problems)
}

/// The resolved dependency graph: package id -> (name, normal dependency ids).
struct Graph {
    names: HashMap<String, String>,
    normal_deps: HashMap<String, Vec<String>>,
    workspace: Vec<String>,
}

impl Graph {
    fn from_metadata(metadata: &Value) -> Result<Self, String> {
        let packages = metadata["packages"]
            .as_array()
            .ok_or("cargo metadata has no `packages` array")?;
        let names = packages
            .iter()
            .filter_map(|package| {
                Some((
                    package["id"].as_str()?.to_owned(),
                    package["name"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let nodes = metadata["resolve"]["nodes"]
            .as_array()
            .ok_or("cargo metadata has no `resolve.nodes` array")?;
        let mut normal_deps = HashMap::new();
        for node in nodes {
            let Some(id) = node["id"].as_str() else {
                continue;
            };
            let deps = node["deps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|dep| {
                    // A dependency counts when any of its kinds is normal (kind null).
                    dep["dep_kinds"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|kind| kind["kind"].is_null()))
                })
                .filter_map(|dep| dep["pkg"].as_str().map(str::to_owned))
                .collect();
            normal_deps.insert(id.to_owned(), deps);
        }
        let workspace = metadata["workspace_members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect();
        Ok(Self {
            names,
            normal_deps,
            workspace,
        })
    }

    /// The id of the workspace member named `name`.
    fn package_id(&self, name: &str) -> Option<&str> {
        self.workspace
            .iter()
            .find(|id| self.names.get(*id).is_some_and(|n| n == name))
            .map(String::as_str)
    }

    /// Names of `id`'s own normal dependencies.
    fn direct_names(&self, id: &str) -> BTreeSet<String> {
        self.normal_deps
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|dep| self.names.get(dep).cloned())
            .collect()
    }

    /// Names of every package reachable from `id` through normal dependencies.
    fn normal_closure(&self, id: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut names = BTreeSet::new();
        let mut stack = vec![id.to_owned()];
        while let Some(current) = stack.pop() {
            for dep in self.normal_deps.get(&current).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    if let Some(name) = self.names.get(dep) {
                        names.insert(name.clone());
                    }
                    stack.push(dep.clone());
                }
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A metadata document with the two checked crates; `protocol_deps` and
    /// `mock_deps` are (package, kind) edges, kind `None` meaning normal.
    fn metadata(
        protocol_deps: &[(&str, Option<&str>)],
        mock_deps: &[(&str, Option<&str>)],
    ) -> Value {
        metadata_with_cache(protocol_deps, mock_deps, &[])
    }

    /// Like [`metadata`], with entra-cache's edges too.
    fn metadata_with_cache(
        protocol_deps: &[(&str, Option<&str>)],
        mock_deps: &[(&str, Option<&str>)],
        cache_deps: &[(&str, Option<&str>)],
    ) -> Value {
        metadata_with_all(protocol_deps, mock_deps, cache_deps, &[], &[])
    }

    /// Like [`metadata_with_cache`], with entra-auth's and entra-auth-azure's edges too
    /// (by default: entra-auth-azure on entra-auth and azure_core).
    fn metadata_with_all(
        protocol_deps: &[(&str, Option<&str>)],
        mock_deps: &[(&str, Option<&str>)],
        cache_deps: &[(&str, Option<&str>)],
        auth_deps: &[(&str, Option<&str>)],
        azure_deps: &[(&str, Option<&str>)],
    ) -> Value {
        let default_azure: &[(&str, Option<&str>)] = &[("entra-auth", None), ("azure_core", None)];
        let azure_deps = if azure_deps.is_empty() {
            default_azure
        } else {
            azure_deps
        };
        let edges = |deps: &[(&str, Option<&str>)]| {
            deps.iter()
                .map(|(name, kind)| json!({"pkg": format!("{name}-id"), "dep_kinds": [{"kind": kind}]}))
                .collect::<Vec<_>>()
        };
        let mut names: Vec<&str> = vec![
            "entra-protocol",
            "entra-cache",
            "entra-auth",
            "entra-auth-azure",
            "mock-idp",
            "serde",
            "mio",
        ];
        names.extend(
            protocol_deps
                .iter()
                .chain(mock_deps)
                .chain(cache_deps)
                .chain(auth_deps)
                .chain(azure_deps)
                .map(|(name, _)| *name),
        );
        names.sort_unstable();
        names.dedup();
        let packages: Vec<Value> = names
            .iter()
            .map(|name| json!({"id": format!("{name}-id"), "name": name}))
            .collect();
        json!({
            "packages": packages,
            "workspace_members": [
                "entra-protocol-id",
                "entra-cache-id",
                "entra-auth-id",
                "entra-auth-azure-id",
                "mock-idp-id",
            ],
            "resolve": {"nodes": [
                {"id": "entra-protocol-id", "deps": edges(protocol_deps)},
                {"id": "entra-cache-id", "deps": edges(cache_deps)},
                {"id": "entra-auth-id", "deps": edges(auth_deps)},
                {"id": "entra-auth-azure-id", "deps": edges(azure_deps)},
                {"id": "mock-idp-id", "deps": edges(mock_deps)},
                // tokio pulls mio transitively.
                {"id": "tokio-id", "deps": edges(&[("mio", None)])},
            ]}
        })
    }

    #[test]
    fn clean_layering_passes() {
        let doc = metadata(&[("serde", None)], &[("serde", None)]);
        assert_eq!(check_metadata(&doc).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn protocol_depending_on_tokio_fails_with_the_crate_named() {
        let doc = metadata(&[("tokio", None)], &[]);
        let problems = check_metadata(&doc).unwrap();
        assert!(problems.contains(&"entra-protocol depends on the I/O crate `tokio`".to_owned()));
        // And the transitive `mio` is caught too.
        assert!(problems.contains(&"entra-protocol depends on the I/O crate `mio`".to_owned()));
    }

    #[test]
    fn protocol_dev_dependency_on_tokio_is_allowed() {
        let doc = metadata(&[("tokio", Some("dev"))], &[]);
        assert_eq!(check_metadata(&doc).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn entra_cache_depending_on_a_network_crate_fails() {
        let doc = metadata_with_cache(&[], &[], &[("redis", None), ("async-trait", None)]);
        assert_eq!(
            check_metadata(&doc).unwrap(),
            vec!["entra-cache depends on the network crate `redis`"]
        );
        let dev_only = metadata_with_cache(&[], &[], &[("tokio", Some("dev"))]);
        assert_eq!(check_metadata(&dev_only).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn mock_idp_depending_on_an_entra_crate_fails() {
        let doc = metadata(&[], &[("entra-cache", None)]);
        assert_eq!(
            check_metadata(&doc).unwrap(),
            vec!["mock-idp depends on `entra-cache`"]
        );
    }

    #[test]
    fn entra_auth_azure_depending_below_entra_auth_fails() {
        let doc = metadata_with_all(
            &[],
            &[],
            &[],
            &[],
            &[
                ("entra-auth", None),
                ("entra-protocol", None),
                ("mock-idp", Some("dev")),
            ],
        );
        assert_eq!(
            check_metadata(&doc).unwrap(),
            vec![
                "entra-auth-azure depends on `entra-protocol`; it may use entra-auth's public API only"
            ]
        );
    }

    #[test]
    fn entra_auth_reaching_azure_core_fails() {
        let doc = metadata_with_all(&[], &[], &[], &[("azure_core", None)], &[]);
        assert_eq!(
            check_metadata(&doc).unwrap(),
            vec![
                "entra-auth depends on `azure_core`; the Azure SDK credential belongs in entra-auth-azure"
            ]
        );
    }

    #[test]
    fn protocol_sources_are_read_from_the_directory_tree() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("nested")).unwrap();
        std::fs::write(
            dir.path().join("lib.rs"),
            "//! SystemTime::now in a comment is fine\nmod nested;\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("nested/clock.rs"),
            "use std::time::SystemTime as Clock;\nfn f() { let _ = Clock::now(); }\n",
        )
        .unwrap();
        let problems = sources::check_dir(dir.path());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].ends_with("clock.rs:2: entra-protocol names `std::time::SystemTime::now` (written `Clock::now`), under the rule against `std::time::SystemTime::now`"),
            "{problems:?}"
        );
    }

    #[test]
    fn real_workspace_layering_holds() {
        let root = crate::project_root();
        assert_eq!(check(&root).map(|_| ()), Ok(()));
    }
}
