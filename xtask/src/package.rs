//! `cargo xtask package`: the published crates package, and build from what they package.
//!
//! 1. `cargo package` of the published crates: each `.crate` is unpacked and built (its
//!    library and binaries) from its packaged sources alone, the workspace's crates resolved
//!    from the other packages, not from the workspace paths.
//! 2. A scratch project outside the workspace (`target/package-consumer`) depends on the
//!    packaged crates, unpacked from their `.crate` files, and compiles the quick start of
//!    README.md's "Use it" section, as a user's first project would.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The published crates, dependencies first.
pub(crate) const CRATES: &[&str] = &[
    "ghl-webhook-types",
    "ghl-webhook-router",
    "ghl-webhook-sim",
    "ghl-webhook-actix",
    "ghl-webhook-test-support",
    "ghl-webhook-cli",
];

/// The heading of README.md's quick start; its first `rust` block is compiled.
const QUICK_START_HEADING: &str = "## Use it";

/// Runs both checks.
pub(crate) fn run() -> ExitCode {
    match check() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask package: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Both checks, as one step of `cargo xtask ci`.
pub(crate) fn check() -> Result<(), String> {
    let root = workspace_root()?;
    let version = workspace_version(&root)?;

    forget_unpacked_packages(&version)?;
    forget_built_packages(&root.join("target").join("debug"))?;
    let mut package = Command::new(cargo());
    package
        .current_dir(&root)
        .arg("package")
        .arg("--allow-dirty");
    for name in CRATES {
        package.args(["--package", name]);
    }
    crate::command::run(&mut package)?;

    let consumer = root.join("target").join("package-consumer");
    let vendor = consumer.join("vendor");
    if consumer.exists() {
        fs::remove_dir_all(&consumer)
            .map_err(|e| format!("cannot clear {}: {e}", consumer.display()))?;
    }
    fs::create_dir_all(consumer.join("src"))
        .map_err(|e| format!("cannot create {}: {e}", consumer.display()))?;
    fs::create_dir_all(&vendor).map_err(|e| format!("cannot create {}: {e}", vendor.display()))?;
    for name in CRATES {
        let file = root
            .join("target")
            .join("package")
            .join(format!("{name}-{version}.crate"));
        crate::command::run(
            Command::new("tar")
                .arg("-xzf")
                .arg(&file)
                .arg("-C")
                .arg(&vendor),
        )?;
    }

    let readme = fs::read_to_string(root.join("README.md"))
        .map_err(|e| format!("cannot read README.md: {e}"))?;
    let quick_start = quick_start(&readme)?;
    write(&consumer.join("Cargo.toml"), &consumer_manifest(&version))?;
    write(&consumer.join("src").join("lib.rs"), &quick_start)?;

    // Its own target directory: the scratch project shares nothing with the workspace build.
    crate::command::run(
        Command::new(cargo())
            .current_dir(&consumer)
            .args(["check", "--quiet"])
            .env("CARGO_TARGET_DIR", consumer.join("target")),
    )?;
    eprintln!(
        "xtask package: the packaged crates build, and the README's quick start compiles against them"
    );
    Ok(())
}

/// Removes the copies of this version's packages that an earlier `cargo package` left
/// unpacked in cargo's registry cache (`$CARGO_HOME/registry/src/<registry>/<name>-<version>`):
/// cargo unpacks a crate of its temporary local registry only when no copy is there, so a
/// stale copy would be verified in place of the new package.
fn forget_unpacked_packages(version: &str) -> Result<(), String> {
    let cargo_home = match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home),
        None => {
            PathBuf::from(std::env::var_os("HOME").ok_or("neither CARGO_HOME nor HOME is set")?)
                .join(".cargo")
        }
    };
    let Ok(registries) = fs::read_dir(cargo_home.join("registry").join("src")) else {
        return Ok(()); // nothing unpacked yet
    };
    for registry in registries.flatten() {
        for name in CRATES {
            let unpacked = registry.path().join(format!("{name}-{version}"));
            if unpacked.is_dir() {
                fs::remove_dir_all(&unpacked)
                    .map_err(|e| format!("cannot remove the stale {}: {e}", unpacked.display()))?;
            }
        }
    }
    Ok(())
}

/// Removes the build fingerprints of the published crates from the target directory the
/// verification builds in: cargo takes a registry crate of a known version as unchanged, so
/// without this the packages of an earlier run, already built, would stand in for the new
/// ones. (The workspace's own copies of these crates are rebuilt once, too.)
fn forget_built_packages(target: &Path) -> Result<(), String> {
    let Ok(entries) = fs::read_dir(target.join(".fingerprint")) else {
        return Ok(()); // nothing built yet
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = CRATES.iter().any(|krate| {
            name.strip_prefix(krate)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|hash| hash.chars().all(|c| c.is_ascii_hexdigit()))
        });
        if ours {
            fs::remove_dir_all(entry.path())
                .map_err(|e| format!("cannot remove {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The scratch project's manifest: crates.io names, patched to the unpacked packages.
fn consumer_manifest(version: &str) -> String {
    let mut manifest = format!(
        "[package]\nname = \"ghl-webhook-consumer\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         # Not part of the ghl-webhooks workspace.\n[workspace]\n\n\
         [dependencies]\nghl-webhook-router = \"{version}\"\n\
         axum = {{ version = \"0.8\", default-features = false, features = [\"http1\", \"tokio\"] }}\n\
         tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\", \"signal\"] }}\n\n\
         [patch.crates-io]\n"
    );
    for name in CRATES {
        manifest.push_str(&format!(
            "{name} = {{ path = \"vendor/{name}-{version}\" }}\n"
        ));
    }
    manifest
}

/// The first `rust` code block after the quick start heading, with rustdoc's hidden-line
/// markers (`# `) removed, as the compilable source of a library.
fn quick_start(readme: &str) -> Result<String, String> {
    let section = readme
        .split_once(QUICK_START_HEADING)
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("README.md has no `{QUICK_START_HEADING}` section"))?;
    let mut lines = section
        .lines()
        .skip_while(|line| !line.starts_with("```rust"));
    if lines.next().is_none() {
        return Err(format!(
            "README.md's `{QUICK_START_HEADING}` section has no rust code block"
        ));
    }
    let mut code = String::from("#![allow(dead_code)]\n");
    for line in lines.by_ref() {
        if line.starts_with("```") {
            return Ok(code);
        }
        let line = match line.strip_prefix("# ") {
            Some(hidden) => hidden,
            None if line == "#" => "",
            None => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    Err(format!(
        "README.md's `{QUICK_START_HEADING}` code block is not closed"
    ))
}

pub(crate) fn workspace_root() -> Result<PathBuf, String> {
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").ok_or("run it as `cargo xtask package`")?;
    Path::new(&manifest)
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| "xtask is not inside the workspace".to_owned())
}

/// `version = "…"` of `[workspace.package]` in the root manifest.
fn workspace_version(root: &Path) -> Result<String, String> {
    workspace_package_field(root, "version")
}

/// The string `field = "…"` of `[workspace.package]` in the root manifest.
pub(crate) fn workspace_package_field(root: &Path, field: &str) -> Result<String, String> {
    let manifest = fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
    let section = manifest
        .split_once("[workspace.package]")
        .map(|(_, rest)| rest)
        .ok_or("Cargo.toml has no [workspace.package]")?;
    let prefix = format!("{field} = ");
    section
        .lines()
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| {
            line.strip_prefix(&prefix)?
                .trim()
                .strip_prefix('"')?
                .strip_suffix('"')
        })
        .map(str::to_owned)
        .ok_or_else(|| format!("[workspace.package] has no {field}"))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_start_is_the_first_rust_block_with_hidden_lines_shown() {
        let readme = "# x\n## Use it\n\ntext\n```rust,no_run\nuse a;\n# fn f() {\n#\nlet x = 1;\n# }\n```\n```rust\nnot this\n```\n";
        assert_eq!(
            quick_start(readme).unwrap(),
            "#![allow(dead_code)]\nuse a;\nfn f() {\n\nlet x = 1;\n}\n"
        );
    }

    #[test]
    fn a_readme_without_the_section_or_block_is_an_error() {
        assert!(quick_start("# x\n").unwrap_err().contains("no `## Use it`"));
        assert!(
            quick_start("## Use it\ntext\n")
                .unwrap_err()
                .contains("no rust code block")
        );
        assert!(
            quick_start("## Use it\n```rust\nfn a() {}\n")
                .unwrap_err()
                .contains("not closed")
        );
    }

    #[test]
    fn the_version_comes_from_the_workspace_package_section() {
        let dir = std::env::temp_dir().join(format!("xtask-version-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("Cargo.toml"), "[workspace]\n[workspace.package]\nedition = \"2024\"\nversion = \"1.2.3\"\n[x]\nversion = \"9\"\n").unwrap();
        assert_eq!(workspace_version(&dir).unwrap(), "1.2.3");
        fs::write(dir.join("Cargo.toml"), "[workspace]\n").unwrap();
        assert!(workspace_version(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_consumer_patches_every_published_crate_to_its_package() {
        let manifest = consumer_manifest("0.1.0");
        for name in CRATES {
            assert!(
                manifest.contains(&format!("{name} = {{ path = \"vendor/{name}-0.1.0\" }}")),
                "{manifest}"
            );
        }
        assert!(manifest.contains("[workspace]"));
    }
}
