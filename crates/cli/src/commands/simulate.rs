//! `simulate`: a mock HighLevel, as a server (control API and dashboard) or a scenario run.

use std::path::Path;
use std::process::ExitCode;

use ghl_webhook_sim::simulator::scenario::{Report, Scenario, Verdict};
use ghl_webhook_sim::simulator::{
    ControlServer, ServeError, SigningKey, Simulator, SimulatorConfig,
};

use crate::cli::SimulateArgs;
use crate::commands::listen::stop_signal;
use crate::commands::runtime;
use crate::error::CliError;
use crate::keyfile::{PrivateKey, parse_private, read_text};
use crate::output;

/// Runs `simulate`: the server until a signal (exit 0), or a scenario (exit 0 only for `ok`).
pub(crate) fn run(args: SimulateArgs) -> Result<ExitCode, CliError> {
    let key = match &args.key {
        Some(path) => signing_key(path)?,
        None => SigningKey::default(),
    };
    match (&args.scenario, &args.to) {
        (Some(scenario), Some(to)) => run_scenario(scenario, to, &args, key),
        _ => serve(&args, key),
    }
}

fn signing_key(path: &Path) -> Result<SigningKey, CliError> {
    let text = read_text(path)?;
    Ok(match parse_private(path, &text)? {
        PrivateKey::Ed25519(keys) => SigningKey::Ed25519(keys),
        PrivateKey::Rsa(key) => SigningKey::Rsa(key),
    })
}

fn read_file(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::Usage(format!("`{}` is not a text (JSON) file", path.display())))
}

fn serve(args: &SimulateArgs, key: SigningKey) -> Result<ExitCode, CliError> {
    let mut config = match &args.config {
        Some(path) => SimulatorConfig::from_json(&read_file(path)?).map_err(|err| {
            CliError::Usage(format!(
                "`{}` is not a simulator config: {err}",
                path.display()
            ))
        })?,
        None => SimulatorConfig::default(),
    };
    config.allow_remote |= args.allow_remote;
    config.signing_key = key;
    let rt = runtime()?;
    rt.block_on(async {
        let sim = Simulator::start(config)
            .await
            .map_err(|err| CliError::Usage(err.to_string()))?;
        let server = ControlServer::start(sim, &args.addr)
            .await
            .map_err(|err| match err {
                ServeError::Bind { addr, source } => CliError::Listen {
                    addr: addr.to_string(),
                    source,
                },
                other => CliError::Usage(format!("--addr: {other}")),
            })?;
        let stop = stop_signal().map_err(|source| CliError::Io {
            what: "cannot install the signal handlers",
            source,
        })?;
        let url = server.url();
        output::note(format!("simulating on {url}"));
        output::note(format!(
            "dashboard {url}/, control API {url}/api/ (`ghl-webhook simulate --help` lists it)"
        ));
        stop.await;
        server.shutdown().await;
        output::note("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

fn run_scenario(
    path: &Path,
    to: &str,
    args: &SimulateArgs,
    key: SigningKey,
) -> Result<ExitCode, CliError> {
    let scenario = Scenario::from_json(&read_file(path)?)
        .map_err(|err| CliError::Usage(format!("--scenario `{}`: {err}", path.display())))?;
    let check = scenario.simulator_config(to, args.allow_remote, SigningKey::default());
    check
        .validate()
        .map_err(|err| CliError::Usage(format!("--to: {err}")))?;
    let report = runtime()?
        .block_on(scenario.run(to, args.allow_remote, key))
        .map_err(|err| CliError::Usage(err.to_string()))?;
    print_report(&report, args.json)?;
    Ok(if report.verdict == Verdict::Ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(report: &Report, json: bool) -> Result<(), CliError> {
    if json {
        let text = serde_json::to_string(report)
            .map_err(|err| CliError::Usage(format!("the report could not be serialized: {err}")))?;
        return output::line(&text);
    }
    let pct = |r: f64| format!("{:.1}%", r * 100.0);
    let verdict = report.verdict.meaning();
    for line in [
        format!("deliveries                  {}", report.deliveries),
        format!("attempts                    {}", report.attempts),
        format!(
            "first-attempt success rate  {}",
            pct(report.first_attempt_success_rate)
        ),
        format!("success rate (attempts)     {}", pct(report.success_rate)),
        format!("delivered                   {}", pct(report.delivered_rate)),
        format!("retries exhausted           {}", report.retries_exhausted),
        format!("not sent (paused)           {}", report.paused_deliveries),
        format!("verdict                     {verdict}"),
    ] {
        output::line(&line)?;
    }
    Ok(())
}
