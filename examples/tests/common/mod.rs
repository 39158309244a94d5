//! What the example tests share: a `GET` over real HTTP (test-support's `fetch`), and the
//! example binaries as `cargo test` built them.
#![allow(dead_code)]

use ghl_webhook_testkit::fetch;

/// `GET url`: the status, the `Content-Type` and the body text.
pub(crate) async fn get_typed(url: &str) -> (u16, String, String) {
    let fetched = fetch::get(url).await.expect("GET");
    let content_type = fetched.content_type.clone().unwrap_or_default();
    (fetched.status.as_u16(), content_type, fetched.text())
}

/// `GET url`: the status and the body text.
pub(crate) async fn get(url: &str) -> (u16, String) {
    let (status, _, body) = get_typed(url).await;
    (status, body)
}

/// The built example `name`, beside this test's own binary (`target/<profile>/examples/`);
/// `None`, said loudly, when it is not built (a filtered run: `cargo test` builds them), and
/// a failure under CI, where `what` (the tests that need it) must run.
pub(crate) fn example(name: &str, what: &str) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join(name);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{} is not built: {what} did NOT run (a plain `cargo test` builds it)",
        path.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("\n*** SKIPPED: {message} ***\n");
    None
}
