//! End-to-end tests of the entra crates against an in-process mock-idp.
//!
//! The tests live in `tests/tests/`; this library holds only shared helpers.
#![forbid(unsafe_code)]
