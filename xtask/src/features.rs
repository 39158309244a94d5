//! `cargo xtask features`: each published crate builds with each of its features alone
//! (`--no-default-features --features F`), so no feature leans on another one being on.
//! `cargo check` of the crate's library and binaries: what a feature gates is code, and
//! clippy and the tests already cover it with every feature on.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::package::{CRATES, workspace_root};

/// Checks every published crate with each feature alone.
pub(crate) fn check() -> Result<(), String> {
    let root = workspace_root()?;
    for name in CRATES {
        let dir = crate_dir(&root, name)?;
        let manifest = fs::read_to_string(dir.join("Cargo.toml"))
            .map_err(|e| format!("cannot read {}/Cargo.toml: {e}", dir.display()))?;
        for feature in features(&manifest) {
            eprintln!("==> {name} with `{feature}` alone");
            crate::command::run(
                Command::new(env!("CARGO"))
                    .current_dir(&root)
                    .args(["check", "--quiet", "--package", name, "--lib", "--bins"])
                    .args(["--no-default-features", "--features", &feature]),
            )?;
        }
    }
    Ok(())
}

/// The folder of a published crate: `crates/<name without "ghl-webhook-">`.
fn crate_dir(root: &Path, name: &str) -> Result<std::path::PathBuf, String> {
    let short = name
        .strip_prefix("ghl-webhook-")
        .ok_or_else(|| format!("{name}: a published crate's name starts with `ghl-webhook-`"))?;
    let dir = root.join("crates").join(short);
    if dir.join("Cargo.toml").is_file() {
        Ok(dir)
    } else {
        Err(format!("{name}: no crate at {}", dir.display()))
    }
}

/// The features a manifest declares in its `[features]` table, `default` left out.
fn features(manifest: &str) -> Vec<String> {
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[features]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| {
            let (name, _) = line.split_once('=')?;
            let name = name.trim();
            let is_name = !name.is_empty()
                && !name.starts_with('#')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            (is_name && name != "default").then(|| name.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::features;

    #[test]
    fn features_are_read_from_the_features_table_only() {
        let manifest = "[package]\nname = \"x\"\n\n[features]\ndefault = [\"a\"]\n## docs\na = []\nb-c = [\"dep:y\", \"a\"]\n\n[dependencies]\ny = \"1\"\n";
        assert_eq!(features(manifest), ["a", "b-c"]);
        assert!(features("[package]\nname = \"x\"\n").is_empty());
    }
}
