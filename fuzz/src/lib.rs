//! entra-fuzz: fuzzing on stable Rust for every parser of the workspace, and for the
//! code that uses what they parse.
//!
//! A small engine, no libFuzzer: a deterministic generator ([`Rng`]) makes input `i` of
//! a pass from the pass's seed, the target's name and `i` alone, so any input can be
//! made again; inputs are real documents ([`Target::seeds`]) mutated byte by byte, or
//! structured hostile documents ([`Target::generate`]: huge numbers, deep nesting, long
//! strings, repeated keys, invalid UTF-8). A pass runs each target in a child process
//! on a thread with a known stack ([`STACK_SIZE`]): a panic is caught, minimised and
//! saved; an abort (a stack overflow) or a hang is pinned on the input that was running
//! and saved by the parent. Saved inputs under `fuzz/regressions/<target>/` are
//! replayed by `cargo nextest` (tests/regressions.rs) forever after.
//!
//! `cargo xtask fuzz [--seconds N] [--target NAME] [--seed S]` runs a pass; see
//! docs/fuzzing.md.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

pub mod driver;
pub mod mutate;
pub mod regressions;
pub mod rng;
pub mod shapes;
pub mod targets;

pub use rng::Rng;
pub use targets::{Target, all, by_name};

/// The stack every input runs on: tokio's default for its worker threads, where
/// entra-auth runs in most programs.
pub const STACK_SIZE: usize = 2 * 1024 * 1024;
