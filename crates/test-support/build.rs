//! Generates the built-in fixtures table from `crates/types/tests/fixtures/<EventName>.json`,
//! so the simulator and the CLI send exactly the fixtures the types crate is tested against.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or_else(missing_env)?);
    let dir = manifest.join("../types/tests/fixtures");
    println!("cargo::rerun-if-changed={}", dir.display());

    let mut fixtures = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(name) = path.file_stem().and_then(|s| s.to_str())
        {
            let path = fs::canonicalize(&path)?;
            println!("cargo::rerun-if-changed={}", path.display());
            fixtures.push((name.to_owned(), path));
        }
    }
    fixtures.sort();

    let mut code = String::from(
        "/// The names of the built-in fixtures (file stems), sorted.\n\
         pub const FIXTURE_NAMES: &[&str] = &[\n",
    );
    for (name, _) in &fixtures {
        let _ = writeln!(code, "    {name:?},");
    }
    code.push_str(
        "];\n\n\
         /// The built-in fixture named `name` (an event name), as checked in.\n\
         pub fn fixture_text(name: &str) -> Option<&'static str> {\n    match name {\n",
    );
    for (name, path) in &fixtures {
        let path = path.to_str().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "fixture path is not UTF-8")
        })?;
        let _ = writeln!(code, "        {name:?} => Some(include_str!({path:?})),");
    }
    code.push_str("        _ => None,\n    }\n}\n");

    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or_else(missing_env)?);
    fs::write(out.join("fixtures.rs"), code)
}

fn missing_env() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "cargo did not set the build environment",
    )
}
