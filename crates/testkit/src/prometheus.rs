//! Reads the Prometheus text exposition format back, so that a test asserts on what an app's
//! `GET /metrics` serves: the router's counters by kind and outcome, its gauges, its
//! histograms' `_count`s.
//!
//! ```
//! use ghl_webhook_testkit::prometheus::Exposition;
//!
//! let text = "# TYPE ghl_webhook_deliveries_total counter\n\
//!             ghl_webhook_deliveries_total{kind=\"ContactCreate\",outcome=\"handled\"} 3\n";
//! let metrics = Exposition::parse(text).expect("valid exposition text");
//! let handled = metrics.value(
//!     "ghl_webhook_deliveries_total",
//!     &[("kind", "ContactCreate"), ("outcome", "handled")],
//! );
//! assert_eq!(handled, 3.0);
//! ```

use std::collections::BTreeMap;

/// A line that is not a sample of the text format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} is not a Prometheus sample (`name{{label=\"value\"}} number`): {text:?}")]
#[non_exhaustive]
pub struct ParseError {
    /// The line's number, from 1.
    pub line: usize,
    /// The line.
    pub text: String,
}

/// One sample: `name{label="value",...} value [timestamp]`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Sample {
    /// The series name, e.g. `ghl_webhook_verify_seconds_count`.
    pub name: String,
    /// Its labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

/// Every sample of a rendered exposition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exposition {
    /// The samples, in the order of the text.
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// Parses the text: comments and blank lines are skipped; any other line must be a sample.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let samples = text
            .lines()
            .enumerate()
            .map(|(n, line)| (n + 1, line.trim()))
            .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
            .map(|(n, line)| {
                parse_line(line).ok_or_else(|| ParseError {
                    line: n,
                    text: line.to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { samples })
    }

    /// The value of the series `name` with exactly these labels; 0 when it is not there (a
    /// counter never incremented).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .filter(|s| s.name == name && s.labels == wanted)
            .map(|s| s.value)
            .sum()
    }

    /// The sum over every series named `name`, whatever its labels.
    pub fn total(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .map(|s| s.value)
            .sum()
    }
}

fn parse_line(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inside) = rest.strip_prefix('{') {
        let mut chars = inside.char_indices();
        let mut key = String::new();
        let end = loop {
            let (at, c) = chars.next()?;
            match c {
                '}' if key.is_empty() => break at,
                ',' | ' ' if key.is_empty() => {}
                '=' => {
                    if chars.next()?.1 != '"' {
                        return None;
                    }
                    let mut value = String::new();
                    loop {
                        match chars.next()?.1 {
                            '"' => break,
                            '\\' => match chars.next()?.1 {
                                'n' => value.push('\n'),
                                other => value.push(other),
                            },
                            other => value.push(other),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                other => key.push(other),
            }
        };
        rest = &inside[end + 1..];
    }
    // The value, and perhaps a timestamp after it.
    let mut fields = rest.split_whitespace();
    let value = match fields.next()? {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    if fields.next().is_some_and(|ts| ts.parse::<i64>().is_err()) || fields.next().is_some() {
        return None;
    }
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_escapes_bare_samples_and_timestamps_are_read() {
        let metrics = Exposition::parse(
            "# HELP x_total A counter\n# TYPE x_total counter\n\
             x_total{kind=\"A\",outcome=\"say \\\"hi\\\"\"} 3\n\
             \n\
             y 0.5\n\
             z_bucket{le=\"+Inf\"} 7 1700000000\n",
        )
        .expect("valid");
        assert_eq!(metrics.samples.len(), 3);
        assert_eq!(
            metrics.value("x_total", &[("kind", "A"), ("outcome", "say \"hi\"")]),
            3.0
        );
        assert_eq!(metrics.value("y", &[]), 0.5);
        assert_eq!(metrics.value("z_bucket", &[("le", "+Inf")]), 7.0);
        assert_eq!(
            metrics.value("x_total", &[("kind", "A")]),
            0.0,
            "labels match exactly"
        );
        assert_eq!(metrics.total("x_total"), 3.0);
    }

    #[test]
    fn a_line_that_is_no_sample_is_an_error_naming_it() {
        for bad in [
            "x_total{kind=\"A\" 3",
            "x_total{kind=A} 3",
            "x_total three",
            "x_total",
            "{kind=\"A\"} 1",
            "x_total{kind=\"unterminated} 1",
            "x 1 not-a-timestamp",
            "x 1 2 3",
        ] {
            let err = Exposition::parse(&format!("ok 1\n{bad}\n")).expect_err(bad);
            assert_eq!(err.line, 2, "{bad}");
            assert!(err.to_string().contains("line 2"), "{err}");
        }
    }
}
