//! The fuzz targets: one per parser, and the targets that feed parsed values onward
//! (into the cache, the expiry arithmetic, a silent lookup, a save and a load).
//!
//! A target is a function of bytes that must return without panicking, whatever the
//! bytes; a panic (or an abort) is a crasher.

mod app;
mod cache;
mod files;
mod protocol;
pub(crate) mod samples;

use crate::rng::Rng;

/// One fuzz target.
pub struct Target {
    /// Its name: `cargo xtask fuzz --target NAME`, and the directory of its regressions.
    pub name: &'static str,
    /// What it feeds the input to, in one line.
    pub about: &'static str,
    /// Real shapes of the input, to mutate.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// A structured input built from the seeds (hostile values in real documents).
    pub generate: fn(&mut Rng, &[Vec<u8>]) -> Vec<u8>,
    /// Runs the code under test on one input; panics on a defect.
    pub run: fn(&[u8]),
}

/// Every target, in the order a pass runs them.
pub fn all() -> Vec<Target> {
    let mut targets = protocol::targets();
    targets.extend(cache::targets());
    targets.extend(files::targets());
    targets.extend(app::targets());
    targets
}

/// The target named `name`.
pub fn by_name(name: &str) -> Option<Target> {
    all().into_iter().find(|target| target.name == name)
}

/// A response with `status` and `body`, as the HTTP client hands it to a parser.
pub(crate) fn response(status: u16, body: &[u8]) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(body.to_vec());
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    response
}

/// Generates from a random seed with [`crate::shapes::hostile_json`].
pub(crate) fn hostile_json_seed(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = rng.pick(seeds).clone();
    crate::shapes::hostile_json(rng, &seed)
}

/// Generates from a random seed with [`crate::shapes::hostile_xml`].
pub(crate) fn hostile_xml_seed(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let seed = rng.pick(seeds).clone();
    crate::shapes::hostile_xml(rng, &seed)
}

/// Splits `input` at the first `separator` into two parts (the second empty if absent).
pub(crate) fn split2<'a>(input: &'a [u8], separator: &[u8]) -> (&'a [u8], &'a [u8]) {
    match input.windows(separator.len()).position(|w| w == separator) {
        Some(at) => (&input[..at], &input[at + separator.len()..]),
        None => (input, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_target_has_seeds() {
        let targets = all();
        let mut names: Vec<&str> = targets.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), targets.len());
        for target in &targets {
            assert!(!(target.seeds)().is_empty(), "{} has no seeds", target.name);
        }
    }

    #[test]
    fn split2_splits_at_the_first_separator() {
        assert_eq!(split2(b"a--b--c", b"--"), (&b"a"[..], &b"b--c"[..]));
        assert_eq!(split2(b"abc", b"--"), (&b"abc"[..], &b""[..]));
    }
}
