//! The command line: clap definitions. The doc comments here are the `--help` text.

use std::fmt;
use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::journal_args::JournalArgs;

/// The exit codes, shown at the end of `--help`.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success (trigger: every delivery answered 2xx; verify: the signature is valid)
  1  trigger: a delivery was answered non-2xx; verify: the signature is invalid
  2  unusable arguments: a bad or missing option, an unknown event name, a bad --set,
     an invalid URL or address, an unreadable or malformed key or fixture file, empty stdin;
     a --journal file that is missing (journal), not a journal, read-only or of a newer
     schema; a --redis URL that is malformed, whose password is refused, with no journal
     under the prefix (journal) or with data of something else under it; a --postgres URL
     that is malformed or whose user, password or database is refused, an invalid
     --postgres-schema, a schema with no journal (journal), with tables of something else
     or of a newer schema version; an unknown entry key (journal show/replay)
  3  I/O failure: no answer from the URL, cannot listen on the address, cannot write output,
     the journal failed while in use or its Redis or Postgres cannot be reached";

/// Play HighLevel locally: send signed webhook deliveries, sign and verify bodies, and run a
/// receiver that prints every delivery.
///
/// TEST KEYS ARE TEST-ONLY: `trigger` signs with published test keys by default; never trust
/// them in production (`ghl-webhook keys` shows which keys are which).
#[derive(Debug, Parser)]
#[command(name = "ghl-webhook", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Send a built-in fixture of EVENT to URL, signed like HighLevel, and print the answer.
    ///
    /// The payload gets a fresh `webhookId` and `timestamp` (kept across --repeat, as
    /// HighLevel's retries keep them) and `appId`/`versionId` when it has none.
    #[command(after_help = EXIT_CODES)]
    Trigger(TriggerArgs),
    /// Read a body on stdin (the exact bytes) and print the signature header line(s) to send.
    #[command(after_help = EXIT_CODES)]
    Sign(SignArgs),
    /// Check a signature over the body on stdin (the exact bytes): prints `valid` (exit 0) or
    /// `invalid: <reason>` (exit 1).
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Print HighLevel's published public keys and the TEST-ONLY test public keys, PEM.
    Keys,
    /// Print every event kind, its `type` value(s) and whether it needs a route binding.
    List,
    /// Run a local receiver that verifies, identifies and decodes every delivery and prints
    /// one line per delivery as it is answered.
    ///
    /// `POST /` identifies the kind from the payload's `type`; `POST /<EventName>` binds the
    /// route to that kind (needed for events without a `type`). The bound address is printed
    /// on stderr first. With `--metrics HOST:PORT`, `GET /metrics`, `GET /livez` and
    /// `GET /readyz` are served on that address. Ctrl-C or SIGTERM stops it cleanly.
    #[command(after_help = EXIT_CODES)]
    Listen(ListenArgs),
    /// Inspect and repair the journal of a durable receiver (`listen --journal FILE`,
    /// `listen --redis URL` or `listen --postgres URL`): count, list and show its entries,
    /// replay dead letters, purge old entries.
    ///
    /// Every subcommand takes `--journal FILE` (an existing journal: nothing is created, and
    /// a file that is not a journal is left untouched), `--redis URL` (with `--redis-prefix
    /// PREFIX` when the receivers use another than the default) or `--postgres URL` (with
    /// `--postgres-schema SCHEMA` likewise; nothing is created in the database, and tables
    /// that are not a journal's are left untouched), and `--json`. They may run while
    /// receivers are running on the same journal.
    #[command(after_help = EXIT_CODES)]
    Journal(JournalArgs),
    /// Run a mock HighLevel: app settings (default URL, subscribed events, per-event URLs),
    /// deliveries signed like HighLevel, its retry policies at a time scale, a delivery log
    /// with Resend, and the circuit breaker that pauses a URL under 90% success.
    ///
    /// Server mode (default): a JSON control API and a live dashboard on --addr (loopback
    /// only), until Ctrl-C or SIGTERM. The bound address is printed on stderr first.
    ///
    /// Scenario mode (--scenario FILE --to URL): a bounded run against one receiver, then a
    /// report; the exit code is 0 only when the verdict is `ok`.
    #[command(after_help = SIMULATE_HELP)]
    Simulate(SimulateArgs),
    /// Run the production receiver in front of an app in any language: verify every HighLevel
    /// delivery (fail closed), journal it, answer 200 once durable, then forward its exact
    /// bytes to the app's URL for its kind, signed as Standard Webhooks, with retries, dead
    /// letters and replay.
    ///
    /// Settings come from --config FILE (TOML) and from GHL_GATEWAY_* variables, which
    /// override the file key by key (see below). `gateway check` validates them without
    /// starting. Logs go to stderr (JSON by default). SIGTERM or Ctrl-C stops it: in-flight
    /// forwards finish within `grace` or go back to the journal.
    #[command(after_help = crate::commands::gateway::help())]
    Gateway(GatewayArgs),
}

/// `gateway`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct GatewayArgs {
    /// The settings file (TOML); default: GHL_GATEWAY_CONFIG when set. Without either, the
    /// settings come from the environment only.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// `check`: validate the settings and exit.
    #[command(subcommand)]
    pub command: Option<GatewayCommand>,
}

/// `gateway`'s subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum GatewayCommand {
    /// Validate the settings (file and environment), open nothing, and print a summary:
    /// exit 0 when usable, 2 with a message naming the key otherwise.
    Check,
}

/// The end of `simulate --help`: the control API, the scenario file and the exit codes.
pub(crate) const SIMULATE_HELP: &str = "\
Control API (JSON bodies; errors are {\"error\": MESSAGE} with a 4xx/5xx status):
  GET    /                              the dashboard (delivery log, Resend, breaker; live)
  GET    /api/settings                  default URL, subscriptions, policy, time scale, ...
  PUT    /api/settings                  {\"webhook_url\": URL|null}
  GET    /api/subscriptions             [{\"event\": NAME, \"url\": URL?}, ...]
  PUT    /api/subscriptions             replace all: [{\"event\": NAME, \"url\": URL?}, ...]
  POST   /api/subscriptions             add or change one: {\"event\": NAME, \"url\": URL?}
  DELETE /api/subscriptions/NAME        unsubscribe
  POST   /api/events                    send: {\"event\": NAME, \"payload\": {..}?, \"set\": [\"PATH=VALUE\"]?}
                                        (no payload: the built-in fixture) -> 202 {\"deliveries\": [..]}
  GET    /api/deliveries                the log: every delivery with its attempts
  GET    /api/deliveries/ID             one delivery
  DELETE /api/deliveries                clear the log
  POST   /api/deliveries/ID/resend      resend the latest failed attempt: {\"attempt\": N}?
  GET    /api/breaker                   each URL's state (healthy, warned, paused), window rate
  POST   /api/breaker/reset             re-enable: {\"url\": URL}? (none: every URL)

Config file (--config, JSON, every field optional): webhook_url, subscriptions,
  retry_policy (current|legacy|none), time_scale (real s per simulated s), attempt_timeout_ms,
  retention_days, breaker {min_deliveries, min_success_rate, window_secs, check_every_secs},
  habits {opportunity_pair_ratio, duplicate_ratio}, allow_remote, app_id, version_id.

Scenario file (--scenario, JSON, only `events` required): rate_per_sec, duration_secs,
  events {NAME: WEIGHT}, duplicate_ratio, pairing_ratio, time_scale, retry_policy,
  attempt_timeout_ms, breaker {..}, drain_timeout_secs.

Exit codes:
  0  server: stopped by a signal; scenario: verdict `ok`
  1  scenario: verdict `warned` or `paused`
  2  unusable arguments: a bad option, an unreadable or invalid --config/--scenario/--key
     file, a bad --addr or --to, a non-loopback URL without --allow-remote
  3  I/O failure: cannot listen on --addr, cannot write the output";

/// `simulate`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// The control API's address, loopback only (port 0 picks a free port).
    #[arg(
        long,
        value_name = "HOST:PORT",
        default_value = "127.0.0.1:8484",
        conflicts_with = "scenario"
    )]
    pub addr: String,
    /// The simulator's settings, a JSON file (see below).
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    pub config: Option<PathBuf>,
    /// Sign deliveries with this private key (PKCS#8 PEM, Ed25519; or RSA, PKCS#8 or PKCS#1,
    /// for the legacy X-WH-Signature) instead of the TEST-ONLY test key.
    #[arg(long, value_name = "PRIVATE_PEM")]
    pub key: Option<PathBuf>,
    /// Allow URLs that are not loopback addresses (otherwise only localhost, 127.0.0.0/8 and
    /// ::1 are delivered to).
    #[arg(long)]
    pub allow_remote: bool,
    /// Scenario mode: run this scenario file (JSON, see below) and report.
    #[arg(long, value_name = "FILE", requires = "to")]
    pub scenario: Option<PathBuf>,
    /// Scenario mode: the receiver's URL.
    #[arg(long, value_name = "URL", requires = "scenario")]
    pub to: Option<String>,
    /// Scenario mode: print the report as one JSON object.
    #[arg(long, requires = "scenario")]
    pub json: bool,
}

/// `trigger`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct TriggerArgs {
    /// The event name, as `ghl-webhook list` prints it (case-sensitive), e.g. ContactCreate.
    #[arg(value_name = "EVENT")]
    pub event: String,
    /// The receiver's URL (plain http://), e.g. http://127.0.0.1:3000/webhooks/highlevel.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Override a field: a dotted path into the payload (`contact.email`, `tags.0`) and a
    /// value, parsed as JSON when it parses (`true`, `42`, `null`, `{"a":1}`) and taken as a
    /// string otherwise. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Send this JSON file instead of the built-in fixture: as the payload, with only the
    /// envelope fields it lacks added (`webhookId`, `timestamp`, `appId`, `versionId`).
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
    /// The signature header(s) to send. Default: the scheme of the --key files given
    /// (ed25519 when none).
    #[arg(long, value_name = "SCHEME", value_parser = Scheme::parser(Scheme::SEND))]
    pub scheme: Option<Scheme>,
    /// Sign with this private key (PKCS#8 PEM, Ed25519 or RSA; RSA also PKCS#1) instead of
    /// the test keys. Give an Ed25519 and an RSA key for --scheme both.
    #[arg(long = "key", value_name = "PRIVATE_PEM")]
    pub keys: Vec<PathBuf>,
    /// Change one byte of the body after signing it (the receiver must answer 401).
    #[arg(long)]
    pub tamper: bool,
    /// Send the same delivery N times (same bytes, same `webhookId`), like HighLevel's
    /// retries.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeat: u32,
    /// Post to URL/EVENT: a route bound to the event's kind (how events without a `type`
    /// are identified, see `ghl-webhook list`).
    #[arg(long)]
    pub bound: bool,
    /// Give up on an answer after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// `sign`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The private key (PKCS#8 PEM, Ed25519 or RSA; RSA also PKCS#1). Give an Ed25519 and an
    /// RSA key for --scheme both.
    #[arg(long = "key", value_name = "PRIVATE_PEM", required = true)]
    pub keys: Vec<PathBuf>,
    /// The header(s) to print. Default: the scheme of the key(s) given.
    #[arg(long, value_name = "SCHEME", value_parser = Scheme::parser(Scheme::SIGN))]
    pub scheme: Option<Scheme>,
}

/// `verify`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A trusted public key: SPKI PEM (Ed25519 or RSA; RSA also PKCS#1), or an Ed25519 key as
    /// its raw 32 bytes in base64 or hex. Repeatable (key rotation).
    #[arg(long = "key", value_name = "PUBLIC_PEM", required = true)]
    pub keys: Vec<PathBuf>,
    /// The signature, base64 (the header's value), or the whole header line as `sign`
    /// prints it (`X-GHL-Signature: ...`).
    #[arg(long, value_name = "B64")]
    pub signature: String,
    /// The scheme of the signature. Default: the header named in --signature, else the
    /// scheme of the key(s) given.
    #[arg(long, value_name = "SCHEME", value_parser = Scheme::parser(Scheme::VERIFY))]
    pub scheme: Option<Scheme>,
}

/// `listen`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// The address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:3000")]
    pub addr: String,
    /// Trust this Ed25519 public key (SPKI PEM, or raw 32 bytes as base64 or hex).
    /// Repeatable. Replaces the default keys (HighLevel's published ones).
    #[arg(long = "key", value_name = "PUBLIC_PEM")]
    pub keys: Vec<PathBuf>,
    /// Trust this RSA public key for the legacy X-WH-Signature (SPKI or PKCS#1 PEM).
    /// Repeatable. Replaces the default keys.
    #[arg(long = "rsa-key", value_name = "PUBLIC_PEM")]
    pub rsa_keys: Vec<PathBuf>,
    /// Trust the TEST-ONLY test keys (what `trigger` signs with by default) instead of
    /// HighLevel's published keys.
    #[arg(long)]
    pub test_keys: bool,
    /// Print each delivery as a JSON object: status, kind, webhookId, message, and event (the
    /// decoded event) or error.
    #[arg(long)]
    pub json: bool,
    /// Durable mode: journal every verified delivery in FILE (a SQLite file, created if
    /// missing) and answer 200 as soon as it is on disk; workers then handle it.
    ///
    /// Each accepted delivery prints two lines: `200 KIND WEBHOOKID accepted: journaled` when
    /// it is answered, then its `handled` line (the same as without --journal) when a worker
    /// has handled it. A repeat prints `duplicate: already journaled`, and 503 `journal
    /// unavailable` means the file could not be written. A payload that does not decode
    /// becomes a dead letter and prints no second line: `ghl-webhook journal list --journal
    /// FILE --state dead` shows them, `journal replay` retries them. Entries still pending
    /// when listen stops are handled at its next start; done entries are kept 7 days.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Durable mode on Redis: journal every verified delivery in the Redis at URL
    /// (`redis://[user:password@]host:port/db`) before answering; workers then handle it.
    ///
    /// Receivers started with the same URL and --redis-prefix share one journal: each
    /// delivery is journaled once, whichever receiver it reached, and handled by one of their
    /// workers; the entries of a receiver that died are taken over once their lease expires.
    /// Redis must answer at start. Lines are as with --journal; inspect with `ghl-webhook
    /// journal ... --redis URL`. For the 200 to mean durable, run Redis with `appendonly yes`
    /// and `appendfsync always` (`everysec` may lose about a second of acknowledged
    /// deliveries if Redis crashes).
    #[arg(long, value_name = "URL", conflicts_with = "journal")]
    pub redis: Option<String>,
    /// The key prefix of the Redis journal (default `ghl-webhooks:journal:`): one per app.
    #[arg(long, value_name = "PREFIX", requires = "redis")]
    pub redis_prefix: Option<String>,
    /// Durable mode on Postgres: journal every verified delivery in the database at URL
    /// (`postgres://[user[:password]@]host[:port]/database`) before answering; workers then
    /// handle it.
    ///
    /// The journal's tables are created in --postgres-schema when missing (the user needs the
    /// right to create that schema, or to write it). Receivers started with the same URL and
    /// schema share one journal: each delivery is journaled once, whichever receiver it
    /// reached, and handled by one of their workers; an append on one receiver wakes the idle
    /// workers of all of them, and the entries of a receiver that died are taken over once
    /// their lease expires. Postgres must answer at start. Lines are as with --journal;
    /// inspect with `ghl-webhook journal ... --postgres URL`. Each 200 follows a commit with
    /// `synchronous_commit` on, whatever the database's setting.
    #[arg(long, value_name = "URL", conflicts_with_all = ["journal", "redis"])]
    pub postgres: Option<String>,
    /// The schema of the Postgres journal's tables (default `ghl_webhooks`): one per app
    /// sharing the database. Lowercase letters, digits and underscores.
    #[arg(long, value_name = "SCHEMA", requires = "postgres")]
    pub postgres_schema: Option<String>,
    /// Serve the receiver's metrics and health on HOST:PORT, apart from --addr (port 0 picks
    /// a free port; the bound address is printed as `metrics on http://HOST:PORT/metrics`).
    ///
    /// `GET /metrics`: Prometheus text (`ghl_webhook_deliveries_total` by kind and outcome,
    /// `ghl_webhook_signature_rejections_total` by reason, verification and handler times,
    /// in-flight requests, HighLevel's success ratio, the journal's entries in durable mode;
    /// never a webhookId, a location id or a payload value). `GET /livez`: 200 while the
    /// process answers. `GET /readyz`: 200 with the figures as JSON when the receiver can take
    /// deliveries, 503 when its journal cannot be read or the oldest pending entry waited over
    /// 5 minutes.
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics: Option<String>,
}

/// A signature scheme: which signature header(s) a delivery carries. Each command accepts
/// the schemes that make sense for it ([`Scheme::SEND`], [`Scheme::SIGN`],
/// [`Scheme::VERIFY`]); the names on the command line are clap's, from the variant names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scheme {
    /// X-GHL-Signature (Ed25519): what HighLevel sends today.
    Ed25519,
    /// X-WH-Signature (legacy RSA PKCS#1 v1.5, SHA-256).
    Rsa,
    /// Both headers.
    Both,
    /// No signature header.
    None,
}

impl Scheme {
    /// What `trigger` can send.
    pub(crate) const SEND: &'static [Scheme] = &[Self::Ed25519, Self::Rsa, Self::Both, Self::None];
    /// What `sign` can print.
    pub(crate) const SIGN: &'static [Scheme] = &[Self::Ed25519, Self::Rsa, Self::Both];
    /// What `verify` can check: one signature.
    pub(crate) const VERIFY: &'static [Scheme] = &[Self::Ed25519, Self::Rsa];

    /// A `--scheme` parser accepting only `allowed` (and listing only those in `--help` and
    /// in the error for any other value).
    fn parser(allowed: &'static [Scheme]) -> impl TypedValueParser<Value = Scheme> {
        PossibleValuesParser::new(allowed.iter().filter_map(ValueEnum::to_possible_value))
            .try_map(|name| <Scheme as ValueEnum>::from_str(&name, false))
    }

    /// Whether the scheme sends `X-GHL-Signature` and `X-WH-Signature`.
    pub(crate) fn headers(self) -> (bool, bool) {
        match self {
            Self::Ed25519 => (true, false),
            Self::Rsa => (false, true),
            Self::Both => (true, true),
            Self::None => (false, false),
        }
    }
}

/// The name as given on the command line (`ed25519`, `rsa`, `both`, `none`).
impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_possible_value() {
            Some(value) => f.write_str(value.get_name()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn schemes_are_named_as_on_the_command_line() {
        let names: Vec<String> = Scheme::SEND.iter().map(Scheme::to_string).collect();
        assert_eq!(names, ["ed25519", "rsa", "both", "none"]);
    }
}
