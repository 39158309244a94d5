//! Which URLs the simulator may deliver to: absolute `http://` URLs, and only loopback hosts
//! (`localhost`, `127.0.0.0/8`, `[::1]`) unless non-loopback ones are explicitly allowed, so a
//! test or a scenario never sends anything off the machine by accident.

use std::net::IpAddr;

use http::Uri;

/// Why a URL cannot be delivered to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Not an absolute `http://` URL with a host.
    #[error("`{0}` is not an absolute http:// URL (e.g. http://127.0.0.1:3000/webhooks)")]
    NotHttp(String),
    /// A host that is not a loopback address, without the allowance.
    #[error(
        "`{0}` is not a loopback address: the simulator sends only to localhost, 127.0.0.0/8 \
         and [::1] unless remote URLs are allowed explicitly (`allow_remote`, `--allow-remote`)"
    )]
    Remote(String),
}

/// Checks `url`: an absolute `http://` URL, and a loopback host unless `allow_remote`.
pub(super) fn check(url: &str, allow_remote: bool) -> Result<(), TargetError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| TargetError::NotHttp(url.to_owned()))?;
    let host = match (uri.scheme_str(), uri.host()) {
        (Some("http"), Some(host)) if !host.is_empty() => host,
        _ => return Err(TargetError::NotHttp(url.to_owned())),
    };
    if allow_remote || is_loopback(host) {
        Ok(())
    } else {
        Err(TargetError::Remote(url.to_owned()))
    }
}

/// Whether `host` (as in a URL: IPv6 in brackets) names this machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_accepted() {
        for url in [
            "http://127.0.0.1:3000/webhooks",
            "http://127.8.9.10/",
            "http://localhost:1/x",
            "http://LOCALHOST/",
            "http://[::1]:8080/h",
        ] {
            check(url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    #[test]
    fn remote_urls_are_refused_unless_allowed() {
        for url in [
            "http://example.com/hooks",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
            "http://127.0.0.1.example.com/",
            "http://localhost.evil.test/",
        ] {
            assert!(
                matches!(check(url, false), Err(TargetError::Remote(_))),
                "{url}"
            );
            check(url, true).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    #[test]
    fn non_http_urls_are_refused_even_when_remote_is_allowed() {
        for url in [
            "",
            "not a url",
            "https://127.0.0.1/",
            "ftp://localhost/",
            "/x",
        ] {
            assert!(
                matches!(check(url, true), Err(TargetError::NotHttp(_))),
                "{url}"
            );
        }
    }
}
