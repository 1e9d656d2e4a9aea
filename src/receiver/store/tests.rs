//! The store's own tests: reopening, corruption, the data-dir lock, a locked database, and the
//! history's bounds.

use super::*;

fn conn(id: &str) -> Connection {
    Connection {
        connection_id: id.into(),
        webhook_secret: Secret::new(format!("whs_{id}")),
        project: generate::project(),
        user: generate::user(),
        created_at: 1,
    }
}

fn entry(event: &str, verdict: &str) -> Record {
    Record {
        id: 0,
        time_unix_nanos: 5,
        method: "POST".into(),
        path: "/integration".into(),
        event: Some(event.into()),
        connection: Some("c".into()),
        verdict: verdict.into(),
        detail: None,
        status: 204,
        latency: Duration::from_micros(7),
        trace: None,
        retry: false,
        request: Some(b"POST / HTTP/1.1\r\n\r\n".to_vec()),
        ..Default::default()
    }
}

#[test]
fn survives_reopen_and_refuses_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    assert!(!s.put(conn("1")).unwrap());
    assert!(!s.put(conn("2")).unwrap());
    assert!(s.put(conn("2")).unwrap());
    assert!(s.remove("1").unwrap());
    assert!(!s.remove("1").unwrap());
    assert!(!s.see_vote("v1"));
    assert!(s.see_vote("v1"));
    assert!(!s.see_vote(&"x".repeat(MAX_VOTE_ID + 1)));
    assert!(!s.see_vote(&"x".repeat(MAX_VOTE_ID + 1)), "an over-long id is not remembered");
    drop(s);
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.list().iter().map(|c| c.connection_id.as_str()).collect::<Vec<_>>(), ["2"]);
    assert_eq!(s.secret_of("2").unwrap().expose(), "whs_2");
    assert!(s.see_vote("v1"), "seen votes survive a reopen");
    drop(s);
    fs::write(dir.path().join(DB_FILE), b"not a database, but long enough to be read as one....").unwrap();
    let err = Store::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains(DB_FILE) && err.contains("refusing"), "{err}");
    // An empty file is refused like any other damaged one, in a data dir that holds more...
    fs::write(dir.path().join(SECRET_FILE), b"whs_x\n").unwrap();
    fs::write(dir.path().join(DB_FILE), b"").unwrap();
    let err = Store::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains("0 bytes") && err.contains("refusing"), "{err}");
    assert_eq!(fs::metadata(dir.path().join(DB_FILE)).unwrap().len(), 0, "left untouched");
    // ...but a data dir holding nothing else is a first start cut short: it starts afresh.
    let fresh = tempfile::tempdir().unwrap();
    fs::write(fresh.path().join(DB_FILE), b"").unwrap();
    assert!(Store::open(fresh.path()).unwrap().list().is_empty());
}

#[test]
fn one_store_per_data_dir_and_deletes_reach_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    let err = Store::open(dir.path()).err().unwrap().to_string();
    assert!(err.contains(&dir.path().display().to_string()) && err.contains("in use"), "{err}");
    // A row the map does not hold (written by another connection) is still deleted.
    let other = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    other
        .execute(
            "INSERT INTO connections (connection_id, webhook_secret, project, user, created_at) \
             VALUES ('ghost', 'whs_g', ?1, ?2, 1)",
            params![
                serde_json::to_string(&generate::project()).unwrap(),
                serde_json::to_string(&generate::user()).unwrap()
            ],
        )
        .unwrap();
    assert!(s.get("ghost").is_none());
    assert!(s.remove("ghost").unwrap(), "it existed in the database");
    let left: i64 =
        other.query_row("SELECT count(*) FROM connections WHERE connection_id = 'ghost'", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0);
    drop(s);
    assert!(Store::open(dir.path()).is_ok(), "the lock goes with the store");
}

#[test]
fn a_locked_database_never_holds_up_requests_or_the_history_and_its_losses_are_counted_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let s = std::sync::Arc::new(Store::open(dir.path()).unwrap());
    let said = Arc::new(Mutex::new(Vec::<String>::new()));
    let into = said.clone();
    s.on_notice(Arc::new(move |w: &str| into.lock().unwrap().push(w.to_string())));
    // Another process holds the write lock: vote ids cannot be committed.
    let other = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (done, finished) = sync_channel(1);
    let s2 = s.clone();
    std::thread::spawn(move || {
        for i in 0..70_000 {
            s2.record(entry("vote.create", "ok"));
            s2.see_vote(&format!("v{i}"));
        }
        let _ = done.send(());
    });
    let returned = finished.recv_timeout(Duration::from_secs(20)).is_ok();
    assert!(returned, "recording waited for the locked database");
    assert!(s.see_vote("v1"), "seen votes are remembered in memory all the same");
    // A connection change fails within the busy timeout rather than hanging.
    assert!(s.put(conn("locked")).is_err());
    // The history goes on while the vote ids wait for the lock.
    s.record(entry("during", "ok"));
    let q = HistoryQuery { event: Some("during".into()), ..Default::default() };
    assert_eq!(s.history(&q).unwrap().len(), 1, "written while the database is locked");
    // Past GIVE_UP the waiting ids are dropped, counted and said.
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while s.history_stats().dropped_write_failed == 0 {
        assert!(std::time::Instant::now() < until, "{:?}", s.history_stats());
        std::thread::sleep(Duration::from_millis(20));
    }
    let stats = s.history_stats();
    assert!(stats.queued_bytes <= stats.queue_bytes, "{stats:?}");
    let said = said.lock().unwrap().join("\n");
    assert!(said.contains("seen vote ids not written after "), "{said}");
    assert!(said.contains(" ms: the database is locked by another process"), "{said}");
    other.execute_batch("COMMIT").unwrap();
    s.see_vote("after");
    s.flush();
    let kept: i64 =
        other.query_row("SELECT count(*) FROM seen_votes WHERE vote_id = 'after'", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 1, "written once the lock is gone");
}

/// The bytes of the files in `dir` and its subdirectories (the history's segments).
fn dir_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() { dir_bytes(&e.path()) } else { e.metadata().unwrap().len() }
        })
        .sum()
}

#[test]
fn history_is_bounded_in_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let bound = 2 * MIN_HISTORY_BYTES;
    let s = Store::open_bounded(dir.path(), 1_000_000, bound).unwrap();
    let big = Record { request: Some(vec![b'x'; 60 * 1024]), ..entry("big", "ok") };
    for _ in 0..200 {
        s.record(big.clone());
        s.flush();
        let on_disk = dir_bytes(dir.path());
        assert!(on_disk <= bound, "{on_disk} bytes on disk, over the {bound} byte bound");
    }
    let kept = s.history(&HistoryQuery { limit: 500, ..Default::default() }).unwrap();
    assert!(kept.len() > 10 && kept.len() < 40, "{} rows kept", kept.len());
    assert_eq!(kept[0].id, 200, "the newest are kept");
    drop(s);
    let s = Store::open_bounded(dir.path(), 1_000_000, bound).unwrap();
    s.record(big.clone());
    s.flush();
    assert!(s.history(&HistoryQuery { limit: 500, ..Default::default() }).unwrap().len() < 40);
    drop(s);
    // Reopened with a lower bound, the history is trimmed and the file compacted at once.
    let s = Store::open_bounded(dir.path(), 1_000_000, MIN_HISTORY_BYTES).unwrap();
    s.record(big);
    s.flush();
    let on_disk = dir_bytes(dir.path());
    assert!(on_disk <= MIN_HISTORY_BYTES, "{on_disk} bytes on disk after lowering the bound");
}

#[test]
fn history_is_bounded_listed_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_with(dir.path(), 3).unwrap();
    for (e, v) in [("a", "ok"), ("b", "ok"), ("a", "bad"), ("a", "ok"), ("b", "bad")] {
        s.record(entry(e, v));
    }
    let all = s.history(&HistoryQuery::default()).unwrap();
    assert_eq!(all.iter().map(|h| h.id).collect::<Vec<_>>(), [5, 4, 3], "newest 3, newest first");
    assert!(all[0].request.is_none(), "listings leave the bytes out");
    let q = HistoryQuery { event: Some("a".into()), before: Some(5), ..Default::default() };
    assert_eq!(s.history(&q).unwrap().iter().map(|h| h.id).collect::<Vec<_>>(), [4, 3]);
    let q = HistoryQuery { verdict: Some("bad".into()), limit: 1, ..Default::default() };
    assert_eq!(s.history(&q).unwrap().iter().map(|h| h.id).collect::<Vec<_>>(), [5]);
    let one = s.history_entry(4).unwrap().unwrap();
    assert_eq!(one.request.as_deref(), Some(&b"POST / HTTP/1.1\r\n\r\n"[..]));
    assert_eq!(s.history_entry(1).unwrap(), None);
    drop(s);
    let s = Store::open_with(dir.path(), 3).unwrap();
    assert_eq!(s.record(entry("c", "ok")), 6, "ids continue after a reopen");
    let fwd = Forwarded { url: "http://a/".into(), status: Some(201), body: b"hi".to_vec(), ..Default::default() };
    let id = s.record(Record { replay_of: Some(6), forwarded: Some(fwd.clone()), ..entry("c", "ok") });
    let back = s.history_entry(id).unwrap().unwrap();
    assert_eq!((back.replay_of, back.forwarded), (Some(6), Some(fwd)));
    let off = tempfile::tempdir().unwrap();
    let s = Store::open_with(off.path(), 0).unwrap();
    assert_eq!(s.record(entry("a", "ok")), 0);
    assert!(s.history(&HistoryQuery::default()).unwrap().is_empty(), "--history 0 records nothing");
}

/// A sink that keeps each `write` apart, to count the journal's writes.
#[derive(Clone, Default)]
struct Writes(Arc<Mutex<Vec<Vec<u8>>>>);

impl std::io::Write for Writes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn line(r: &Record, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{} {}\n", r.id, r.event.as_deref().unwrap_or("-")).as_bytes());
}

#[test]
fn the_journal_logs_each_batch_in_one_write_and_holds_lines_until_opened() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    let writes = Writes::default();
    s.log_to(Log::new(line, writes.clone()).held());
    for e in ["a", "b", "c"] {
        s.record(entry(e, "ok"));
    }
    s.log_only(entry("inspector", "token-required"));
    s.flush();
    assert!(writes.0.lock().unwrap().is_empty(), "held until opened");
    s.open_log();
    s.flush();
    assert_eq!(writes.0.lock().unwrap().concat(), b"1 a\n2 b\n3 c\n0 inspector\n");
    // Handed over together, logged together: one write for the batch.
    writes.0.lock().unwrap().clear();
    for i in 0..100 {
        s.record(entry(&format!("e{i}"), "ok"));
    }
    s.flush();
    let w = writes.0.lock().unwrap().clone();
    assert!(w.len() < 10, "{} writes for 100 lines", w.len());
    assert_eq!(w.concat().iter().filter(|&&b| b == b'\n').count(), 100);
    let rows = s.history(&HistoryQuery { limit: 500, ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 103, "the inspector's own request is logged, not kept");
}

#[test]
fn with_the_history_off_the_journal_still_logs_and_remembers_vote_ids() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_with(dir.path(), 0).unwrap();
    let writes = Writes::default();
    s.log_to(Log::new(line, writes.clone()));
    assert!(!s.see_vote("v-off"));
    assert_eq!(s.record(entry("a", "ok")), 0);
    drop(s);
    assert_eq!(writes.0.lock().unwrap().concat(), b"0 a\n", "logged, everything written at close");
    let s = Store::open_with(dir.path(), 0).unwrap();
    assert!(s.see_vote("v-off"), "the vote id was written");
    assert!(s.history(&HistoryQuery::default()).unwrap().is_empty());
}

#[test]
fn history_rows_kept_in_the_database_are_moved_to_the_files_once() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    // Rows as an earlier topgg-int kept them, in the database's history table.
    let db = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    for id in 1..=3 {
        db.execute(
            "INSERT INTO history (id, time_unix_nanos, method, path, event, connection, verdict, status, latency_us, \
             retry, request, forward_url, forward_status, forward_body, body_cut) \
             VALUES (?1, 5, 'POST', '/webhooks/c', 'vote.create', 'c', 'ok', 204, 7, 0, x'6869', ?2, 200, x'6f6b', ?3)",
            params![id, (id == 2).then_some("http://app/"), (id == 3).then_some(99)],
        )
        .unwrap();
    }
    drop(db);
    let s = Store::open(dir.path()).unwrap();
    let all = s.history(&HistoryQuery::default()).unwrap();
    assert_eq!(all.iter().map(|h| h.id).collect::<Vec<_>>(), [3, 2, 1], "moved, ids kept");
    let two = s.history_entry(2).unwrap().unwrap();
    assert_eq!(two.request.as_deref(), Some(&b"hi"[..]));
    assert_eq!(two.forwarded.as_ref().map(|f| (f.status, f.body.clone())), Some((Some(200), b"ok".to_vec())));
    assert_eq!(all[0].body_cut, Some(99));
    assert_eq!(s.record(entry("next", "ok")), 4, "ids continue after the moved rows");
    drop(s);
    let db = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let left: i64 = db.query_row("SELECT count(*) FROM history", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0, "the table is emptied once its rows are moved");
    drop(db);
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.history(&HistoryQuery::default()).unwrap().len(), 4, "and not moved twice");
}

#[test]
fn a_frame_cut_short_by_a_crash_ends_its_segment_and_the_rest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    for e in ["a", "b", "c"] {
        s.record(entry(e, "ok"));
    }
    drop(s);
    let seg = fs::read_dir(dir.path().join(history::DIR)).unwrap().next().unwrap().unwrap().path();
    let len = fs::metadata(&seg).unwrap().len();
    fs::OpenOptions::new().write(true).open(&seg).unwrap().set_len(len - 3).unwrap();
    let s = Store::open(dir.path()).unwrap();
    let all = s.history(&HistoryQuery::default()).unwrap();
    assert_eq!(all.iter().map(|h| h.id).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(s.record(entry("d", "ok")), 3, "the lost id is given again");
    assert_eq!(s.history(&HistoryQuery::default()).unwrap().len(), 3);
}

#[test]
fn a_vote_id_is_committed_while_the_journal_is_idle() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    assert!(!s.see_vote("idle-vote"));
    // No flush and no close: a process killed now must still know the id once it is committed.
    let other = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let n: i64 =
            other.query_row("SELECT count(*) FROM seen_votes WHERE vote_id = 'idle-vote'", [], |r| r.get(0)).unwrap();
        if n == 1 {
            break;
        }
        assert!(std::time::Instant::now() < until, "the vote id was never committed");
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(s);
}
