//! A headless Chromium driven over the W3C WebDriver protocol (JSON over HTTP to a
//! `chromedriver` child process on a loopback port). Only the commands the dashboard test
//! needs: open a page, run a script, find elements, click.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// The key of an element reference in W3C WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `chromedriver` on the PATH (or Debian's place for it).
pub(crate) fn chromedriver() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromedriver"))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| {
        let debian = PathBuf::from("/usr/bin/chromedriver");
        debian.is_file().then_some(debian)
    })
}

/// A browser session; the driver process is killed when dropped.
pub(crate) struct Browser {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    session: String,
    driver: Child,
}

impl Drop for Browser {
    /// Ends the session (chromedriver then quits the browser, which killing chromedriver
    /// alone would leave running), also when the test panicked; then stops the driver.
    fn drop(&mut self) {
        if !self.session.is_empty() {
            delete_session(&self.base, &self.session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/ID`, blocking (a `Drop` cannot await), bounded by timeouts.
fn delete_session(base: &str, session: &str) {
    use std::io::{Read as _, Write as _};
    let addr = base.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\n\
         connection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

impl Browser {
    /// Starts `driver` on a free loopback port and opens a headless session.
    pub(crate) async fn start(driver: &PathBuf) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        let mut browser = Browser {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            driver: child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(status) = browser.raw(Method::GET, "/status", None).await
                && status["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut args = vec![
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
        ];
        // Chromium refuses to run its sandbox as root (containers, CI).
        if std::env::var("USER").as_deref() == Ok("root") || is_root() {
            args.push("--no-sandbox");
        }
        let mut options = json!({ "args": args });
        if std::path::Path::new("/usr/bin/chromium").is_file() {
            options["binary"] = "/usr/bin/chromium".into();
        }
        let created = browser
            .raw(
                Method::POST,
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})),
            )
            .await
            .expect("a browser session");
        browser.session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        browser
    }

    async fn raw(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }

    /// A session command; `Err` carries WebDriver's error (e.g. a stale element).
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let answer = self
            .raw(method, &format!("/session/{}{path}", self.session), body)
            .await?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            return Err(format!(
                "{error}: {}",
                value["message"].as_str().unwrap_or_default()
            ));
        }
        Ok(value)
    }

    /// Opens `url`.
    pub(crate) async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .expect("navigate");
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its result.
    pub(crate) async fn script(&self, script: &str, args: Value) -> Value {
        self.command(
            Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
        .expect("script")
    }

    /// Waits (bounded) until `script` returns `true`; panics with `what` otherwise.
    pub(crate) async fn wait_for(&self, what: &str, script: &str, args: Value) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.script(script, args.clone()).await == true {
                return;
            }
            assert!(Instant::now() < deadline, "the page never showed {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first element matching `css`, as a user would (a real pointer click),
    /// retrying while the live page re-renders it.
    pub(crate) async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let clicked = async {
                let found = self
                    .command(
                        Method::POST,
                        "/element",
                        Some(json!({"using": "css selector", "value": css})),
                    )
                    .await?;
                let id = found[ELEMENT]
                    .as_str()
                    .ok_or(format!("no element id in {found}"))?
                    .to_owned();
                self.command(
                    Method::POST,
                    &format!("/element/{id}/click"),
                    Some(json!({})),
                )
                .await
            }
            .await;
            match clicked {
                Ok(_) => return,
                Err(err) => {
                    assert!(Instant::now() < deadline, "cannot click {css}: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}
