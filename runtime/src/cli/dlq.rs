//! `jido-dispatch dlq list|show|redrive|purge [--store PATH]`: the dead letters in a SQLite
//! store (by default the one `dispatch` records its final failures in).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use jido_dispatch::Runtime;

use jido_dispatch::dead_letter::{DeadLetterStore, SqliteStore};
use jido_dispatch::host::http::IpNet;

/// What to do with the dead letters.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// One line per letter: id, time, origin, adapter, error code, signal id and type.
    List(Store),
    /// One letter in full, as JSON.
    Show(WithId),
    /// Deliver a letter to its original target again (removed on success); or, with
    /// filters instead of an id, have a running daemon redrive every matching letter.
    Redrive(Box<Redrive>),
    /// Remove every letter.
    Purge(Store),
}

/// The store file.
#[derive(Debug, clap::Args)]
pub struct Store {
    /// The SQLite file (default: the one `dispatch` writes, see `store_path`).
    #[arg(long)]
    store: Option<PathBuf>,
}

/// `--store`, or the command line's default store.
pub fn store_path(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    given.cloned().or_else(SqliteStore::default_path).context(
        "no dead-letter store: pass --store PATH (or set JIDO_DISPATCH_DATA_DIR, XDG_DATA_HOME or HOME)",
    )
}

/// A store and a letter id.
#[derive(Debug, clap::Args)]
pub struct WithId {
    /// The letter's id.
    id: u64,
    #[command(flatten)]
    store: Store,
}

/// Arguments of `dlq redrive`: one letter from a store file (`dlq redrive ID`), or every
/// letter matching filters, by a running daemon as a job (`dlq redrive --target … --since …`).
#[derive(Debug, clap::Args)]
pub struct Redrive {
    /// One letter's id, redriven from the store file; without it, a running daemon
    /// redrives every letter the filters take.
    #[arg(conflicts_with_all = ["target", "code", "origin", "since", "until", "all"])]
    id: Option<u64>,
    #[command(flatten)]
    store: Store,
    /// A loopback or private network http targets may reach (repeatable; with an id).
    #[arg(long = "allow-private", value_name = "CIDR")]
    allow_private: Vec<String>,
    #[command(flatten)]
    filter: super::jobs::LetterFilter,
    #[command(flatten)]
    daemon: super::jobs::Daemon,
}

fn open(store: &Store) -> anyhow::Result<SqliteStore> {
    let path = store_path(store.store.as_ref())?;
    SqliteStore::open(&path).with_context(|| format!("cannot open the store {}", path.display()))
}

/// Runs a `dlq` command.
#[expect(clippy::print_stdout, reason = "the CLI reports on stdout")]
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List(store) => {
            for l in open(&store)?.list()? {
                let code = l.error.code().unwrap_or("-");
                println!(
                    "{}\t{}\t{}\t{}\t{code}\t{}\t{}",
                    l.id, l.failed_at, l.origin, l.target.adapter, l.signal.id, l.signal.ty
                );
            }
        }
        Command::Show(WithId { id, store }) => {
            let letter = open(&store)?.get(id)?.with_context(|| format!("no dead letter {id}"))?;
            println!("{}", serde_json::to_string_pretty(&letter.to_json())?);
        }
        Command::Redrive(redrive) => {
            let Redrive { id, store, allow_private, filter, daemon } = *redrive;
            let Some(id) = id else {
                if !filter.given() {
                    anyhow::bail!(
                        "give a letter id, or filters (--target, --code, --origin, --since, --until; --all for every letter)"
                    );
                }
                return super::jobs::redrive(&filter, &daemon).await;
            };
            let networks = allow_private.iter().map(|n| IpNet::parse(n)).collect::<Result<Vec<_>, _>>()?;
            let store: Arc<dyn DeadLetterStore> = Arc::new(open(&store)?);
            let runtime = Runtime::builder().allow_private(networks).dead_letter_store(store).build()?;
            runtime.redrive(id).await?;
            println!("dead letter {id} delivered and removed");
        }
        Command::Purge(store) => println!("purged {} dead letter(s)", open(&store)?.purge()?),
    }
    Ok(ExitCode::SUCCESS)
}
