//! What the fuzz targets share: one tokio runtime per process, and the statuses the service
//! documents.

use std::sync::OnceLock;

/// Every status the service and hyper's HTTP/1.1 parser answer with
/// (crates/router/guide/statuses.md; hyper adds 400, 431 and 505 for heads it cannot parse).
pub const DOCUMENTED_STATUSES: &[u16] = &[200, 400, 401, 405, 408, 413, 415, 431, 500, 503, 505];

/// A current-thread runtime with time, built once per fuzzing process.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    })
}

/// Splits `data` at the first `separator`: before and after (everything before when absent).
pub fn split_once<'a>(data: &'a [u8], separator: &[u8]) -> (&'a [u8], &'a [u8]) {
    match data
        .windows(separator.len())
        .position(|window| window == separator)
    {
        Some(at) => (&data[..at], &data[at + separator.len()..]),
        None => (data, &[]),
    }
}
