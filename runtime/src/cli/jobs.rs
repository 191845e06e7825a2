//! Bulk actions on a running daemon: `dlq redrive --target … --since …` and `replay …`
//! make a job over the admin API and follow it with a progress bar (on a terminal) until
//! it ends, then print a summary; `jobs list|show|cancel` look after jobs.
//!
//! Interrupting the command leaves the job running in the daemon (`jobs show ID`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

/// How to reach the daemon's admin API.
#[derive(Debug, Clone, clap::Args)]
pub struct Daemon {
    /// The daemon's base URL.
    #[arg(long, default_value = "http://127.0.0.1:4000")]
    url: String,
    /// The admin token (or `JIDO_DISPATCH_ADMIN_TOKEN`).
    #[arg(long, env = "JIDO_DISPATCH_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Print the job's id and return at once instead of following it.
    #[arg(long)]
    detach: bool,
}

/// Which dead letters a bulk redrive takes (ANDed).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LetterFilter {
    /// The adapter's name, the target's URL or its origin (`https://host:port`).
    #[arg(long)]
    target: Option<String>,
    /// The final error's code (`http_503`, `time_limit`, …).
    #[arg(long)]
    code: Option<String>,
    /// Where the delivery came from (`bus/default/3`, `dispatch`).
    #[arg(long)]
    origin: Option<String>,
    /// Failed at or after (RFC 3339 or Unix milliseconds).
    #[arg(long)]
    since: Option<String>,
    /// Failed before (RFC 3339 or Unix milliseconds).
    #[arg(long)]
    until: Option<String>,
    /// Take every letter (needed when no other filter is given).
    #[arg(long)]
    all: bool,
}

impl LetterFilter {
    /// Whether any filter (or `--all`) was given.
    pub fn given(&self) -> bool {
        self.all
            || [&self.target, &self.code, &self.origin, &self.since, &self.until].iter().any(|f| f.is_some())
    }

    fn to_json(&self) -> Value {
        given_flags([
            ("target", &self.target),
            ("code", &self.code),
            ("origin", &self.origin),
            ("since", &self.since),
            ("until", &self.until),
        ])
    }
}

/// A JSON object of the flags that were given.
fn given_flags<const N: usize>(flags: [(&str, &Option<String>); N]) -> Value {
    let given = flags.into_iter().filter_map(|(key, value)| Some((key.to_owned(), json!(value.as_ref()?))));
    Value::Object(given.collect())
}

/// Arguments of `replay`.
#[derive(Debug, clap::Args)]
pub struct Replay {
    /// Only signals of this type.
    #[arg(long = "type")]
    ty: Option<String>,
    /// Only signals from this source.
    #[arg(long)]
    source: Option<String>,
    /// Only signals accepted on this bus.
    #[arg(long)]
    bus: Option<String>,
    /// Accepted at or after (RFC 3339 or Unix milliseconds).
    #[arg(long)]
    since: Option<String>,
    /// Accepted before (RFC 3339 or Unix milliseconds).
    #[arg(long)]
    until: Option<String>,
    /// The target as JSON: `{"adapter":"webhook","url":"…"}`.
    #[arg(long, conflicts_with = "subscription")]
    to: Option<String>,
    /// Or a live target: the subscription's id (with `--target-index`).
    #[arg(long, requires = "target_index")]
    subscription: Option<u64>,
    /// The target's index in that subscription.
    #[arg(long)]
    target_index: Option<u64>,
    #[command(flatten)]
    daemon: Daemon,
}

/// `jobs list|show|cancel`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The newest jobs, one line each.
    List(OnDaemon),
    /// One job as JSON.
    Show(JobId),
    /// Cancel a running job (deliveries in flight finish).
    Cancel(JobId),
}

/// The daemon only.
#[derive(Debug, clap::Args)]
pub struct OnDaemon {
    #[command(flatten)]
    daemon: Daemon,
}

/// A job id on a daemon.
#[derive(Debug, clap::Args)]
pub struct JobId {
    /// The job's id.
    id: u64,
    #[command(flatten)]
    daemon: Daemon,
}

impl Daemon {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        let mut request = reqwest::Client::new().request(method, &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.with_context(|| format!("cannot reach {url}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            let message = body["error"].as_str().unwrap_or("no error message");
            bail!("{url} answered {status}: {message}");
        }
        Ok(body)
    }
}

/// Asks the daemon to redrive every letter `filter` takes, and follows the job.
pub async fn redrive(filter: &LetterFilter, daemon: &Daemon) -> anyhow::Result<ExitCode> {
    let job =
        daemon.call(reqwest::Method::POST, "/admin/dead-letters/redrive", Some(filter.to_json())).await?;
    follow(daemon, job, "redriven").await
}

/// Runs `replay`.
pub async fn replay(args: Replay) -> anyhow::Result<ExitCode> {
    let target = match (&args.to, args.subscription, args.target_index) {
        (Some(to), _, _) => serde_json::from_str::<Value>(to).context("--to is not JSON")?,
        (None, Some(subscription), Some(index)) => json!({ "subscription": subscription, "target": index }),
        _ => bail!("name the target: --to JSON, or --subscription ID --target-index N"),
    };
    let filter = given_flags([
        ("type", &args.ty),
        ("source", &args.source),
        ("bus", &args.bus),
        ("since", &args.since),
        ("until", &args.until),
    ]);
    let body = json!({ "filter": filter, "target": target });
    let job = args.daemon.call(reqwest::Method::POST, "/admin/replay", Some(body)).await?;
    follow(&args.daemon, job, "delivered").await
}

/// Runs `jobs …`.
#[expect(clippy::print_stdout, reason = "the CLI reports on stdout")]
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List(OnDaemon { daemon }) => {
            let listed = daemon.call(reqwest::Method::GET, "/admin/jobs", None).await?;
            for job in listed["jobs"].as_array().into_iter().flatten() {
                println!("{}", summary(job, "succeeded"));
            }
        }
        Command::Show(JobId { id, daemon }) => {
            let job = daemon.call(reqwest::Method::GET, &format!("/admin/jobs/{id}"), None).await?;
            println!("{}", serde_json::to_string_pretty(&job)?);
        }
        Command::Cancel(JobId { id, daemon }) => {
            let job = daemon.call(reqwest::Method::POST, &format!("/admin/jobs/{id}/cancel"), None).await?;
            println!("{}", summary(&job, "succeeded"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line: `job 3 done: 200 redriven, 0 failed, 0 skipped of 200`.
fn summary(job: &Value, verb: &str) -> String {
    let n = |key: &str| job[key].as_u64().unwrap_or(0);
    let total = job["total"].as_u64().map_or_else(|| "?".to_owned(), |t| t.to_string());
    let mut line = format!(
        "job {} {} ({}): {} {verb}, {} failed, {} skipped of {total}",
        job["id"],
        job["state"].as_str().unwrap_or("?"),
        job["kind"].as_str().unwrap_or("?"),
        n("succeeded"),
        n("failed"),
        n("skipped"),
    );
    if let Some(error) = job["error"].as_str() {
        line.push_str(&format!(": {error}"));
    }
    line
}

/// Polls the job until it ends, drawing its progress; exit 0 when every item succeeded.
#[expect(clippy::print_stdout, reason = "the CLI reports on stdout")]
async fn follow(daemon: &Daemon, mut job: Value, verb: &str) -> anyhow::Result<ExitCode> {
    let id = job["id"].as_u64().context("the daemon's answer has no job id")?;
    if daemon.detach {
        println!("{id}");
        return Ok(ExitCode::SUCCESS);
    }
    // Drawn on stderr, and only on a terminal.
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{spinner} job {prefix} [{bar:30}] {pos}/{len} {msg} ({eta})")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(id.to_string());
    while job["state"] == "running" {
        if let Some(total) = job["total"].as_u64() {
            bar.set_length(total);
        }
        bar.set_position(job["processed"].as_u64().unwrap_or(0));
        bar.set_message(format!("{} failed", job["failed"].as_u64().unwrap_or(0)));
        tokio::time::sleep(Duration::from_millis(200)).await;
        job = daemon.call(reqwest::Method::GET, &format!("/admin/jobs/{id}"), None).await?;
    }
    bar.finish_and_clear();
    println!("{}", summary(&job, verb));
    let clean = job["state"] == "done" && job["failed"].as_u64() == Some(0);
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
