use super::*;

/// Feeds `bytes` in one go, as if the peer then closed when `eof`.
fn parse(bytes: &[u8], eof: bool) -> Progress {
    AnswerReader::new().push(bytes, eof)
}

/// Feeds `bytes` one byte at a time and returns the first progress that is not `Incomplete`.
fn parse_bytewise(bytes: &[u8]) -> Progress {
    let mut r = AnswerReader::new();
    for b in bytes {
        match r.push(std::slice::from_ref(b), false) {
            Progress::Incomplete => {}
            other => return other,
        }
    }
    Progress::Incomplete
}

fn done(p: Progress) -> Parsed {
    match p {
        Progress::Done(p) => p,
        other => panic!("expected a whole answer, got {other:?}"),
    }
}

#[test]
fn parses_lengths_chunks_and_close() {
    let full = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    for cut in 0..full.len() {
        assert_eq!(parse(&full[..cut], false), Progress::Incomplete, "cut at {cut}");
    }
    let p = done(parse(full, false));
    assert_eq!((p.status, p.body.as_slice(), p.keep_alive, p.cut), (200, &b"hello"[..], true, false));
    assert_eq!(done(parse_bytewise(full)), p);

    let chunked = b"HTTP/1.1 401 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
    assert_eq!(parse(&chunked[..chunked.len() - 2], false), Progress::Incomplete);
    let p = done(parse(chunked, false));
    assert_eq!((p.status, p.body.as_slice(), p.keep_alive), (401, &b"abcde"[..], true));
    assert_eq!(done(parse_bytewise(chunked)), p);
    let trailers = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nx-t: 1\r\n\r\n";
    assert_eq!(done(parse_bytewise(trailers)).body, b"a");

    let close = b"HTTP/1.0 500 X\r\n\r\nboom";
    assert_eq!(parse(close, false), Progress::Incomplete);
    let p = done(parse(close, true));
    assert_eq!((p.body.as_slice(), p.keep_alive), (&b"boom"[..], false));

    let p = done(parse(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", false));
    assert!(p.body.is_empty() && !p.keep_alive);
}

#[test]
fn skips_interim_answers() {
    let p = done(parse(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        false,
    ));
    assert_eq!((p.status, p.keep_alive), (204, true));
    assert_eq!(
        done(parse_bytewise(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        ))
        .body,
        b"ok"
    );
    assert_eq!(parse(b"HTTP/1.1 100 Continue\r\n\r\n", false), Progress::Incomplete);
    assert!(matches!(parse(b"HTTP/1.1 101 Switching Protocols\r\n\r\n", false), Progress::Invalid(_)));
}

#[test]
fn refuses_what_is_not_http() {
    let invalid = |bytes: &[u8], eof: bool| match parse(bytes, eof) {
        Progress::Invalid(e) => e,
        other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(bytes)),
    };
    assert!(invalid(b"SSH-2.0-OpenSSH\r\n\r\n", false).contains("not an HTTP answer"));
    assert!(invalid(b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", false).contains("not a number"));
    assert!(
        invalid(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false).contains("disagree")
    );
    for bad in [&b"+2\r\nab\r\n0\r\n\r\n"[..], b" 2\r\nab\r\n0\r\n\r\n", b"\r\n", b"2\r\nabXY0\r\n\r\n", b"zz\r\n"] {
        let mut answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        answer.extend_from_slice(bad);
        assert!(matches!(parse(&answer, false), Progress::Invalid(_)), "{:?}", String::from_utf8_lossy(bad));
    }
    assert_eq!(invalid(b"", true), "closed the connection without answering");
    assert_eq!(
        invalid(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", true),
        "closed the connection before a whole answer"
    );
}

#[test]
fn bounds_heads_and_bodies() {
    // Endless headers: refused once the head passes the cap, holding no more than cap + one read.
    let mut r = AnswerReader::new();
    let line = [b'a'; 1024];
    let mut fed = r.push(b"HTTP/1.1 200 OK\r\nx-endless: ", false);
    for _ in 0..2000 {
        if fed != Progress::Incomplete {
            break;
        }
        fed = r.push(&line, false);
    }
    assert!(matches!(&fed, Progress::Invalid(e) if e.contains("head over 64 KiB")), "{fed:?}");
    assert!(r.pending.len() <= HEAD_MAX + line.len());
    let many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "x-a: 1\r\n".repeat(200));
    assert!(matches!(parse(many.as_bytes(), false), Progress::Invalid(e) if e.contains("more than 128 headers")));

    // A long body: the first BODY_KEPT bytes are kept, the rest discarded.
    let mut r = AnswerReader::new();
    assert_eq!(r.push(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", false), Progress::Incomplete);
    let kib = [b'a'; 1024];
    let mut p = Progress::Incomplete;
    for _ in 0..97 {
        p = r.push(&kib, false);
        assert!(r.pending.is_empty() && r.body.len() <= BODY_KEPT);
    }
    assert_eq!(p, Progress::Incomplete);
    let p = done(r.push(&kib[..100_000 - 97 * 1024], false));
    assert_eq!((p.body.len(), p.cut, p.keep_alive), (BODY_KEPT, true, true));

    // An endless body: cut after BODY_READ_MAX, status kept, connection not reused.
    for head in [&b"HTTP/1.1 200 OK\r\n\r\n"[..], b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"] {
        let mut r = AnswerReader::new();
        assert_eq!(r.push(head, false), Progress::Incomplete);
        let chunk: Vec<u8> =
            if head.ends_with(b"chunked\r\n\r\n") { [&b"400\r\n"[..], &kib, b"\r\n"].concat() } else { kib.to_vec() };
        let mut sent = 0u64;
        let p = loop {
            sent += 1024;
            assert!(sent <= BODY_READ_MAX + 2048, "never cut");
            match r.push(&chunk, false) {
                Progress::Incomplete => assert!(r.body.len() <= BODY_KEPT && r.pending.len() <= chunk.len()),
                other => break done(other),
            }
        };
        assert_eq!((p.status, p.body.len(), p.cut, p.keep_alive), (200, BODY_KEPT, true, false));
    }
}

#[test]
fn encodes_host_length_and_headers() {
    let req = Request {
        method: "POST".into(),
        url: Url::parse("http://127.0.0.1:8080/webhooks/1?a=b").unwrap(),
        headers: vec![("x-topgg-trace".into(), "t1".into())],
        body: b"{}".to_vec(),
    };
    let mut out = Vec::new();
    encode(&req, &mut out);
    assert_eq!(
        out,
        b"POST /webhooks/1?a=b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nx-topgg-trace: t1\r\nContent-Length: 2\r\n\r\n{}"
    );
}
