//! Journal addresses in messages and logs: URLs with their passwords left out.

/// `url` with its password replaced by `***`, in the user info and in a `password=` query
/// parameter, for messages and logs.
///
/// ```
/// use ghl_webhook_router::journal::redact_url;
///
/// assert_eq!(redact_url("redis://:s3cret@10.0.0.5:6379/0"), "redis://:***@10.0.0.5:6379/0");
/// assert_eq!(
///     redact_url("postgres://app@db/app?password=s3cret&sslmode=require"),
///     "postgres://app@db/app?password=***&sslmode=require"
/// );
/// ```
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    format!("{scheme}://{authority}{}", redact_query(path))
}

/// A path and query with the value of each `password=` parameter replaced by `***`.
fn redact_query(path: &str) -> String {
    let Some((before, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{before}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_left_out_of_locations() {
        assert_eq!(
            redact("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            redact("redis://app:s3cret@host/1"),
            "redis://app:***@host/1"
        );
        assert_eq!(
            redact("postgres://app:s3cret@host:5432?dbname=x&PASSWORD=y"),
            "postgres://app:***@host:5432?dbname=x&PASSWORD=***"
        );
        assert_eq!(redact("redis://host:6379"), "redis://host:6379");
        assert_eq!(redact("not a url"), "not a url");
    }
}
