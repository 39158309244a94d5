//! The simulator's scenario files (`ghl-webhook simulate --scenario FILE`): never a panic;
//! a scenario that reads and validates serializes and reads back equal, and yields a
//! simulator configuration.
#![no_main]

use ghl_webhook_sim::simulator::SigningKey;
use ghl_webhook_sim::simulator::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    let written = serde_json::to_string(&scenario).expect("a scenario serializes");
    let again = Scenario::from_json(&written)
        .unwrap_or_else(|e| panic!("its own serialization does not read: {e}\n{written}"));
    assert_eq!(again, scenario);
    let _ = scenario.simulator_config("http://127.0.0.1:9/webhooks", false, SigningKey::default());
});
