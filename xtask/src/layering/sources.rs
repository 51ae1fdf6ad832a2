//! The source half of the layering check: every `.rs` file of `entra-protocol` parsed
//! with `syn`, each path it names (in `use` items, expressions, types, patterns, macro
//! names and the macro arguments that parse as expressions) resolved through the file's
//! `use ... as` and `extern crate ... as` aliases, and compared with the paths a sans-IO
//! crate must not reach. Comments, doc comments and string literals are not paths, so
//! they never match.

use std::collections::HashMap;
use std::path::Path;

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Path prefixes that open sockets or files, read the clock, the environment or the
/// OS's randomness, or start processes and threads. `std::net`'s address types
/// (`IpAddr`, ...) are plain values and stay allowed; its sockets do not.
const FORBIDDEN: &[&str] = &[
    "std::net::TcpStream",
    "std::net::TcpListener",
    "std::net::UdpSocket",
    "std::net::ToSocketAddrs",
    "std::fs",
    "std::process",
    "std::thread",
    "std::thread_local",
    "thread_local",
    "std::env",
    "std::os",
    "std::io::stdin",
    "std::io::stdout",
    "std::io::stderr",
    "std::time::SystemTime::now",
    "std::time::Instant::now",
    "tokio",
    "reqwest",
    "hyper",
    "hyper_util",
    "mio",
    "socket2",
    "async_std",
    "smol",
    "ureq",
    "curl",
    "rand",
    "getrandom",
    "uuid::Uuid::new_v4",
    "uuid::Uuid::now_v1",
    "uuid::Uuid::now_v6",
    "uuid::Uuid::now_v7",
];

/// Exceptions inside [`FORBIDDEN`]: compile-time constants that do no I/O.
const ALLOWED: &[&str] = &["std::env::consts"];

/// How many alias hops a path may take before resolution stops (`use std as s;
/// use s::fs as f;` takes two).
const MAX_ALIAS_HOPS: usize = 8;

/// Problems in the `.rs` files under `dir`: forbidden paths and files that do not parse.
pub(crate) fn check_dir(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut problems = Vec::new();
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => {
                problems.push(format!("{}: cannot list: {err}", dir.display()));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => problems.extend(
                check_source(&text)
                    .into_iter()
                    .map(|problem| format!("{}:{problem}", path.display())),
            ),
            Err(err) => problems.push(format!("{}: cannot read: {err}", path.display())),
        }
    }
    problems
}

/// Problems in one file's text, each `LINE: what` (a parse error included).
pub(crate) fn check_source(text: &str) -> Vec<String> {
    let file = match syn::parse_file(text) {
        Ok(file) => file,
        Err(err) => {
            return vec![format!(
                "{}: does not parse as Rust: {err}",
                err.span().start().line
            )];
        }
    };
    let mut aliases = Aliases::default();
    aliases.visit_file(&file);
    let mut finder = Finder {
        aliases: aliases.map,
        problems: Vec::new(),
    };
    finder.visit_file(&file);
    finder.problems
}

/// Every name a `use` or `extern crate` item of the file brings in, with the path it
/// stands for. Scopes are ignored: a name is taken to mean the same thing in the whole
/// file, which can only make the check stricter.
#[derive(Default)]
struct Aliases {
    map: HashMap<String, Vec<String>>,
}

impl<'ast> Visit<'ast> for Aliases {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        for leaf in use_leaves(&item.tree) {
            if let Some(alias) = leaf.alias {
                self.map.insert(alias, leaf.path);
            }
        }
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        if let Some((_, rename)) = &item.rename {
            self.map
                .insert(rename.to_string(), vec![item.ident.to_string()]);
        }
    }
}

/// One leaf of a `use` tree: the path it imports and the name it binds (none for a
/// glob or `as _`).
struct UseLeaf {
    path: Vec<String>,
    alias: Option<String>,
    glob: bool,
    span: proc_macro2::Span,
}

fn use_leaves(tree: &syn::UseTree) -> Vec<UseLeaf> {
    let mut leaves = Vec::new();
    collect_leaves(tree, &mut Vec::new(), &mut leaves);
    leaves
}

fn collect_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    // `use a::b::{self}` imports `a::b` under the name `b`.
    let leaf = |prefix: &[String], ident: &syn::Ident| -> (Vec<String>, String) {
        if ident == "self" {
            let name = prefix.last().cloned().unwrap_or_default();
            (prefix.to_vec(), name)
        } else {
            let mut path = prefix.to_vec();
            path.push(ident.to_string());
            (path, ident.to_string())
        }
    };
    match tree {
        syn::UseTree::Path(use_path) => {
            prefix.push(use_path.ident.to_string());
            collect_leaves(&use_path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let (path, alias) = leaf(prefix, &name.ident);
            out.push(UseLeaf {
                path,
                alias: Some(alias),
                glob: false,
                span: name.ident.span(),
            });
        }
        syn::UseTree::Rename(rename) => {
            let (path, _) = leaf(prefix, &rename.ident);
            let alias = rename.rename.to_string();
            out.push(UseLeaf {
                path,
                alias: (alias != "_").then_some(alias),
                glob: false,
                span: rename.ident.span(),
            });
        }
        syn::UseTree::Glob(glob) => out.push(UseLeaf {
            path: prefix.clone(),
            alias: None,
            glob: true,
            span: glob.star_token.span(),
        }),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                collect_leaves(tree, prefix, out);
            }
        }
    }
}

/// Walks the file and records every path that resolves to a forbidden one.
struct Finder {
    aliases: HashMap<String, Vec<String>>,
    problems: Vec<String>,
}

impl Finder {
    /// `path` with its first segment replaced, as often as it names an alias.
    fn resolve(&self, mut path: Vec<String>) -> Vec<String> {
        for _ in 0..MAX_ALIAS_HOPS {
            let Some(target) = path.first().and_then(|first| self.aliases.get(first)) else {
                break;
            };
            if target.len() == 1 && target[0] == path[0] {
                break;
            }
            path.splice(0..1, target.iter().cloned());
        }
        path
    }

    /// Records `written` if it resolves to a forbidden path; a glob import (`glob`)
    /// is forbidden when it brings a forbidden item into scope.
    fn check(&mut self, written: Vec<String>, glob: bool, span: proc_macro2::Span) {
        if written.is_empty() {
            return;
        }
        let mut shown = written.join("::");
        if glob {
            shown.push_str("::*");
        }
        let resolved = self.resolve(written);
        let rule = if glob {
            forbidden_under(&resolved)
        } else {
            forbidden_rule(&resolved)
        };
        let Some(rule) = rule else {
            return;
        };
        let mut full = resolved.join("::");
        if glob {
            full.push_str("::*");
        }
        let through = if full == shown {
            String::new()
        } else {
            format!(" (written `{shown}`)")
        };
        self.problems.push(format!(
            "{}: entra-protocol names `{full}`{through}, under the rule against `{rule}`",
            span.start().line
        ));
    }
}

/// The rule of [`FORBIDDEN`] that `path` breaks, if any.
fn forbidden_rule(path: &[String]) -> Option<&'static str> {
    let starts_with = |prefix: &str| {
        let prefix: Vec<&str> = prefix.split("::").collect();
        path.len() >= prefix.len() && path.iter().zip(&prefix).all(|(a, b)| a == b)
    };
    if ALLOWED.iter().any(|allowed| starts_with(allowed)) {
        return None;
    }
    FORBIDDEN.iter().copied().find(|rule| starts_with(rule))
}

/// The first rule of [`FORBIDDEN`] at or under `module`: a glob import of it could
/// bring that item into scope under a bare name, which the check cannot follow.
fn forbidden_under(module: &[String]) -> Option<&'static str> {
    forbidden_rule(module).or_else(|| {
        FORBIDDEN.iter().copied().find(|rule| {
            let rule: Vec<&str> = rule.split("::").collect();
            rule.len() > module.len() && module.iter().zip(&rule).all(|(a, b)| a == b)
        })
    })
}

fn segments(path: &syn::Path) -> Vec<String> {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect()
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        for leaf in use_leaves(&item.tree) {
            self.check(leaf.path, leaf.glob, leaf.span);
        }
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        self.check(vec![item.ident.to_string()], false, item.ident.span());
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.check(segments(path), false, path.span());
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        syn::visit::visit_macro(self, mac);
        // Arguments of `format!`, `assert!`, `vec!` and the like parse as expressions;
        // other macro bodies are opaque tokens and stay unchecked.
        let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(args) = mac.parse_body_with(parser) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_import_is_caught() {
        let problems = check_source("use std::fs as f;\n\nfn read() { let _ = f::read(\"x\"); }\n");
        assert_eq!(
            problems,
            vec![
                "1: entra-protocol names `std::fs`, under the rule against `std::fs`",
                "3: entra-protocol names `std::fs::read` (written `f::read`), under the rule against `std::fs`",
            ]
        );
    }

    #[test]
    fn an_alias_of_an_alias_and_an_extern_crate_rename_are_resolved() {
        let problems = check_source(
            "extern crate std as s;\nuse s::time as t;\nfn now() { let _ = t::SystemTime::now(); }\n",
        );
        assert_eq!(
            problems,
            vec![
                "3: entra-protocol names `std::time::SystemTime::now` (written `t::SystemTime::now`), under the rule against `std::time::SystemTime::now`"
            ]
        );
    }

    #[test]
    fn an_imported_type_then_its_associated_function_is_caught() {
        let problems =
            check_source("use std::time::Instant;\nfn f() -> Instant { Instant::now() }\n");
        assert_eq!(
            problems,
            vec![
                "2: entra-protocol names `std::time::Instant::now` (written `Instant::now`), under the rule against `std::time::Instant::now`"
            ]
        );
    }

    #[test]
    fn comments_doc_comments_and_strings_are_not_paths() {
        let source = "//! Never calls std::fs::read.\n\
                      /// Reads nothing: std::fs and tokio are named in prose only.\n\
                      fn f() -> &'static str {\n    // std::net::TcpStream::connect(..)\n    \"std::fs::read(path)\"\n}\n";
        assert_eq!(check_source(source), Vec::<String>::new());
    }

    #[test]
    fn types_patterns_and_macro_arguments_are_checked() {
        let source = "use tokio as rt;\n\
                      struct S { socket: std::net::TcpStream }\n\
                      fn f() { println!(\"{}\", rt::spawn(async {}).is_finished()); }\n\
                      fn g() { let _ = vec![std::env::var(\"HOME\")]; }\n";
        let problems = check_source(source);
        let lines: Vec<&str> = problems
            .iter()
            .map(|problem| problem.split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(lines, ["1", "2", "3", "4"], "{problems:?}");
    }

    #[test]
    fn std_env_consts_address_types_and_a_use_as_underscore_pass() {
        let source = "use std::io::Write as _;\nuse std::net::{IpAddr, Ipv6Addr};\n\
                      const OS: &str = std::env::consts::OS;\n\
                      fn f(ip: IpAddr) -> bool { ip == IpAddr::V6(Ipv6Addr::LOCALHOST) }\n";
        assert_eq!(check_source(source), Vec::<String>::new());
    }

    #[test]
    fn a_glob_import_of_a_forbidden_module_is_caught() {
        let problems = check_source("use std::net::*;\n");
        assert_eq!(
            problems,
            vec![
                "1: entra-protocol names `std::net::*`, under the rule against `std::net::TcpStream`"
            ]
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_a_problem() {
        let problems = check_source("fn broken( {\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("does not parse as Rust"),
            "{problems:?}"
        );
    }
}
