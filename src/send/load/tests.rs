use super::*;
use crate::send::delivery::{Auth, ClientOptions, Delivery, deliver};
use crate::send::target::Url;
use std::io::{Read, Write};

/// A peer on 127.0.0.1:0 that answers its requests, in arrival order, with `statuses` (the last
/// one repeating), over kept-alive connections. Returns its URL.
fn scripted_peer(statuses: &'static [u16]) -> Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!("http://{}/webhook", listener.local_addr().unwrap())).unwrap();
    let served = Arc::new(AtomicU64::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let served = served.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < end + 4 + len {
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..end + 4 + len);
                    let n = served.fetch_add(1, Ordering::SeqCst) as usize;
                    let status = statuses[n.min(statuses.len() - 1)];
                    let answer = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
                    if s.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// A peer that answers its first request 204 after `first_after`, then reads every later
/// request and never answers it. Returns its URL.
fn answers_once_then_stalls(first_after: Duration) -> Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!("http://{}/webhook", listener.local_addr().unwrap())).unwrap();
    std::thread::spawn(move || {
        let mut answered = false;
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut chunk = [0u8; 4096];
            loop {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if !answered => {
                        answered = true;
                        std::thread::sleep(first_after);
                        let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
                    }
                    // Keep the socket open and silent: the client must give up on its own.
                    Ok(_) => {}
                }
            }
        }
    });
    url
}

#[test]
fn a_silent_answer_times_out_after_the_attempts_own_deadline() {
    let timeout = Duration::from_millis(300);
    let client = Client::new(&ClientOptions { no_proxy: true, timeout, ..ClientOptions::default() }).unwrap();
    // The slow first answer leaves the task's timer due before the second attempt's deadline:
    // the timer must move on to that deadline, not fire early.
    let url = answers_once_then_stalls(Duration::from_millis(100));
    let config = LoadConfig { count: 2, concurrency: 1, rate: None, duration: None, policy: RetryPolicy::none() };
    let votes = Votes::new(delivery(&url), votes::VoteBody::fixed(b"{}".to_vec()), false);
    let result = run(config, client, votes, Arc::new(AtomicU64::new(0)), Stop::new()).unwrap();
    let results: Vec<_> = result.samples.iter().map(|s| s.result.clone()).collect();
    assert!(matches!(results[0], Ok(204)), "{results:?}");
    assert!(matches!(&results[1], Err(AttemptError::Timeout { after, .. }) if *after == timeout), "{results:?}");
    assert!(result.samples[1].elapsed >= timeout, "timed out early: {:?}", result.samples[1].elapsed);
}

#[test]
fn the_wall_clock_moves_with_the_monotonic_one_and_rereads_each_second() {
    let mut wall = WallClock::new();
    let (base, at) = (wall.unix_nanos, wall.at);
    assert_eq!(wall.unix_nanos_at(at), base);
    assert_eq!(wall.unix_nanos_at(at + Duration::from_millis(500)), base + 500_000_000);
    let later = at + Duration::from_secs(2);
    let before = now_unix_nanos();
    let reread = wall.unix_nanos_at(later);
    assert!(reread >= before && reread <= now_unix_nanos(), "the system time is read again");
    assert_eq!(wall.at, later);
}

#[test]
fn a_run_stopped_before_it_starts_sends_nothing() {
    let url = scripted_peer(&[204]);
    let client = Client::new(&ClientOptions { no_proxy: true, ..ClientOptions::default() }).unwrap();
    let stop = Stop::new();
    stop.cancel(crate::stop::Reason::Interrupted);
    let config = LoadConfig { count: 100, concurrency: 4, rate: None, duration: None, policy: RetryPolicy::none() };
    let votes = Votes::new(delivery(&url), votes::VoteBody::fixed(b"{}".to_vec()), false);
    let done = Arc::new(AtomicU64::new(0));
    let result = run(config, client, votes, done.clone(), stop).unwrap();
    assert_eq!((result.samples.len(), done.load(Ordering::Relaxed)), (0, 0));
}

fn delivery(url: &Url) -> Delivery {
    Delivery {
        url: url.clone(),
        body: b"{}".to_vec(),
        trace: "t".into(),
        auth: Auth::Legacy(crate::protocol::secret::Secret::new("s")),
        extra_headers: Vec::new(),
    }
}

#[test]
fn one_delivery_and_load_mode_follow_the_same_retry_schedule() {
    let quick = |retries, retry_on_4xx| RetryPolicy { retries, delays: vec![Duration::from_millis(1)], retry_on_4xx };
    // (answers in order, policy) -> (attempts, last status), the same for both engines.
    let cases: [(&'static [u16], RetryPolicy, u32, u16); 5] = [
        (&[503, 503, 204], quick(3, false), 3, 204),
        (&[503], quick(2, false), 3, 503),
        (&[401, 204], quick(3, false), 1, 401),
        (&[401, 204], quick(3, true), 2, 204),
        (&[204], RetryPolicy::none(), 1, 204),
    ];
    let client = Client::new(&ClientOptions { no_proxy: true, ..ClientOptions::default() }).unwrap();
    for (answers, policy, attempts, status) in cases {
        let url = scripted_peer(answers);
        let report = deliver(&mut client.clone(), &delivery(&url), &policy, &mut |_| {}, &Stop::new());
        let single: Vec<u16> = report.attempts.iter().map(|a| a.result.as_ref().unwrap().status).collect();
        assert_eq!((single.len() as u32, *single.last().unwrap()), (attempts, status), "one delivery: {answers:?}");

        let url = scripted_peer(answers);
        let config = LoadConfig { count: 1, concurrency: 1, rate: None, duration: None, policy: policy.clone() };
        let votes = Votes::new(delivery(&url), votes::VoteBody::fixed(b"{}".to_vec()), false);
        let result = run(config, client.clone(), votes, Arc::new(AtomicU64::new(0)), Stop::new()).unwrap();
        let sample = &result.samples[0];
        assert_eq!((sample.attempts, sample.result.clone().unwrap()), (attempts, status), "load mode: {answers:?}");
    }
}
