//! The settings file of the `entra-auth` command, as a library so that tools beside the
//! binary (the fuzzer in `fuzz/`) reach the same parser the command uses.
//!
//! Not a stable API: the `entra-auth` binary is the product.
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]

pub mod settings;
