//! entra-protocol: the wire format of Microsoft Entra ID's username/password flow.
//!
//! Builds requests and parses responses as plain values: authority and discovery
//! documents, user realm discovery, WS-Trust for federated users, token requests for
//! every grant the flow uses, token and error responses with their AADSTS codes.
//! Inputs and outputs are plain data and `http::Request<Vec<u8>>` /
//! `http::Response<Vec<u8>>`.
//!
//! Architecture invariant: no I/O, no async runtime, no clock reads, no global state.
//! Time comes in as an argument; randomness comes from a caller-supplied source. Every
//! parser is total: any bytes in, a value or a typed error out, never a panic.
#![forbid(unsafe_code)]
