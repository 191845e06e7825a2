//! `jido-dispatch publish`: sends signals to a running daemon's `POST /signals`.

use std::process::ExitCode;

use anyhow::{Context as _, bail};

/// Arguments of `publish`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A signal as CloudEvents JSON, or a JSON array of them (sent as one batch).
    #[arg(long)]
    signal: String,
    /// The daemon's base URL.
    #[arg(long, default_value = "http://127.0.0.1:4000")]
    url: String,
    /// The bus to publish into.
    #[arg(long)]
    bus: Option<String>,
    /// The ingress token, if the daemon requires one (or `JIDO_DISPATCH_INGRESS_TOKEN`).
    #[arg(long, env = "JIDO_DISPATCH_INGRESS_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// Posts the signal(s); prints the accepted ids, one per line.
#[expect(clippy::print_stdout, reason = "the CLI reports on stdout")]
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let value: serde_json::Value = serde_json::from_str(&args.signal).context("--signal is not JSON")?;
    let content_type =
        if value.is_array() { "application/cloudevents-batch+json" } else { "application/cloudevents+json" };
    let mut url = format!("{}/signals", args.url.trim_end_matches('/'));
    if let Some(bus) = &args.bus {
        url = format!("{url}?bus={bus}");
    }
    let mut request =
        reqwest::Client::new().post(&url).header("content-type", content_type).body(args.signal);
    if let Some(token) = &args.token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if status != reqwest::StatusCode::ACCEPTED {
        let message = body["error"].as_str().unwrap_or("no error message");
        bail!("{url} answered {status}: {message}");
    }
    for id in body["ids"].as_array().into_iter().flatten() {
        println!("{}", id.as_str().unwrap_or_default());
    }
    Ok(ExitCode::SUCCESS)
}
