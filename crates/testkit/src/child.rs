//! A receiver in a child process: this test binary re-executed on one test, its entry point,
//! told its role through the environment. It prints `listening on URL` once it serves.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::lines::Lines;

/// A receiver process, killed (SIGKILL) on drop if still running.
pub struct ChildReceiver {
    child: Child,
    /// The URL it serves.
    pub url: String,
}

impl ChildReceiver {
    /// Runs the test `entry_point` of this binary with `env`, and waits for its URL.
    pub fn start(entry_point: &str, env: &[(&str, String)]) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", entry_point, "--nocapture"])
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the receiver");
        // Its lines are read to the end (the test harness's own, such as "has been running for
        // over 60 seconds", too): a closed pipe would end the child at its next line.
        let lines = Lines::read(child.stdout.take().expect("stdout"));
        let url = lines
            .after("listening on ", Duration::from_secs(60))
            .expect("the receiver did not start");
        Self { child, url }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Stops it.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for ChildReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The log a child receiver appends its handlers' lines to: opened for appending (created if
/// missing), unbuffered, so a SIGKILL loses no line that was written.
pub fn append_log(
    path: impl AsRef<std::path::Path>,
) -> std::sync::Arc<std::sync::Mutex<std::fs::File>> {
    std::sync::Arc::new(std::sync::Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("the handlers' log"),
    ))
}

/// Any child process, killed (and reaped) when dropped, so no test leaves one behind.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}
