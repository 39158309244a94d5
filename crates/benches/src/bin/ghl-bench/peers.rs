//! Peer (d): HighLevel's official Node SDK (`@gohighlevel/api-client`), its
//! `webhooks.subscribe()` middleware mounted in Express as its README shows.
//!
//! Installed with npm into a scratch folder outside the repository; nothing of it is
//! committed. The app is written fresh on every run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long `npm install` may take.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);

/// The Express app. Differences from the README's example, all to make the measurement sound:
/// the route is the benchmark's path; the final handler answers 401 unless the middleware
/// set `isSignatureValid === true` (the README lets a skipped verification through), so
/// every 200 counted is a verified delivery; the process listens on an ephemeral loopback
/// port, prints it, and exits when its parent's pipe closes or after 15 minutes.
pub(crate) const APP_JS: &str = r#"// Peer (d) of `ghl-bench --peers`; written by ghl-bench, not part of the repository.
'use strict';
const express = require('express');
const { HighLevel, LogLevel } = require('@gohighlevel/api-client');

const ghl = new HighLevel({
  clientId: process.env.GHL_BENCH_CLIENT_ID,
  clientSecret: 'bench-client-secret',
  webhookPublicKey: process.env.WEBHOOK_SIGNATURE_PUBLIC_KEY,
  logLevel: LogLevel.WARN,
});

const app = express();
// Keep the raw body so the signature is checked against the exact bytes (README).
app.use(express.json({ verify: (req, _res, buf) => { req.rawBody = buf; } }));
// SDK middleware processes the webhook first (README).
app.use('/webhooks/highlevel', ghl.webhooks.subscribe());
// The no-op handler.
app.post('/webhooks/highlevel', (req, res) => {
  if (req.isSignatureValid !== true) {
    return res.status(401).json({ success: false });
  }
  res.json({ success: true });
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(3), 15 * 60 * 1000).unref();
"#;

/// An installed peer, ready to start.
#[derive(Debug, Clone)]
pub(crate) struct NodePeer {
    /// The scratch folder holding `node_modules` and `app.js`.
    pub dir: PathBuf,
    /// `node vX, @gohighlevel/api-client X, express X`.
    pub versions: String,
}

/// Checks for node and npm, installs the SDK and Express into `dir`, writes the app.
pub(crate) fn prepare(dir: &Path, repo_root: &Path) -> Result<NodePeer, String> {
    let node = version_of("node")?;
    version_of("npm")?;
    let absolute = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("no current directory: {e}"))?
            .join(dir)
    };
    if let Ok(root) = repo_root.canonicalize()
        && (absolute.starts_with(&root) || absolute.starts_with(repo_root))
    {
        return Err(format!(
            "--peers-dir {} is inside the repository; use a folder outside it",
            absolute.display()
        ));
    }
    std::fs::create_dir_all(&absolute)
        .map_err(|e| format!("cannot create {}: {e}", absolute.display()))?;
    let dir = absolute;
    let package_json = dir.join("package.json");
    if !package_json.exists() {
        std::fs::write(
            &package_json,
            "{\n  \"name\": \"ghl-bench-peers\",\n  \"private\": true,\n  \"description\": \"scratch folder of ghl-bench --peers\"\n}\n",
        )
        .map_err(|e| format!("{}: {e}", package_json.display()))?;
    }
    eprintln!(
        "ghl-bench: npm install @gohighlevel/api-client express (in {})",
        dir.display()
    );
    let mut child = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "@gohighlevel/api-client",
            "express",
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > INSTALL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("npm install took over {INSTALL_TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("waiting for npm: {e}")),
        }
    };
    if !status.success() {
        return Err(format!("npm install failed ({status})"));
    }
    let app = dir.join("app.js");
    std::fs::write(&app, APP_JS).map_err(|e| format!("{}: {e}", app.display()))?;
    let versions = format!(
        "node {node}, @gohighlevel/api-client {}, express {}",
        package_version(&dir, "@gohighlevel/api-client"),
        package_version(&dir, "express"),
    );
    Ok(NodePeer { dir, versions })
}

fn version_of(program: &str) -> Result<String, String> {
    let output = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`{program}` is not available ({e})"))?;
    if !output.status.success() {
        return Err(format!("`{program} --version` failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The `version` of an installed package, read from its package.json.
fn package_version(dir: &Path, package: &str) -> String {
    let path = dir.join("node_modules").join(package).join("package.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| json_string_field(&text, "version"))
        .unwrap_or_else(|| "?".to_owned())
}

/// The first `"name": "value"` string field of a JSON text (enough for package.json).
pub(crate) fn json_string_field(text: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\"");
    let after = &text[text.find(&key)? + key.len()..];
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let value = after.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_package_version() {
        let text = "{\n  \"name\": \"@gohighlevel/api-client\",\n  \"version\" :  \"3.1.0\",\n}";
        assert_eq!(json_string_field(text, "version").as_deref(), Some("3.1.0"));
        assert_eq!(json_string_field(text, "missing"), None);
    }

    #[test]
    fn a_scratch_folder_inside_the_repository_is_refused() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let inside = root.join("target-never-created-by-tests");
        // Skipped where node or npm are missing: prepare() reports that first.
        if version_of("node").is_ok() && version_of("npm").is_ok() {
            let err = prepare(&inside, root).expect_err("inside the repo");
            assert!(err.contains("inside the repository"), "{err}");
            assert!(!inside.exists());
        }
    }
}
