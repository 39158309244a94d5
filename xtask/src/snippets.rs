//! Copies of compiled code in the guides: a code block preceded by
//! `<!-- compiled: PATH -->` (PATH from the repository root) must be the code compiled at PATH,
//! line for line: for a Markdown file (a crate README compiled as its doctests), one of its
//! `rust` blocks as rustdoc shows it (hidden `# ` lines left out); for a Rust file, the file
//! after its leading `//!` docs.

use std::path::Path;

/// The marker before a copied block.
const MARKER: &str = "<!-- compiled: ";

/// The guides whose copies are checked.
pub(crate) const GUIDES: &[&str] = &["crates/router/guide/deploy.md"];

/// Checks every copy in every guide of [`GUIDES`]; one line per copy that differs.
pub(crate) fn check(root: &Path) -> Result<usize, Vec<String>> {
    let mut problems = Vec::new();
    let mut checked = 0;
    for guide in GUIDES {
        let text = match std::fs::read_to_string(root.join(guide)) {
            Ok(text) => text,
            Err(err) => {
                problems.push(format!("cannot read {guide}: {err}"));
                continue;
            }
        };
        for (source, copy) in copies(&text) {
            checked += 1;
            let Ok(compiled) = std::fs::read_to_string(root.join(source)) else {
                problems.push(format!(
                    "{guide}: the copy of {source} names no readable file"
                ));
                continue;
            };
            if !same_code(source, &compiled, &copy) {
                problems.push(format!(
                    "{guide}: the copy of {source} is not the code compiled there; copy it again"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// The copies in `guide`: the source each names, and the code of the block after its marker.
fn copies(guide: &str) -> Vec<(&str, String)> {
    let mut found = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        let Some(source) = line
            .trim()
            .strip_prefix(MARKER)
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let block = lines
            .by_ref()
            .skip_while(|l| !l.starts_with("```"))
            .skip(1)
            .take_while(|l| !l.starts_with("```"))
            .collect::<Vec<_>>()
            .join("\n");
        found.push((source.trim(), block));
    }
    found
}

/// Whether `copy` is the code of `compiled` (the text of the file at `source`).
fn same_code(source: &str, compiled: &str, copy: &str) -> bool {
    if source.ends_with(".md") {
        rust_blocks(compiled).iter().any(|block| block == copy)
    } else {
        let code: Vec<&str> = compiled
            .lines()
            .skip_while(|l| l.starts_with("//!"))
            .skip_while(|l| l.trim().is_empty())
            .collect();
        code.join("\n").trim_end() == copy.trim_end()
    }
}

/// The `rust` code blocks of a Markdown text as rustdoc shows them: without the hidden lines
/// (`# ...`, `#`).
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("```rust") {
            continue;
        }
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .filter(|l| *l != "#" && !l.starts_with("# "))
            .collect();
        blocks.push(block.join("\n"));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = "text\n<!-- compiled: a/README.md -->\n```rust,ignore\nfn a() {}\nlet x = 1;\n```\nmore\n<!-- compiled: b/main.rs -->\n```rust,ignore\nfn main() {}\n```\n";

    #[test]
    fn the_copies_are_the_blocks_after_their_markers() {
        assert_eq!(
            copies(GUIDE),
            [
                ("a/README.md", "fn a() {}\nlet x = 1;".to_owned()),
                ("b/main.rs", "fn main() {}".to_owned())
            ]
        );
    }

    #[test]
    fn a_markdown_source_is_compared_without_its_hidden_lines() {
        let readme = "# A\n```toml\nx = 1\n```\n```rust,no_run\n# fn hidden() {}\nfn a() {}\n#\nlet x = 1;\n```\n";
        assert!(same_code("a/README.md", readme, "fn a() {}\nlet x = 1;"));
        assert!(!same_code("a/README.md", readme, "fn a() {}\nlet x = 2;"));
        assert!(!same_code("a/README.md", readme, "x = 1"));
    }

    #[test]
    fn a_rust_source_is_compared_after_its_module_docs() {
        let main = "//! The function.\n//! More.\n\nfn main() {}\n";
        assert!(same_code("b/main.rs", main, "fn main() {}"));
        assert!(!same_code("b/main.rs", main, "fn main() { }"));
    }

    #[test]
    fn the_deploy_guide_copies_the_compiled_code() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root");
        assert_eq!(check(root), Ok(3));
    }
}
