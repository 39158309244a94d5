//! This repository's own test helpers, each written once: real servers on loopback
//! (`redis-server`, a PostgreSQL cluster), child processes and the lines they print, raw HTTP
//! responses, connection floods, read-only files, plain requests and the Prometheus text
//! format read back. Not published: the tests, examples and benchmarks of this workspace use
//! it; an application's tests use `ghl-webhook-test-support`.
#![allow(missing_docs, unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod child;
pub mod fetch;
pub mod flood;
pub mod lines;
pub mod postgres;
pub mod postgres_server;
pub mod prometheus;
pub mod raw_http;
#[cfg(unix)]
pub mod read_only;
pub mod redis_server;

#[cfg(unix)]
pub use read_only::{ReadOnly, make_read_only};
