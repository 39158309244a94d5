//! Value strategies shared by the per-family strategies: one definition of each kind of value
//! (identifiers, instants, dates, numbers, contact details, URLs, free-form JSON), so that
//! every event gets the same well-formed values and a fix lands everywhere at once.
//!
//! Every value here survives a JSON round trip unchanged: strings are plain strings, numbers
//! are integers or hundredths (exact through `serde_json`), and free-form JSON never holds
//! `null` (an optional field reads `null` as absent).

use std::ops::Range;

use ghl_webhook_types::lenient::Number;
use proptest::collection::btree_map;
use proptest::prelude::*;
use serde_json::Value;

/// The calendar date of every date and timestamp: years 2000 to 2099, days 01 to 28 so that
/// every month has them.
macro_rules! date_regex {
    () => {
        "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    };
}

/// The wall-clock time of every timestamp: `HH:MM:SS`, 00:00:00 to 23:59:59.
macro_rules! time_regex {
    () => {
        "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    };
}

/// A HighLevel-style identifier: 20 to 24 alphanumerics.
pub fn id() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]{20,24}"
}

/// A short identifier as product variant options and media carry: 11 lower-case
/// alphanumerics.
pub fn short_id() -> impl Strategy<Value = String> {
    "[a-z0-9]{11}"
}

/// A version-4 UUID in lower case, e.g. a `webhookId`.
pub fn uuid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
}

/// Free text as users type it: any printable characters, including quotes, backslashes and
/// non-ASCII, so escaping is exercised on every run.
pub fn free_text() -> impl Strategy<Value = String> {
    "\\PC{0,24}"
}

/// An ISO-8601 UTC timestamp with milliseconds, as HighLevel sends them:
/// `2024-05-17T09:30:00.000Z`.
pub fn timestamp() -> impl Strategy<Value = String> {
    concat!(date_regex!(), "T", time_regex!(), "\\.[0-9]{3}Z")
}

/// An ISO-8601 timestamp without fractional seconds, in UTC or with an offset, as the
/// Appointment events send them: `2024-05-17T09:30:00+05:30`.
pub fn timestamp_with_offset() -> impl Strategy<Value = String> {
    concat!(
        date_regex!(),
        "T",
        time_regex!(),
        "(Z|[+-](0[0-9]|1[0-2]):(00|30))"
    )
}

/// An ISO-8601 calendar date: `2024-05-17`.
pub fn date() -> impl Strategy<Value = String> {
    date_regex!()
}

/// `n / 100` for an integer `n` in `range`: a number with at most two decimals (money,
/// seconds, durations), exact through a JSON round trip and never NaN.
pub fn hundredths(range: Range<i64>) -> impl Strategy<Value = f64> {
    range.prop_map(|n| n as f64 / 100.0)
}

/// An amount of money as HighLevel's commerce events carry it (a number or a numeric string,
/// both read as [`Number`]): -10,000,000.00 to 10,000,000.00.
pub fn amount() -> impl Strategy<Value = Number> {
    hundredths(-1_000_000_000..1_000_000_000).prop_map(Number)
}

/// An e-mail address.
pub fn email() -> impl Strategy<Value = String> {
    "[a-z0-9._+-]{1,16}@[a-z]{1,12}\\.(com|io|de)"
}

/// A phone number in E.164 form: `+` and 10 to 13 digits.
pub fn phone() -> impl Strategy<Value = String> {
    "\\+[1-9][0-9]{9,12}"
}

/// An ISO 3166 alpha-2 country (or US state) code, e.g. `US`.
pub fn country_code() -> impl Strategy<Value = String> {
    "[A-Z]{2}"
}

/// An ISO 4217 currency code in upper case, e.g. `USD`.
pub fn currency() -> impl Strategy<Value = String> {
    "[A-Z]{3}"
}

/// A postal code: a US ZIP (`94105`, `94105-1234`) or an alphanumeric one (`SW1A 1AA`).
pub fn postal_code() -> impl Strategy<Value = String> {
    "[0-9]{5}(-[0-9]{4})?|[0-9A-Z]{3,4} [0-9A-Z]{3}"
}

/// A domain name, e.g. `acme.io`.
pub fn domain() -> impl Strategy<Value = String> {
    "[a-z]{1,12}\\.(com|io|app)"
}

/// An IPv4 address.
pub fn ip_address() -> impl Strategy<Value = String> {
    "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}"
}

/// The URL of a web page: `https://shop.example.com/about`.
pub fn url() -> impl Strategy<Value = String> {
    "https://[a-z]{1,12}\\.example\\.com(/[a-z]{1,8}){0,2}"
}

/// The URL of an uploaded file (an image, a recording, a document, a video).
pub fn file_url() -> impl Strategy<Value = String> {
    "https://files\\.example\\.com/[a-zA-Z0-9]{1,12}/[a-z0-9-]{1,16}\\.(png|jpg|mp3|mp4|pdf)"
}

/// A custom object key, e.g. `custom_objects.pets`.
pub fn custom_object_key() -> impl Strategy<Value = String> {
    "custom_objects\\.[a-z_]{1,16}"
}

/// A free-form JSON object with string values, as `createdBy` or `extractedData` carry.
pub fn json_object() -> impl Strategy<Value = Value> {
    btree_map("[a-zA-Z_]{1,10}", free_text(), 0..3)
        .prop_map(|map| Value::Object(map.into_iter().map(|(k, v)| (k, v.into())).collect()))
}

/// A free-form JSON value as custom fields and metadata carry: a string, an integer or an
/// object of strings.
pub fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        free_text().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        json_object(),
    ]
}

/// A value of an open string enum: a documented one, or (one time in four) an undocumented
/// one that must land in `Other`. Undocumented values start with `X_`, which no documented
/// value does, so the generated value is always the canonical decoding of its string.
pub fn open_value<T>(known: &'static [&'static str]) -> impl Strategy<Value = T>
where
    T: From<String> + std::fmt::Debug + Clone,
{
    prop_oneof![
        3 => proptest::sample::select(known).prop_map(|s| T::from(s.to_owned())),
        1 => "X_[A-Z_]{1,12}".prop_map(T::from),
    ]
}

/// An envelope field (`timestamp`, `webhookId`, `appId`, `versionId`) that an event type also
/// models: always present, because HighLevel always sends it (and `MockSender` adds it when it
/// is missing, so an absent one would not survive a delivery unchanged).
pub fn envelope<S: Strategy>(value: S) -> impl Strategy<Value = Option<S::Value>> {
    value.prop_map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn samples<S: Strategy>(strategy: S) -> Vec<S::Value> {
        let mut runner = TestRunner::deterministic();
        (0..256)
            .map(|_| strategy.new_tree(&mut runner).expect("generates").current())
            .collect()
    }

    /// `YYYY-MM-DD` with a month 1-12 and a day 1-28.
    fn assert_calendar_date(text: &str) {
        let parts: Vec<u32> = text
            .split('-')
            .map(|p| p.parse().expect("digits"))
            .collect();
        assert_eq!(parts.len(), 3, "{text}");
        assert!((2000..2100).contains(&parts[0]), "{text}");
        assert!((1..=12).contains(&parts[1]), "{text}");
        assert!((1..=28).contains(&parts[2]), "{text}");
    }

    /// `HH:MM:SS` within a day.
    fn assert_clock_time(text: &str) {
        let parts: Vec<u32> = text
            .split(':')
            .map(|p| p.parse().expect("digits"))
            .collect();
        assert_eq!(parts.len(), 3, "{text}");
        assert!(parts[0] < 24 && parts[1] < 60 && parts[2] < 60, "{text}");
    }

    #[test]
    fn timestamps_are_real_utc_instants_with_milliseconds() {
        for ts in samples(timestamp()) {
            assert_eq!(ts.len(), "2024-05-17T09:30:00.000Z".len(), "{ts}");
            assert_calendar_date(&ts[..10]);
            assert_eq!(&ts[10..11], "T");
            assert_clock_time(&ts[11..19]);
            assert!(ts[19..].starts_with('.') && ts.ends_with('Z'), "{ts}");
        }
    }

    #[test]
    fn offset_timestamps_are_real_instants_in_utc_or_with_an_offset() {
        for ts in samples(timestamp_with_offset()) {
            assert_calendar_date(&ts[..10]);
            assert_clock_time(&ts[11..19]);
            let zone = &ts[19..];
            assert!(zone == "Z" || zone.len() == 6, "{ts}");
        }
    }

    #[test]
    fn dates_are_calendar_dates() {
        for d in samples(date()) {
            assert_calendar_date(&d);
        }
    }

    #[test]
    fn numbers_survive_json_exactly() {
        for n in samples(hundredths(-1_000_000..1_000_000)) {
            let text = serde_json::to_string(&n).expect("serializes");
            assert_eq!(serde_json::from_str::<f64>(&text).expect("parses"), n);
        }
        for Number(n) in samples(amount()) {
            assert!(n.is_finite() && (n * 100.0).round() / 100.0 == n, "{n}");
        }
    }

    #[test]
    fn free_form_json_never_holds_null() {
        for value in samples(json_value()) {
            assert!(!value.is_null());
            if let Value::Object(map) = value {
                assert!(map.values().all(Value::is_string));
            }
        }
    }
}
