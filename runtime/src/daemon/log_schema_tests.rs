//! Stores written by earlier versions open with their backlog and history intact.

use std::sync::Arc;

use rusqlite::Connection;

use super::admission::Admission;
use super::history::Retention;
use super::log::SignalLog;
use super::test_support::TestDir;

/// A store at `schema` in a directory of its own (removed when the returned guard drops).
fn store(name: &str, schema: &str) -> (TestDir, std::path::PathBuf) {
    let dir = TestDir::new(&format!("schema-{name}"));
    let path = dir.join("store.sqlite");
    Connection::open(&path).expect("open").execute_batch(schema).expect("old schema");
    (dir, path)
}

fn signal(id: &str) -> String {
    format!(r#"{{"specversion":"1.0","id":"{id}","source":"/s","type":"t.x","subject":"sub-{id}"}}"#)
}

fn rows(path: &std::path::Path) -> Vec<(i64, String, String, i64, i64)> {
    let connection = Connection::open(path).expect("open");
    let mut statement = connection
        .prepare("SELECT row, id, coalesce(subject, ''), lanes, held FROM signals ORDER BY row")
        .expect("signals");
    let found = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)));
    found.expect("rows").collect::<Result<_, _>>().expect("rows")
}

fn items(path: &std::path::Path) -> Vec<(String, i64)> {
    let connection = Connection::open(path).expect("open");
    let mut statement = connection
        .prepare("SELECT l.key, i.seq FROM lane_items i JOIN lanes l ON l.id = i.lane ORDER BY l.key, i.seq")
        .expect("items");
    let found = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)));
    found.expect("rows").collect::<Result<_, _>>().expect("rows")
}

fn tables(path: &std::path::Path) -> Vec<String> {
    let connection = Connection::open(path).expect("open");
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("tables");
    let found = statement.query_map([], |r| r.get(0));
    found.expect("rows").collect::<Result<_, _>>().expect("rows")
}

async fn start(path: &std::path::Path) -> super::log::Opened {
    let admission = Arc::new(Admission::new(usize::MAX, usize::MAX));
    let (log, opened) =
        SignalLog::start(path, admission, Retention::default(), Box::new(|_| {})).expect("store opens");
    log.close().await;
    opened
}

#[tokio::test]
async fn a_store_with_a_backlog_and_a_history_copy_moves_into_one_table() {
    let (_dir, path) = store(
        "lanes",
        &format!(
            "CREATE TABLE accepted_signals (seq INTEGER PRIMARY KEY AUTOINCREMENT, bus TEXT NOT NULL,
                 signal TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0, lanes INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE lanes (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
             CREATE TABLE lane_items (lane INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (lane, seq)) WITHOUT ROWID;
             CREATE TABLE history_signals (row INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER, id TEXT NOT NULL,
                 source TEXT NOT NULL, type TEXT NOT NULL, subject TEXT, bus TEXT NOT NULL,
                 accepted_ms INTEGER NOT NULL, bytes INTEGER NOT NULL, signal TEXT NOT NULL);
             INSERT INTO lanes (id, key) VALUES (1, 'one'), (2, 'two');
             -- a: delivered (history only); b: pending on two lanes; c: pending, stored with the
             -- history off (no copy); d: stored before lanes, never routed.
             INSERT INTO history_signals (row, seq, id, source, type, subject, bus, accepted_ms, bytes, signal)
                 VALUES (7, 1, 'a', '/s', 't.x', 'sub-a', 'default', 1, 150, '{a}'),
                        (8, 2, 'b', '/s', 't.x', 'sub-b', 'default', 2, 150, '{b}');
             INSERT INTO accepted_signals (seq, bus, signal, bytes, lanes)
                 VALUES (2, 'default', '{b}', 40, 2), (3, 'default', '{c}', 41, 1), (4, 'default', '{d}', 42, 0);
             INSERT INTO lane_items (lane, seq) VALUES (1, 2), (2, 2), (1, 3);",
            a = signal("a"),
            b = signal("b"),
            c = signal("c"),
            d = signal("d"),
        ),
    );
    let opened = start(&path).await;
    assert_eq!(
        rows(&path),
        [
            (7, "a".to_owned(), "sub-a".to_owned(), 0, 0),
            (8, "b".to_owned(), "sub-b".to_owned(), 2, 40),
            (9, "c".to_owned(), "sub-c".to_owned(), 1, 41),
            (10, "d".to_owned(), "sub-d".to_owned(), -1, 42),
        ]
    );
    assert_eq!(items(&path), [("one".to_owned(), 8), ("one".to_owned(), 9), ("two".to_owned(), 8)]);
    assert_eq!((opened.signals, opened.bytes), (3, 123), "b, c and d are undelivered");
    let unrouted: Vec<u64> = opened.unrouted.iter().map(|c| c.seq).collect();
    assert_eq!(unrouted, [10], "d is routed at start");
    let tables = tables(&path);
    assert!(!tables.iter().any(|t| t == "accepted_signals" || t == "history_signals"), "{tables:?}");
    // Opening again changes nothing.
    let again = start(&path).await;
    assert_eq!((again.signals, again.bytes, again.unrouted.len()), (3, 123, 1));
    assert_eq!(rows(&path).len(), 4);
}

#[tokio::test]
async fn a_store_from_before_lanes_keeps_its_rows_for_routing() {
    let (_dir, path) = store(
        "before-lanes",
        &format!(
            "CREATE TABLE accepted_signals (seq INTEGER PRIMARY KEY AUTOINCREMENT, bus TEXT NOT NULL, signal TEXT NOT NULL);
             INSERT INTO accepted_signals (seq, bus, signal) VALUES (5, 'orders', '{e}'), (6, 'default', '{f}');",
            e = signal("e"),
            f = signal("f"),
        ),
    );
    let opened = start(&path).await;
    assert_eq!(
        rows(&path),
        [(1, "e".to_owned(), "sub-e".to_owned(), -1, 0), (2, "f".to_owned(), "sub-f".to_owned(), -1, 0)]
    );
    let unrouted: Vec<(u64, String)> = opened.unrouted.iter().map(|c| (c.seq, c.bus.clone())).collect();
    assert_eq!(unrouted, [(1, "orders".to_owned()), (2, "default".to_owned())]);
    assert!(items(&path).is_empty());
}

#[test]
fn pruning_never_takes_a_row_a_lane_still_holds() {
    let (_dir, path) = store("prune", "");
    let mut connection = super::log_schema::open(&path).expect("schema");
    super::history::open(&connection).expect("history");
    connection
        .execute_batch(
            "INSERT INTO signals (row, id, source, type, subject, bus, accepted_ms, bytes, signal, lanes, held)
             VALUES (1, 'pending', '/s', 't', NULL, 'default', 1, 500, '{}', 1, 40),
                    (2, 'done', '/s', 't', NULL, 'default', 2, 500, '{}', 0, 0),
                    (3, 'unrouted', '/s', 't', NULL, 'default', 3, 500, '{}', -1, 40);
             INSERT INTO lanes (id, key) VALUES (1, 'one');
             INSERT INTO lane_items (lane, seq) VALUES (1, 1);",
        )
        .expect("rows");
    // Everything is past a zero window and over a zero budget; only the done row may go.
    let retention = Retention { enabled: true, window: std::time::Duration::ZERO, max_bytes: 0 };
    let mut held = 500;
    super::history::prune(&mut connection, &retention, &mut held).expect("prunes");
    assert_eq!(held, 0);
    let mut held = 10_000;
    super::history::prune(&mut connection, &retention, &mut held).expect("ends with nothing prunable");
    let left: Vec<String> = rows(&path).into_iter().map(|r| r.1).collect();
    assert_eq!(left, ["pending", "unrouted"]);
}
