//! The history's bounds under a flood and against a locked database (issue 20, steps 3 and 4).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::HANG_GUARD;
use crate::inspector::{
    INTEGRATION_SECRET, WEBHOOK_SECRET, api, create_body, get, list, post_signed, request, serve, vote_body,
};

/// The bytes of the files in `dir` and its subdirectories (the history's segment files).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            // A segment deleted while it is listed counts nothing.
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_flood_of_large_unsigned_posts_keeps_the_data_dir_and_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let bound: u64 = 4 * 1024 * 1024;
    let s = serve(dir.path(), &["--history-bytes", "4MiB"]);
    let addr = s.addr;
    let pid = s.child.id();
    let body = vec![b'{'; 2 * 1024 * 1024];
    let (mut peak_dir, mut peak_rss) = (0u64, 0u64);
    // 4 senders at a time, 200 bodies of 2 MiB (400 MiB) in all.
    for _round in 0..50 {
        std::thread::scope(|sc| {
            for _ in 0..4 {
                sc.spawn(|| {
                    let r = request(addr, "POST", "/webhooks/nobody", &[("Content-Type", "application/json")], &body);
                    assert_eq!(r.status, 404, "{r:?}");
                });
            }
        });
        peak_dir = peak_dir.max(dir_bytes(dir.path()));
        peak_rss = peak_rss.max(rss_kib(pid));
    }
    let h = get(addr, "/health").json();
    assert_eq!(h["history"]["bytes"], bound, "{h}");
    // Written: the list flushes the journal.
    let page = list(&s.inspector, "?limit=500&verdict=unknown-connection");
    peak_dir = peak_dir.max(dir_bytes(dir.path()));
    eprintln!("data dir peak {peak_dir} bytes (bound {bound}), serve VmRSS peak {peak_rss} KiB");
    assert!(peak_dir <= bound, "the data dir reached {peak_dir} bytes, over the {bound} byte bound");
    assert!(peak_rss < 256 * 1024, "serve's memory reached {peak_rss} KiB");
    let items = page["requests"].as_array().unwrap();
    let dropped = page["history"]["dropped_queue_full"].as_u64().unwrap();
    assert!(!items.is_empty() && items.len() as u64 + dropped <= 200, "{} kept, {dropped} dropped", items.len());
    // A refused request keeps a 64 KiB prefix of its body, and says so.
    let newest = &items[0];
    assert_eq!(newest["body_cut"], 2 * 1024 * 1024, "{newest}");
    let raw = api(&s.inspector, &format!("/_/api/requests/{}/raw", newest["id"]));
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("x-topgg-int-body-cut").as_deref(), Some("kept the first 65536 of 2097152 body bytes"));
    assert!(raw.body.len() < 70 * 1024 && raw.body.ends_with(&[b'{'; 1024]), "{} bytes", raw.body.len());
}

#[test]
fn a_locked_database_is_retried_then_logged_and_counted_never_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let addr = s.addr;
    assert_eq!(post_signed(addr, "/integration", INTEGRATION_SECRET, &create_body("5")).status, 200);
    let db = rusqlite::Connection::open(dir.path().join("topgg-int.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    for i in 0..20 {
        assert_eq!(post_signed(addr, "/webhooks/5", WEBHOOK_SECRET, &vote_body(&format!("9{i}"))).status, 204);
    }
    // Creates cannot commit: each answers 500 (within the store's busy timeout, well under 5 s,
    // shared by creates queued behind each other).
    std::thread::scope(|sc| {
        for id in ["6", "7", "8"] {
            sc.spawn(move || {
                assert_eq!(post_signed(addr, "/integration", INTEGRATION_SECRET, &create_body(id)).status, 500);
            });
        }
    });
    let until = Instant::now() + HANG_GUARD;
    let failed = loop {
        let h = get(addr, "/health").json();
        let n = h["history"]["dropped_write_failed"].as_u64().unwrap();
        if n > 0 {
            break n;
        }
        assert!(Instant::now() < until, "no write failure counted: {h}");
        std::thread::sleep(Duration::from_millis(20));
    };
    // The count is taken before the sentence is printed: wait for the sentence.
    let err = loop {
        let err = s.stderr.lock().unwrap().clone();
        if err.contains(" dropped so far; see /health)") || Instant::now() >= until {
            break err;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(err.contains("seen vote ids not written after "), "{err}");
    assert!(err.contains(" ms: the database is locked by another process"), "{err}");
    assert!(err.contains(&format!("({failed} dropped so far; see /health)")), "{err}");
    db.execute_batch("COMMIT").unwrap();
    drop(db);
    // Once the lock is gone, writing resumes.
    assert_eq!(post_signed(addr, "/webhooks/5", WEBHOOK_SECRET, &vote_body("after")).status, 204);
    let page = list(&s.inspector, "?limit=500");
    assert_eq!(page["requests"][0]["type"], "vote.create");
    assert_eq!(page["history"]["dropped_write_failed"], failed);
}
