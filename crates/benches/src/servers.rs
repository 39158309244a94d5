//! The servers of the end-to-end benchmark, as both programs name them: `ghl-bench`
//! (`--servers a,c`) and `ghl-bench-server` (`serve a`).

use std::fmt;

use clap::ValueEnum;
use clap::builder::{PossibleValuesParser, TypedValueParser};

/// One server of the end-to-end benchmark. On the command line each is its letter or its
/// name (`a` or `bare`, ...); reports order them `a b c d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub enum Server {
    /// (a) bare hyper: reads the whole body and answers 200.
    #[value(name = "a", alias = "bare")]
    Bare,
    /// (b) hand-written: Ed25519 `verify_strict` + `serde_json::from_slice` ([`crate::baseline`]).
    #[value(name = "b", alias = "hand-written")]
    HandWritten,
    /// (c) the SDK's `WebhookService`, each delivery verified alone
    /// (`.batch_verification(false)`).
    #[value(name = "c", alias = "sdk")]
    Sdk,
    /// (f) the SDK's `WebhookService` with batch verification (the router's default),
    /// otherwise (c).
    #[value(name = "f", alias = "sdk-batch")]
    SdkBatch,
    /// (d) HighLevel's official Node SDK behind Express (run by `ghl-bench --peers`).
    #[value(name = "d", alias = "node")]
    Node,
    /// (e) the SDK in durable mode: (c) plus a `SqliteJournal` (ack once the append is
    /// durable; the workers run the handler).
    #[value(name = "e", alias = "durable")]
    Durable,
    /// (g) the SDK in durable mode on a `RedisJournal`, Redis on this machine with
    /// `appendfsync always` (every acknowledged delivery fsynced by Redis).
    #[value(name = "g", alias = "durable-redis")]
    RedisAlways,
    /// (h) as (g), Redis with `appendfsync everysec` (up to ~1 s of acknowledged deliveries
    /// lost if Redis crashes).
    #[value(name = "h", alias = "durable-redis-everysec")]
    RedisEverysec,
    /// (i) the SDK in durable mode on a `PostgresJournal` (default `PostgresConfig`, schema
    /// `bench`), PostgreSQL on this machine with `fsync` on (the journal forces
    /// `synchronous_commit` on: every acknowledged delivery's WAL flushed).
    #[value(name = "i", alias = "durable-postgres")]
    Postgres,
}

impl Server {
    /// Every server, in report order.
    pub const ALL: [Server; 9] = [
        Self::Bare,
        Self::HandWritten,
        Self::Sdk,
        Self::SdkBatch,
        Self::Node,
        Self::Durable,
        Self::RedisAlways,
        Self::RedisEverysec,
        Self::Postgres,
    ];

    /// The servers `ghl-bench-server` runs itself (all but the Node SDK).
    pub const RUST: [Server; 8] = [
        Self::Bare,
        Self::HandWritten,
        Self::Sdk,
        Self::SdkBatch,
        Self::Durable,
        Self::RedisAlways,
        Self::RedisEverysec,
        Self::Postgres,
    ];

    /// Whether the server journals (and so answers `/_bench/journal` and remembers every id).
    pub fn is_durable(self) -> bool {
        matches!(
            self,
            Self::Durable | Self::RedisAlways | Self::RedisEverysec | Self::Postgres
        )
    }

    /// Whether the server's journal lives in a database server of its own (Redis, Postgres)
    /// that `ghl-bench` starts for it, whose CPU is not the bench server's.
    pub fn has_journal_server(self) -> bool {
        matches!(
            self,
            Self::RedisAlways | Self::RedisEverysec | Self::Postgres
        )
    }

    /// The Redis `appendfsync` setting of a Redis-journal server.
    pub fn redis_fsync(self) -> Option<&'static str> {
        match self {
            Self::RedisAlways => Some("always"),
            Self::RedisEverysec => Some("everysec"),
            _ => None,
        }
    }

    /// The name of the server in reports, e.g. `(a) bare hyper`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bare => "(a) bare hyper",
            Self::HandWritten => "(b) hand-written verify_strict + from_slice",
            Self::Sdk => "(c) SDK WebhookService",
            Self::SdkBatch => "(f) SDK with batch verification",
            Self::Node => "(d) Node SDK + Express",
            Self::Durable => "(e) SDK durable (SqliteJournal)",
            Self::RedisAlways => "(g) SDK durable (RedisJournal, fsync always)",
            Self::RedisEverysec => "(h) SDK durable (RedisJournal, fsync everysec)",
            Self::Postgres => "(i) SDK durable (PostgresJournal)",
        }
    }

    /// The server named `name` (a letter or a name), as on the command line.
    pub fn from_name(name: &str) -> Option<Server> {
        <Server as ValueEnum>::from_str(name.trim(), false).ok()
    }

    /// A clap value parser accepting only the servers in `allowed` (by letter or name).
    pub fn parser(allowed: &'static [Server]) -> impl TypedValueParser<Value = Server> {
        PossibleValuesParser::new(allowed.iter().filter_map(ValueEnum::to_possible_value))
            .try_map(|name| <Server as ValueEnum>::from_str(&name, false))
    }
}

/// The letter, as on the command line and in the reports: `a` to `i`.
impl fmt::Display for Server {
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

    #[test]
    fn letters_and_names_name_the_same_server() {
        let letters: Vec<String> = Server::ALL.iter().map(Server::to_string).collect();
        assert_eq!(letters, ["a", "b", "c", "f", "d", "e", "g", "h", "i"]);
        for server in Server::ALL {
            assert_eq!(Server::from_name(&server.to_string()), Some(server));
            assert!(server.label().starts_with(&format!("({server}) ")));
        }
        assert_eq!(Server::from_name("bare"), Some(Server::Bare));
        assert_eq!(Server::from_name("hand-written"), Some(Server::HandWritten));
        assert_eq!(Server::from_name("sdk"), Some(Server::Sdk));
        assert_eq!(Server::from_name("sdk-batch"), Some(Server::SdkBatch));
        assert_eq!(Server::from_name("node"), Some(Server::Node));
        assert_eq!(Server::from_name("durable"), Some(Server::Durable));
        assert_eq!(
            Server::from_name("durable-redis"),
            Some(Server::RedisAlways)
        );
        assert_eq!(
            Server::from_name("durable-postgres"),
            Some(Server::Postgres)
        );
        assert_eq!(Server::RedisEverysec.redis_fsync(), Some("everysec"));
        assert_eq!(Server::Postgres.redis_fsync(), None);
        assert!(Server::Postgres.is_durable() && Server::Postgres.has_journal_server());
        assert!(!Server::Durable.has_journal_server());
        assert!(Server::RedisAlways.is_durable() && !Server::Sdk.is_durable());
        assert_eq!(Server::from_name("x"), None);
    }
}
