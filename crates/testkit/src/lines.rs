//! The lines a child process prints, read on a thread of their own (a full pipe would block
//! the child), kept in order and handed out as they come.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The lines of one of a child's outputs.
pub struct Lines {
    next: Receiver<String>,
    all: Arc<Mutex<Vec<String>>>,
}

impl Lines {
    /// Starts reading `output` (a child's piped stdout or stderr) until it closes.
    pub fn read(output: impl Read + Send + 'static) -> Self {
        let (sender, next) = std::sync::mpsc::channel();
        let all = Arc::new(Mutex::new(Vec::new()));
        let kept = all.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                kept.lock().expect("lines").push(line.clone());
                let _ = sender.send(line);
            }
        });
        Self { next, all }
    }

    /// The next line not yet handed out, within `timeout`; `None` when none came or the output
    /// closed.
    pub fn next(&self, timeout: Duration) -> Option<String> {
        self.next.recv_timeout(timeout).ok()
    }

    /// The rest of the next line that starts with `prefix` (skipping the others), within
    /// `timeout`: e.g. the address of a server that prints `listening on ADDR`.
    pub fn after(&self, prefix: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let line = self.next(deadline.saturating_duration_since(Instant::now()))?;
            if let Some(rest) = line.strip_prefix(prefix) {
                return Some(rest.to_owned());
            }
        }
    }

    /// The address in the next line that says `marker` (skipping the others), within
    /// `timeout`: the `IP:PORT` right after it, with or without `http://`, e.g. of
    /// `listening on http://127.0.0.1:4000/hooks` with the marker `listening on `.
    pub fn address(&self, marker: &str, timeout: Duration) -> Option<std::net::SocketAddr> {
        let deadline = Instant::now() + timeout;
        loop {
            let line = self.next(deadline.saturating_duration_since(Instant::now()))?;
            if let Some(at) = line.find(marker) {
                let rest = line[at + marker.len()..].trim_start_matches("http://");
                let address: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                    .collect();
                return address.parse().ok();
            }
        }
    }

    /// Every line printed so far, handed out or not.
    pub fn all(&self) -> Vec<String> {
        self.all.lock().expect("lines").clone()
    }
}
