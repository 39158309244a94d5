//! A connection flood against a receiver in another process, with real sockets on loopback:
//! many connections that each hold a slot doing nothing useful (half a request head, a body
//! that stops, an idle keep-alive), re-opened as soon as the receiver closes them, while
//! signed deliveries arrive on new connections. Bounded in connections, deliveries and time.
//!
//! Shared by the router's flood test (`serve`) and the examples' (the hyper app).
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::lines::Lines;
use crate::raw_http;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one flood run does.
#[derive(Debug, Clone)]
pub struct Flood {
    /// The receiver, `127.0.0.1:PORT`.
    pub addr: std::net::SocketAddr,
    /// The webhook route, e.g. `/webhooks/highlevel`.
    pub path: String,
    /// Flood connections held at once (a third each: half heads, stalled bodies, idle).
    pub connections: usize,
    /// How long the flood lasts.
    pub duration: Duration,
    /// Signed deliveries sent during it, evenly spaced, each on a new connection.
    pub deliveries: usize,
}

impl Flood {
    /// The flood's size and length from `GHL_FLOOD_CONNECTIONS` (default 10,000) and
    /// `GHL_FLOOD_SECONDS` (default 10): 100 deliveries.
    pub fn from_env(addr: std::net::SocketAddr, path: &str) -> Self {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Self {
            addr,
            path: path.to_owned(),
            connections: usize::try_from(number("GHL_FLOOD_CONNECTIONS", 10_000)).expect("a count"),
            duration: Duration::from_secs(number("GHL_FLOOD_SECONDS", 10)),
            deliveries: 100,
        }
    }
}

/// What a flood run measured.
#[derive(Debug, Default)]
pub struct FloodReport {
    /// Each delivery's status (0: no answer) and time from connect to the whole response.
    pub deliveries: Vec<(u16, Duration)>,
    /// Flood connections opened in all (the first ones and every re-opening).
    pub opened: u64,
    /// Flood connections the receiver closed.
    pub closed_by_receiver: u64,
    /// Connection attempts that failed (refused, reset, timed out).
    pub connect_failures: u64,
}

impl FloodReport {
    /// The `p`-th percentile (0..=100) of the delivery latencies.
    pub fn percentile(&self, p: f64) -> Duration {
        let mut latencies: Vec<Duration> = self.deliveries.iter().map(|(_, d)| *d).collect();
        latencies.sort();
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
        latencies[rank.min(latencies.len() - 1)]
    }

    /// The slowest delivery.
    pub fn max(&self) -> Duration {
        self.deliveries
            .iter()
            .map(|(_, d)| *d)
            .max()
            .unwrap_or_default()
    }
}

/// The three ways a flood connection holds a slot.
#[derive(Debug, Clone, Copy)]
enum Hold {
    HalfHead,
    StalledBody,
    IdleKeepAlive,
}

impl Hold {
    fn bytes(self, path: &str) -> Vec<u8> {
        match self {
            Hold::HalfHead => format!("POST {path} HTTP/1.1\r\nHost: l\r\nX-GHL-Sig").into_bytes(),
            Hold::StalledBody => format!(
                "POST {path} HTTP/1.1\r\nHost: l\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"type\":"
            )
            .into_bytes(),
            Hold::IdleKeepAlive => b"GET /health HTTP/1.1\r\nHost: l\r\n\r\n".to_vec(),
        }
    }
}

/// Sets this process's soft open-file limit to `want`, raising the hard limit when allowed
/// (else to the hard limit at most), and returns the soft limit now in force. The limit is
/// the whole process's: a receiver child sets its own with this.
pub fn set_open_files(want: u64) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let current = getrlimit(Resource::Nofile);
    let hard = current.maximum;
    let raised = Rlimit {
        current: Some(want),
        maximum: Some(hard.map_or(want, |h| h.max(want))),
    };
    if setrlimit(Resource::Nofile, raised).is_err() {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: hard.map(|h| h.min(want)),
                maximum: hard,
            },
        );
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// Raises this process's soft open-file limit to at least `want`, never lowering it: tests of
/// one binary share the process, and one must not take descriptors from another.
pub fn raise_open_files(want: u64) -> u64 {
    let current = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    if current >= want {
        current
    } else {
        set_open_files(want)
    }
}

/// Held by a test for as long as it floods: two floods at once share two cores and one
/// process's descriptors, and neither would measure what it claims.
pub static ONE_FLOOD_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub use crate::raw_http::signed_request;

/// Runs the flood and the deliveries; returns when both are done.
pub async fn run(flood: &Flood) -> FloodReport {
    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicU64::new(0));
    let closed = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let mut holders = tokio::task::JoinSet::new();
    for i in 0..flood.connections {
        let hold = [Hold::HalfHead, Hold::StalledBody, Hold::IdleKeepAlive][i % 3];
        let bytes = hold.bytes(&flood.path);
        let (addr, stop) = (flood.addr, stop.clone());
        let (opened, closed, failures) = (opened.clone(), closed.clone(), failures.clone());
        holders.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Ok(Ok(mut stream)) =
                    tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await
                else {
                    failures.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                opened.fetch_add(1, Ordering::Relaxed);
                if stream.write_all(&bytes).await.is_err() {
                    closed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                // Hold the slot until the receiver closes it (reading what it answers, such
                // as an idle connection's response), then re-open at once.
                let mut sink = [0u8; 1024];
                loop {
                    tokio::select! {
                        read = stream.read(&mut sink) => match read {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        },
                        () = tokio::time::sleep(Duration::from_millis(250)) => {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                        }
                    }
                }
                closed.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    // The flood builds up for a tenth of the run (at most 3 s) before the first delivery.
    let ramp = (flood.duration / 10).min(Duration::from_secs(3));
    tokio::time::sleep(ramp).await;
    let spacing = (flood.duration - ramp) / u32::try_from(flood.deliveries.max(1)).unwrap_or(1);
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut deliveries = tokio::task::JoinSet::new();
    for i in 0..flood.deliveries {
        let request = signed_request(&flood.path, &format!("flood-delivery-{i}"));
        let (addr, results) = (flood.addr, results.clone());
        deliveries.spawn(async move {
            let started = Instant::now();
            let status = tokio::time::timeout(Duration::from_secs(10), deliver(addr, &request))
                .await
                .unwrap_or(0);
            results
                .lock()
                .expect("results")
                .push((status, started.elapsed()));
        });
        tokio::time::sleep(spacing).await;
    }
    while deliveries.join_next().await.is_some() {}
    stop.store(true, Ordering::Relaxed);
    holders.abort_all();
    while holders.join_next().await.is_some() {}
    let deliveries = std::mem::take(&mut *results.lock().expect("results"));
    FloodReport {
        deliveries,
        opened: opened.load(Ordering::Relaxed),
        closed_by_receiver: closed.load(Ordering::Relaxed),
        connect_failures: failures.load(Ordering::Relaxed),
    }
}

/// One delivery on a new connection: the response's status, 0 when none came.
async fn deliver(addr: std::net::SocketAddr, request: &[u8]) -> u16 {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return 0;
    };
    if stream.write_all(request).await.is_err() {
        return 0;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    raw_http::status(&response)
}

/// A receiver in a child process whose stdout is kept line by line, and whose memory is read
/// from `/proc`. Killed when dropped.
pub struct Receiver {
    child: Child,
    lines: Lines,
    /// Its address, from its `... on http://ADDR...` line.
    pub addr: std::net::SocketAddr,
}

impl Receiver {
    /// Starts `command` and waits (20 s at most) for the line naming its address.
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("the receiver starts");
        let lines = Lines::read(child.stdout.take().expect("piped stdout"));
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let found = lines.all().iter().find_map(|line| {
                let at = line.find("http://")? + "http://".len();
                let rest = &line[at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .unwrap_or(rest.len());
                rest[..end].trim_end_matches(':').parse().ok()
            });
            if let Some(addr) = found {
                break addr;
            }
            assert!(Instant::now() < deadline, "the receiver did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        Self { child, lines, addr }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every line it printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.all()
    }

    /// Its resident memory now and at its peak, KiB (`VmRSS`, `VmHWM`).
    pub fn memory_kib(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `flood` against `receiver` and checks what must hold: every delivery answered 200
/// within 1 s, the receiver alive. Prints the figures; returns the report and the peak RSS
/// (KiB) sampled during the run.
pub async fn run_and_check(
    name: &str,
    flood: &Flood,
    receiver: &mut Receiver,
) -> (FloodReport, u64) {
    let (rss_before, _) = receiver.memory_kib();
    let pid = receiver.pid();
    let sampling = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampler = {
        let (sampling, peak) = (sampling.clone(), peak.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(rss) = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let report = run(flood).await;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "flood {name}: {} connections for {:?}: {} opened, {} closed by the receiver, {} failed connects; {} deliveries p50 {:?} p99 {:?} max {:?}; receiver RSS {} KiB before, {} KiB peak",
        flood.connections,
        flood.duration,
        report.opened,
        report.closed_by_receiver,
        report.connect_failures,
        report.deliveries.len(),
        report.percentile(50.0),
        report.percentile(99.0),
        report.max(),
        rss_before,
        peak,
    );
    assert!(receiver.is_running(), "the receiver died");
    assert_eq!(report.deliveries.len(), flood.deliveries);
    let late: Vec<_> = report
        .deliveries
        .iter()
        .filter(|(status, took)| *status != 200 || *took > Duration::from_secs(1))
        .collect();
    assert!(
        late.is_empty(),
        "{} of {} deliveries not answered 200 within 1 s: {late:?}",
        late.len(),
        report.deliveries.len()
    );
    assert!(
        report.opened >= flood.connections as u64,
        "the flood held {} connections, not {}",
        report.opened,
        flood.connections
    );
    (report, peak)
}
