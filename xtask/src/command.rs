//! Running a child command as one step: announce it, wait for it, say how it failed.

use std::process::Command;

/// Runs `command` to completion, printing it first; an error names it and how it ended.
pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    eprintln!("==> {}", describe(command));
    let status = command
        .status()
        .map_err(|e| format!("could not run `{}`: {e}", describe(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(command)))
    }
}

/// `ENV=value program args`, as a reader would type it.
fn describe(command: &Command) -> String {
    let mut line: Vec<String> = command
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}='{}'", k.to_str()?, v?.to_str()?)))
        .collect();
    line.push(command.get_program().to_string_lossy().into_owned());
    line.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    line.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_command_is_an_error_naming_it() {
        let err = run(&mut Command::new("false")).unwrap_err();
        assert!(err.contains("`false` failed"), "{err}");
        assert!(run(&mut Command::new("true")).is_ok());
        let err = run(&mut Command::new("/nonexistent/xtask-test")).unwrap_err();
        assert!(err.contains("could not run"), "{err}");
    }

    #[test]
    fn the_description_shows_the_environment_program_and_arguments() {
        let mut command = Command::new("cargo");
        command
            .env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--no-deps"]);
        assert_eq!(
            describe(&command),
            "RUSTDOCFLAGS='-D warnings' cargo doc --no-deps"
        );
    }
}
