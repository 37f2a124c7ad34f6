//! # gmp-http: a web service and an HTTP client on gmp
//!
//! The pieces a tokio/axum service needs to move onto gmp with no tokio runtime.
//!
//! - [`client`]: hyper-util's pooled HTTP client with a gmp connector (DNS through gmp, connect
//!   timeout, HTTP/1 keep-alive pool, HTTP/2).

#![warn(missing_docs)]

pub mod client;
