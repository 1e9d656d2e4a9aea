//! Cases about what a receiver must put up with: fields it does not know, an optional field that
//! is absent, and another client that sends its request a byte at a time (a receiver that reads
//! one request at a time stops answering Top.gg while such a client is connected).

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::body::{encode_body, vote_value};
use super::cases::Verdict;
use super::http::Answer;
use super::runner::{Outcome, Runner, describe, outcome, plain, result_fact};
use crate::protocol::time::now_unix;
use crate::send::delivery::parse_url;

/// The trickling client sends one byte this often.
const DRIP: Duration = Duration::from_millis(100);

/// How long the trickling client has been sending before the real delivery goes out, so that the
/// receiver is in the middle of reading it.
const HEAD_START: Duration = Duration::from_millis(150);

impl Runner<'_, '_> {
    pub(super) fn unknown_fields(&mut self) -> Outcome {
        let mut value = vote_value();
        value["topgg_int_extra"] = json!({"note": "a field this receiver cannot know"});
        value["data"]["topgg_int_extra"] = json!(1);
        value["data"]["project"]["topgg_int_extra"] = json!(true);
        value["data"]["user"]["topgg_int_extra"] = json!(["a", "b"]);
        self.expect_accepted("tolerates-unknown-fields", &value, ": ignore fields you do not know (Top.gg adds fields)")
    }

    pub(super) fn missing_query(&mut self) -> Outcome {
        let mut value = vote_value();
        if let Some(data) = value["data"].as_object_mut() {
            data.remove("query");
        }
        self.expect_accepted(
            "tolerates-missing-query",
            &value,
            ": data.query is optional (votes without a query string)",
        )
    }

    /// `user-ids`: a vote whose Top.gg id and Discord id differ (as Top.gg's always do). Which one
    /// the receiver credits cannot be seen from outside, so this only reports the ids and the
    /// answer, and says which to credit.
    pub(super) fn user_ids(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut value = vote_value();
        let user = &mut value["data"]["user"];
        if user["id"] == user["platform_id"] {
            user["id"] = json!(crate::protocol::generate::snowflake());
        }
        let (id, platform_id) = (plain(&user["id"]), plain(&user["platform_id"]));
        let body = encode_body(&value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        let result = self.deliver("user-ids", &headers, body);
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        facts.insert("user_id".into(), json!(id));
        facts.insert("platform_id".into(), json!(platform_id));
        let answer = match &result {
            Ok(a) if a.is_success() => format!("accepted with {}", a.status),
            other => format!("not accepted ({})", describe(other)),
        };
        let detail = format!(
            "{answer}: a vote by Discord user {platform_id} (data.user.platform_id) whose Top.gg id is {id} \
             (data.user.id); credit platform_id to the Discord user (nothing outside shows which one was credited)"
        );
        (Verdict::Info, detail, facts)
    }

    /// Sends `value` signed; a 2xx passes, anything else fails with `hint` (unless valid
    /// deliveries are refused anyway, which makes it inconclusive).
    fn expect_accepted(&mut self, name: &'static str, value: &Value, hint: &str) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let body = encode_body(value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        let result = self.deliver(name, &headers, body);
        self.judge_acceptance(result, hint)
    }

    fn judge_acceptance(&mut self, result: Result<Answer, super::http::SendFailure>, hint: &str) -> Outcome {
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let detail = describe(&result);
        match &result {
            Ok(a) if a.is_success() => (Verdict::Pass, detail, facts),
            Ok(_) if !self.vote_accepted => {
                (Verdict::Skip, format!("inconclusive: {detail}, and valid deliveries are refused too"), facts)
            }
            Ok(_) => (Verdict::Fail, format!("{detail}{hint}"), facts),
            Err(_) => (Verdict::Fail, detail, facts),
        }
    }

    pub(super) fn slow_head(&mut self) -> Outcome {
        self.while_trickling(|path, host| {
            // The head never ends: a header line that grows a byte at a time.
            let head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-Slow: ");
            (head.into_bytes(), b'a')
        })
    }

    pub(super) fn slow_body(&mut self) -> Outcome {
        self.while_trickling(|path, host| {
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{{\"type\":\"x\",\"pad\":\""
            );
            (head.into_bytes(), b'a')
        })
    }

    /// Opens a second connection to the webhook URL, writes what `start` returns and then its
    /// byte again every [`DRIP`], and meanwhile sends a signed vote.create that must be answered
    /// 2xx. Plain http only: the trickle is written on a raw TCP connection.
    fn while_trickling(&mut self, start: impl FnOnce(&str, &str) -> (Vec<u8>, u8)) -> Outcome {
        let url = match self.webhook() {
            Ok(url) => url,
            Err(skip) => return skip,
        };
        let Ok(parsed) = parse_url(&url) else { return outcome(Verdict::Skip, "no usable webhook URL") };
        if parsed.scheme() != "http" {
            return outcome(Verdict::Skip, "not run: needs a plain http:// webhook URL to trickle a request over TCP");
        }
        let host = parsed.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
        let port = parsed.port_or_known_default().unwrap_or(80);
        let path = match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_string(),
        };
        let authority = parsed.port().map_or(host.clone(), |p| format!("{host}:{p}"));
        let (first, drip) = start(&path, &authority);
        let trickle = match Trickle::start((host.as_str(), port), first, drip, self.http.timeout()) {
            Ok(t) => t,
            Err(e) => return outcome(Verdict::Fail, format!("could not open the trickling connection: {e}")),
        };
        std::thread::sleep(HEAD_START);
        let body = encode_body(&vote_value());
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        let name = self.current;
        let result = self.deliver(name, &headers, body);
        let sent = trickle.stop();
        let (verdict, detail, mut facts) =
            self.judge_acceptance(result, ": serve each connection on its own (a thread, a task) with a read timeout");
        facts.insert("trickled_bytes".into(), json!(sent));
        let detail = format!("{detail} while another client sent its request a byte per 100 ms ({sent} bytes so far)");
        (verdict, detail, facts)
    }
}

/// A client that writes a request a byte at a time on its own thread until stopped.
struct Trickle {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<usize>,
}

impl Trickle {
    fn start(addr: (&str, u16), first: Vec<u8>, drip: u8, timeout: Duration) -> std::io::Result<Trickle> {
        let target = addr.to_socket_addrs()?.next().ok_or_else(|| std::io::Error::other("no address"))?;
        let mut stream = TcpStream::connect_timeout(&target, timeout)?;
        stream.set_write_timeout(Some(timeout))?;
        stream.write_all(&first)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut sent = first.len();
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(DRIP);
                // The receiver may close a slow client, as it should: that ends the trickle.
                if stream.write_all(&[drip]).is_err() {
                    break;
                }
                sent += 1;
            }
            sent
        });
        Ok(Trickle { stop, thread })
    }

    /// Stops writing and closes the connection; returns how many bytes were sent.
    fn stop(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or(0)
    }
}
