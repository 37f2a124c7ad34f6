//! # gmp-http: a web service and an HTTP client on gmp
//!
//! The pieces a tokio/axum service needs to move onto gmp with no tokio runtime.

#![warn(missing_docs)]
