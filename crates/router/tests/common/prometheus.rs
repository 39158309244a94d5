//! A Prometheus recorder for one test, and its rendering read back (with test-support's
//! reader), so tests assert on what an exporter would serve.

use ghl_webhook_testkit::prometheus::Exposition;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

/// A Prometheus recorder whose histograms have buckets (rendered as `_bucket`/`_sum`/`_count`).
pub(crate) fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets(ghl_webhook_router::metrics::SECONDS_BUCKETS)
        .expect("buckets")
        .build_recorder()
}

/// What `recorder` holds now, rendered and read back.
pub(crate) fn scrape(recorder: &PrometheusRecorder) -> Exposition {
    Exposition::parse(&recorder.handle().render()).expect("the exporter renders valid text")
}
