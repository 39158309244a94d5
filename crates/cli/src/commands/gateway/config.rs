//! The gateway's settings: a TOML file (`--config FILE`) and the environment
//! (`GHL_GATEWAY_*`, which overrides the file key by key), checked into [`Settings`]. Every
//! problem is a [`ConfigError`] naming the key, where it came from, and the fix.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ghl_webhook_router::types::EventKind;
use http::Uri;
use serde::Deserialize;

use super::signing::{Secret, SecretError};
use super::tls;
use crate::journal_at::{JournalOptions, Target};

/// The value of a route that forwards nothing: the kind is acknowledged and dropped.
pub(crate) const DROP: &str = "drop";

/// What the file may hold: every key optional, unknown keys refused (a typo must not be
/// silently ignored). The environment variable of each key is `GHL_GATEWAY_<KEY>` upper-cased.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    listen: Option<String>,
    ops: Option<String>,
    journal: Option<String>,
    redis_prefix: Option<String>,
    postgres_schema: Option<String>,
    highlevel_keys: Option<Vec<String>>,
    target: Option<String>,
    tls_ca_file: Option<String>,
    secrets: Option<Vec<String>>,
    timeout: Option<String>,
    concurrency: Option<u64>,
    max_attempts: Option<u64>,
    backoff: Option<String>,
    max_backoff: Option<String>,
    order_by: Option<String>,
    pause_probe: Option<String>,
    grace: Option<String>,
    max_pending_age: Option<String>,
    log: Option<String>,
    routes: Option<Vec<RouteConfig>>,
}

/// One `[[routes]]` table: the kinds it takes and where they go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteConfig {
    kinds: Vec<String>,
    target: String,
}

/// Every key, with its environment variable and what it means: `gateway --help` prints this
/// table; the environment is read from it.
pub(crate) const KEYS: &[(&str, &str, &str)] = &[
    (
        "listen",
        "GHL_GATEWAY_LISTEN",
        "HOST:PORT HighLevel posts to (default 0.0.0.0:8080)",
    ),
    (
        "ops",
        "GHL_GATEWAY_OPS",
        "HOST:PORT of /metrics, /livez, /readyz (default 127.0.0.1:9090)",
    ),
    (
        "journal",
        "GHL_GATEWAY_JOURNAL",
        "a SQLite file, redis://… or postgres://… (required)",
    ),
    (
        "redis_prefix",
        "GHL_GATEWAY_REDIS_PREFIX",
        "key prefix of a Redis journal",
    ),
    (
        "postgres_schema",
        "GHL_GATEWAY_POSTGRES_SCHEMA",
        "schema of a Postgres journal",
    ),
    (
        "highlevel_keys",
        "GHL_GATEWAY_HIGHLEVEL_KEYS",
        "`highlevel` (default), `test` (TEST-ONLY), or public key files",
    ),
    (
        "target",
        "GHL_GATEWAY_TARGET",
        "the app's default URL (http://… or https://…), or `drop`",
    ),
    (
        "tls_ca_file",
        "GHL_GATEWAY_TLS_CA_FILE",
        "PEM file of CA certificates trusted for https:// targets, besides the public roots",
    ),
    (
        "secrets",
        "GHL_GATEWAY_SECRETS",
        "whsec_… signing secrets, newest first (required)",
    ),
    (
        "timeout",
        "GHL_GATEWAY_TIMEOUT",
        "how long one forward may take (default 10s)",
    ),
    (
        "concurrency",
        "GHL_GATEWAY_CONCURRENCY",
        "forwards in flight (default 16)",
    ),
    (
        "max_attempts",
        "GHL_GATEWAY_MAX_ATTEMPTS",
        "attempts before a dead letter (default 8)",
    ),
    (
        "backoff",
        "GHL_GATEWAY_BACKOFF",
        "first pause between attempts (default 1s)",
    ),
    (
        "max_backoff",
        "GHL_GATEWAY_MAX_BACKOFF",
        "longest pause between attempts (default 10m)",
    ),
    (
        "order_by",
        "GHL_GATEWAY_ORDER_BY",
        "a top-level payload field: one at a time per value",
    ),
    (
        "pause_probe",
        "GHL_GATEWAY_PAUSE_PROBE",
        "how often a paused (410) target is tried (default 30s)",
    ),
    (
        "grace",
        "GHL_GATEWAY_GRACE",
        "how long shutdown waits for forwards (default 10s)",
    ),
    (
        "max_pending_age",
        "GHL_GATEWAY_MAX_PENDING_AGE",
        "not ready beyond this backlog age (default 5m)",
    ),
    (
        "log",
        "GHL_GATEWAY_LOG",
        "`json` (default) or `text`, on stderr",
    ),
    (
        "routes",
        "GHL_GATEWAY_ROUTES",
        "per-kind targets: `Kind[,Kind]=URL|drop;…`",
    ),
];

/// A setting that cannot be used: which key, from where, what is wrong, and what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the gateway config {}: {source}; check the --config path", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML of the expected shape (an unknown key, a wrong type).
    #[error("{}: {detail}; the keys are listed by `ghl-webhook gateway --help`", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, which names the key and the line.
        detail: String,
    },
    /// A key's value is wrong.
    #[error("{key}: {problem}; {fix}")]
    Invalid {
        /// The key and where it came from, e.g. "`secrets` in gateway.toml" or
        /// "GHL_GATEWAY_SECRETS".
        key: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        fix: String,
    },
}

/// Where each routed kind goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    /// Forward to this URL.
    Forward(Uri),
    /// Acknowledge and forward nothing.
    Drop,
}

/// The checked settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Where HighLevel posts.
    pub listen: String,
    /// Where the operations routes are served.
    pub ops: String,
    /// The journal.
    pub journal: Target,
    /// `highlevel`, `test`, or key files.
    pub highlevel_keys: Vec<String>,
    /// The default destination (`None`: kinds without a route are dropped, with a warning at
    /// start).
    pub target: Option<Destination>,
    /// Per-kind destinations.
    pub routes: HashMap<EventKind, Destination>,
    /// The TLS settings of `https://` targets: the public roots and `tls_ca_file`'s.
    pub tls: Arc<rustls::ClientConfig>,
    /// The signing secrets, newest first.
    pub secrets: Vec<Secret>,
    /// One forward's time limit.
    pub timeout: Duration,
    /// Forwards in flight.
    pub concurrency: usize,
    /// Attempts before a dead letter.
    pub max_attempts: u32,
    /// First pause between attempts.
    pub backoff: Duration,
    /// Longest pause between attempts.
    pub max_backoff: Duration,
    /// The top-level payload field whose value orders forwards, if any.
    pub order_by: Option<String>,
    /// How often a paused target is tried.
    pub pause_probe: Duration,
    /// Shutdown's wait for forwards in flight.
    pub grace: Duration,
    /// Readiness bound on the backlog's age.
    pub max_pending_age: Duration,
    /// JSON logs (else text).
    pub json_logs: bool,
}

/// Where a key's value came from, for messages.
struct Origins<'a> {
    file: Option<&'a Path>,
    from_env: Vec<&'static str>,
}

impl Origins<'_> {
    fn name(&self, key: &str) -> String {
        let env = env_name(key);
        if self.from_env.contains(&key) {
            return env;
        }
        match self.file {
            Some(path) => format!("`{key}` in {} (or {env})", path.display()),
            None => env,
        }
    }

    fn invalid(
        &self,
        key: &str,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            key: self.name(key),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

/// `GHL_GATEWAY_<KEY>`.
fn env_name(key: &str) -> String {
    format!("GHL_GATEWAY_{}", key.to_ascii_uppercase())
}

/// A list from the environment: comma- or whitespace-separated.
fn env_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads the file (if any) and the environment `env` (the process's, in `main`), and checks
/// them.
pub(crate) fn load(
    path: Option<&Path>,
    env: &HashMap<String, String>,
) -> Result<Settings, ConfigError> {
    let mut file = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            toml::from_str::<FileConfig>(&text).map_err(|err| ConfigError::Parse {
                path: path.to_owned(),
                detail: err.to_string().trim().replace('\n', " "),
            })?
        }
        None => FileConfig::default(),
    };
    let mut origins = Origins {
        file: path,
        from_env: Vec::new(),
    };
    let mut routes_env = None;
    for &(key, _, _) in KEYS {
        let Some(value) = env.get(&env_name(key)) else {
            continue;
        };
        origins.from_env.push(key);
        let text = Some(value.clone());
        match key {
            "listen" => file.listen = text,
            "ops" => file.ops = text,
            "journal" => file.journal = text,
            "redis_prefix" => file.redis_prefix = text,
            "postgres_schema" => file.postgres_schema = text,
            "highlevel_keys" => file.highlevel_keys = Some(env_list(value)),
            "target" => file.target = text,
            "tls_ca_file" => file.tls_ca_file = text,
            "secrets" => file.secrets = Some(env_list(value)),
            "timeout" => file.timeout = text,
            "backoff" => file.backoff = text,
            "max_backoff" => file.max_backoff = text,
            "order_by" => file.order_by = text,
            "pause_probe" => file.pause_probe = text,
            "grace" => file.grace = text,
            "max_pending_age" => file.max_pending_age = text,
            "log" => file.log = text,
            "concurrency" => file.concurrency = Some(number(&origins, key, value)?),
            "max_attempts" => file.max_attempts = Some(number(&origins, key, value)?),
            "routes" => routes_env = Some(value.clone()),
            _ => {}
        }
    }
    check(file, routes_env, &origins)
}

fn number(origins: &Origins<'_>, key: &str, value: &str) -> Result<u64, ConfigError> {
    value.trim().parse().map_err(|_| {
        origins.invalid(
            key,
            format!("`{value}` is not a whole number"),
            "give e.g. 8",
        )
    })
}

fn duration(
    origins: &Origins<'_>,
    key: &str,
    value: Option<&str>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match humantime::parse_duration(value.trim()) {
        Ok(parsed) if !parsed.is_zero() => Ok(parsed),
        Ok(_) => Err(origins.invalid(key, "it is zero", "give a positive duration, e.g. 10s")),
        Err(err) => Err(origins.invalid(
            key,
            format!("`{value}` is not a duration ({err})"),
            "write e.g. 500ms, 10s, 5m",
        )),
    }
}

fn address(origins: &Origins<'_>, key: &str, value: &str) -> Result<String, ConfigError> {
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(value.to_owned())
        }
        _ => Err(origins.invalid(
            key,
            format!("`{value}` is not HOST:PORT"),
            "write e.g. 0.0.0.0:8080 (port 0 picks a free port)",
        )),
    }
}

/// A destination: `drop`, or an `http://` or `https://` URL with a host.
fn destination(origins: &Origins<'_>, key: &str, value: &str) -> Result<Destination, ConfigError> {
    let value = value.trim();
    if value == DROP {
        return Ok(Destination::Drop);
    }
    let uri: Uri = value.parse().map_err(|err| {
        origins.invalid(
            key,
            format!("`{value}` is not a URL ({err})"),
            "write the app's URL, e.g. http://127.0.0.1:3000/webhooks or https://app.example/webhooks, or `drop`",
        )
    })?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some_and(|host| !host.is_empty()) => {
            Ok(Destination::Forward(uri))
        }
        _ => Err(origins.invalid(
            key,
            format!("`{value}` is not an http:// or https:// URL with a host"),
            "write e.g. http://127.0.0.1:3000/webhooks or https://app.example/webhooks, or `drop`",
        )),
    }
}

fn kind(origins: &Origins<'_>, key: &str, name: &str) -> Result<EventKind, ConfigError> {
    EventKind::from_name(name.trim()).ok_or_else(|| {
        let hint = EventKind::ALL
            .iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name.trim()))
            .map(|k| format!("did you mean `{k}`? "))
            .unwrap_or_default();
        origins.invalid(
            key,
            format!("`{name}` is not a HighLevel event name"),
            format!("{hint}`ghl-webhook list` prints them all"),
        )
    })
}

fn check(
    file: FileConfig,
    routes_env: Option<String>,
    origins: &Origins<'_>,
) -> Result<Settings, ConfigError> {
    let listen = address(
        origins,
        "listen",
        file.listen.as_deref().unwrap_or("0.0.0.0:8080"),
    )?;
    let ops = address(
        origins,
        "ops",
        file.ops.as_deref().unwrap_or("127.0.0.1:9090"),
    )?;
    let journal = journal(&file, origins)?;
    let highlevel_keys = file
        .highlevel_keys
        .unwrap_or_else(|| vec!["highlevel".to_owned()]);
    if highlevel_keys.is_empty() {
        return Err(origins.invalid(
            "highlevel_keys",
            "it is empty, so no delivery could be verified",
            "leave it out for HighLevel's published keys, or list public key files",
        ));
    }
    let secrets = match file.secrets {
        None => {
            return Err(origins.invalid(
                "secrets",
                "it is missing: the app could not tell the gateway's requests from anyone's",
                "give the app's whsec_… secret (e.g. GHL_GATEWAY_SECRETS=whsec_…)",
            ));
        }
        Some(list) if list.is_empty() => {
            return Err(origins.invalid(
                "secrets",
                "it is empty",
                "give at least one whsec_… secret",
            ));
        }
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(at, text)| {
                Secret::parse(text).map_err(|err: SecretError| {
                    origins.invalid(
                        "secrets",
                        format!("secret {} (of {}) is not a Standard Webhooks secret: {err}", at + 1, list.len()),
                        "give it as whsec_ followed by the base64 of a 24 to 64 byte key, as the app's library generates it",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let tls = tls_config(file.tls_ca_file.as_deref(), origins)?;
    let target = file
        .target
        .as_deref()
        .map(|value| destination(origins, "target", value))
        .transpose()?;
    let routes = match routes_env {
        Some(text) => env_routes(&text, origins)?,
        None => file_routes(file.routes.unwrap_or_default(), origins)?,
    };
    if target.is_none() && routes.is_empty() {
        return Err(origins.invalid(
            "target",
            "it is missing and no route is configured, so nothing would be forwarded",
            "give the app's URL (e.g. GHL_GATEWAY_TARGET=http://127.0.0.1:3000/webhooks)",
        ));
    }
    let positive = |key: &str, value: Option<u64>, default: u64| -> Result<u64, ConfigError> {
        match value.unwrap_or(default) {
            0 => Err(origins.invalid(key, "it is zero", "give at least 1")),
            n => Ok(n),
        }
    };
    let concurrency = positive("concurrency", file.concurrency, 16)?;
    let max_attempts = positive("max_attempts", file.max_attempts, 8)?;
    let backoff = duration(
        origins,
        "backoff",
        file.backoff.as_deref(),
        Duration::from_secs(1),
    )?;
    let max_backoff = duration(
        origins,
        "max_backoff",
        file.max_backoff.as_deref(),
        Duration::from_secs(600),
    )?;
    if max_backoff < backoff {
        return Err(origins.invalid(
            "max_backoff",
            format!(
                "it is shorter than backoff ({})",
                humantime::format_duration(backoff)
            ),
            "make max_backoff at least backoff",
        ));
    }
    let json_logs = match file.log.as_deref().map(str::trim) {
        None | Some("json") => true,
        Some("text") => false,
        Some(other) => {
            return Err(origins.invalid(
                "log",
                format!("`{other}` is not a log format"),
                "write json or text",
            ));
        }
    };
    let order_by = file.order_by.map(|field| field.trim().to_owned());
    if order_by.as_deref().is_some_and(str::is_empty) {
        return Err(origins.invalid(
            "order_by",
            "it is empty",
            "name a top-level payload field, e.g. locationId, or leave it out",
        ));
    }
    Ok(Settings {
        listen,
        ops,
        journal,
        highlevel_keys,
        target,
        routes,
        tls,
        secrets,
        timeout: duration(
            origins,
            "timeout",
            file.timeout.as_deref(),
            Duration::from_secs(10),
        )?,
        concurrency: usize::try_from(concurrency).unwrap_or(usize::MAX).min(4096),
        max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
        backoff,
        max_backoff,
        order_by,
        pause_probe: duration(
            origins,
            "pause_probe",
            file.pause_probe.as_deref(),
            Duration::from_secs(30),
        )?,
        grace: duration(
            origins,
            "grace",
            file.grace.as_deref(),
            Duration::from_secs(10),
        )?,
        max_pending_age: duration(
            origins,
            "max_pending_age",
            file.max_pending_age.as_deref(),
            Duration::from_secs(300),
        )?,
        json_logs,
    })
}

/// The TLS settings of `https://` targets, with the CA certificates of `tls_ca_file` if given.
fn tls_config(
    ca_file: Option<&str>,
    origins: &Origins<'_>,
) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    let extra = match ca_file.map(str::trim) {
        None => Vec::new(),
        Some("") => {
            return Err(origins.invalid(
                "tls_ca_file",
                "it is empty",
                "give the path of a PEM file of CA certificates, or leave it out",
            ));
        }
        Some(path) => tls::read_ca_file(Path::new(path)).map_err(|err| {
            origins.invalid(
                "tls_ca_file",
                format!("{path}: {err}"),
                "give a PEM file of the CA certificates that signed the app's certificate",
            )
        })?,
    };
    tls::client_config(&extra).map_err(|err| {
        origins.invalid(
            "tls_ca_file",
            format!("{}: {err}", ca_file.unwrap_or_default()),
            "give the certificate of the CA itself (not the app's own certificate chain's key)",
        )
    })
}

/// The journal: a file path, or a `redis://` / `postgres://` URL, through the CLI's journal
/// options (the same as `listen --journal/--redis/--postgres`).
fn journal(file: &FileConfig, origins: &Origins<'_>) -> Result<Target, ConfigError> {
    let Some(at) = file
        .journal
        .as_deref()
        .map(str::trim)
        .filter(|at| !at.is_empty())
    else {
        return Err(origins.invalid(
            "journal",
            "it is missing: the gateway answers 200 only once a delivery is journaled",
            "give a SQLite file (e.g. /var/lib/ghl-gateway/journal.db), redis://… or postgres://…",
        ));
    };
    let mut options = JournalOptions::default();
    if at.starts_with("redis://") || at.starts_with("rediss://") || at.starts_with("unix://") {
        options.redis = Some(at.to_owned());
    } else if at.starts_with("postgres://") || at.starts_with("postgresql://") {
        options.postgres = Some(at.to_owned());
    } else if at.contains("://") {
        return Err(origins.invalid(
            "journal",
            format!(
                "`{}` is a URL of no journal engine",
                ghl_webhook_router::journal::redact_url(at)
            ),
            "give a file path, redis://… or postgres://…",
        ));
    } else {
        options.file = Some(PathBuf::from(at));
    }
    options.redis_prefix = file.redis_prefix.clone();
    options.postgres_schema = file.postgres_schema.clone();
    options.check().map_err(|err| {
        let key = if file.redis_prefix.is_some() && options.redis.is_none() {
            "redis_prefix"
        } else {
            "postgres_schema"
        };
        origins.invalid(
            key,
            err.to_string(),
            "make journal the matching URL, or leave the key out",
        )
    })?;
    options
        .target()
        .ok_or_else(|| origins.invalid("journal", "it is missing", "give a journal"))
}

fn add_route(
    routes: &mut HashMap<EventKind, Destination>,
    origins: &Origins<'_>,
    kind: EventKind,
    destination: Destination,
) -> Result<(), ConfigError> {
    if routes.insert(kind, destination).is_some() {
        return Err(origins.invalid(
            "routes",
            format!("{kind} is routed twice"),
            "give each kind one route (remove it from one of them)",
        ));
    }
    Ok(())
}

fn file_routes(
    tables: Vec<RouteConfig>,
    origins: &Origins<'_>,
) -> Result<HashMap<EventKind, Destination>, ConfigError> {
    let mut routes = HashMap::new();
    for table in tables {
        let to = destination(origins, "routes", &table.target)?;
        if table.kinds.is_empty() {
            return Err(origins.invalid(
                "routes",
                format!("the route to `{}` names no kinds", table.target),
                "list its kinds, e.g. kinds = [\"ContactCreate\"]",
            ));
        }
        for name in &table.kinds {
            add_route(
                &mut routes,
                origins,
                kind(origins, "routes", name)?,
                to.clone(),
            )?;
        }
    }
    Ok(routes)
}

/// `Kind[,Kind]=URL|drop`, separated by `;` or whitespace.
fn env_routes(
    text: &str,
    origins: &Origins<'_>,
) -> Result<HashMap<EventKind, Destination>, ConfigError> {
    let mut routes = HashMap::new();
    for part in text
        .split(|c: char| c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((kinds, to)) = part.split_once('=') else {
            return Err(origins.invalid("routes", format!("`{part}` is not KIND=URL"), "write e.g. ContactCreate,ContactUpdate=http://127.0.0.1:3000/contacts;AppInstall=drop"));
        };
        let to = destination(origins, "routes", to)?;
        for name in kinds.split(',').filter(|n| !n.is_empty()) {
            add_route(
                &mut routes,
                origins,
                kind(origins, "routes", name)?,
                to.clone(),
            )?;
        }
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn minimal() -> Vec<(&'static str, &'static str)> {
        vec![
            ("GHL_GATEWAY_JOURNAL", "/tmp/j.db"),
            ("GHL_GATEWAY_TARGET", "http://127.0.0.1:3000/hooks"),
            ("GHL_GATEWAY_SECRETS", SECRET),
        ]
    }

    fn error(pairs: &[(&str, &str)]) -> String {
        let mut all = minimal();
        all.extend_from_slice(pairs);
        load(None, &env(&all)).expect_err("invalid").to_string()
    }

    #[test]
    fn the_environment_alone_is_enough() {
        let settings = load(None, &env(&minimal())).expect("valid");
        assert_eq!(settings.journal, Target::Sqlite("/tmp/j.db".into()));
        assert_eq!(settings.listen, "0.0.0.0:8080");
        assert_eq!(settings.secrets.len(), 1);
        assert!(settings.json_logs);
    }

    #[test]
    fn routes_from_the_environment() {
        let mut all = minimal();
        all.push((
            "GHL_GATEWAY_ROUTES",
            "ContactCreate,ContactUpdate=http://127.0.0.1:4000/c;AppInstall=drop",
        ));
        let settings = load(None, &env(&all)).expect("valid");
        assert_eq!(settings.routes.len(), 3);
        assert_eq!(settings.routes[&EventKind::AppInstall], Destination::Drop);
    }

    #[test]
    fn https_targets_are_forwarded_to() {
        let mut all = minimal();
        all.push(("GHL_GATEWAY_TARGET", "https://app.example/hooks"));
        all.push((
            "GHL_GATEWAY_ROUTES",
            "ContactCreate=https://10.0.0.7:8443/c",
        ));
        let settings = load(None, &env(&all)).expect("valid");
        assert_eq!(
            settings.target,
            Some(Destination::Forward(Uri::from_static(
                "https://app.example/hooks"
            )))
        );
        assert_eq!(
            settings.routes[&EventKind::ContactCreate],
            Destination::Forward(Uri::from_static("https://10.0.0.7:8443/c"))
        );
    }

    #[test]
    fn problems_name_the_key_and_the_fix() {
        assert!(
            error(&[("GHL_GATEWAY_TARGET", "ftp://app.example/hooks")])
                .starts_with("GHL_GATEWAY_TARGET: ")
        );
        assert!(
            error(&[("GHL_GATEWAY_TARGET", "https:///hooks")]).starts_with("GHL_GATEWAY_TARGET: ")
        );
        assert!(error(&[("GHL_GATEWAY_SECRETS", "whsec_###")]).contains("GHL_GATEWAY_SECRETS"));
        assert!(
            error(&[("GHL_GATEWAY_ROUTES", "contactcreate=drop")])
                .contains("did you mean `ContactCreate`")
        );
        assert!(
            error(&[(
                "GHL_GATEWAY_ROUTES",
                "ContactCreate=drop;ContactCreate=http://a:1/"
            )])
            .contains("routed twice")
        );
        assert!(error(&[("GHL_GATEWAY_TIMEOUT", "soon")]).contains("GHL_GATEWAY_TIMEOUT"));
        assert!(error(&[("GHL_GATEWAY_JOURNAL", "mysql://x")]).contains("GHL_GATEWAY_JOURNAL"));
        let missing = load(None, &env(&minimal()[..2]))
            .expect_err("no secret")
            .to_string();
        assert!(
            missing.starts_with("GHL_GATEWAY_SECRETS: it is missing"),
            "{missing}"
        );
    }
}
