//! The inspector page in headless Chromium over WebDriver: the list fills live, the bad vote's
//! detail gives verify's reason and hint, replay adds an entry, and a body holding `<script>` is
//! shown as text. With `UPDATE_SCREENSHOT=1` it rewrites docs/inspector.png, the screenshot the
//! README shows.
//!
//! Needs `chromium` and `chromedriver` (Debian's chromium and chromium-driver; `.ci/run` installs
//! them): without them it is skipped, except under `CI=true`, where their absence fails.

use crate::common::HANG_GUARD;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::inspector::{INTEGRATION_SECRET, WEBHOOK_SECRET, create_body, list, post_signed, request, serve};
use crate::common::{cmd, repo_path, require};

const CHROMIUM: &str = "/usr/bin/chromium";
const PAGE_SECRET: &str = "whs_page_test_secret_0123456789abcdef";
const SCRIPT: &str = "<script>window.pwned=1</script>";

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(bin: &Path) -> Driver {
    let mut child = Command::new(bin)
        .args(["--port=0", "--allowed-ips=127.0.0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let until = Instant::now() + Duration::from_secs(20);
    let mut line = String::new();
    let port = loop {
        line.clear();
        assert!(Instant::now() < until, "chromedriver did not say which port it chose");
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("chromedriver exited before it started");
        }
        // "ChromeDriver was started successfully on port 33437."
        if let Some(rest) = line.split("successfully on port ").nth(1) {
            break rest.trim().trim_end_matches('.').parse::<u16>().expect("a port number");
        }
    };
    std::thread::spawn(move || for _ in out.lines() {});
    Driver { child, url: format!("http://127.0.0.1:{port}") }
}

async fn connect(driver: &Driver, binary: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": binary,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,900", "--no-first-run", "--no-proxy-server"],
        }
    });
    let Value::Object(caps) = caps else { unreachable!() };
    // Plain HTTP to chromedriver on loopback: no TLS stack (and no choosing between the two rustls
    // crypto providers the dependency tree enables).
    let http = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(http).capabilities(caps).connect(&driver.url).await.expect("a WebDriver session")
}

/// Runs `script` (an expression) in the page until it returns `want`, for up to 10 s.
async fn wait_js(c: &Client, script: &str, want: Value) -> Value {
    let until = Instant::now() + HANG_GUARD;
    loop {
        let got = c.execute(&format!("return {script};"), vec![]).await.expect("the script runs");
        if got == want {
            return got;
        }
        assert!(Instant::now() < until, "{script} is {got}, not {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}")).text().await.unwrap()
}

fn simulate(args: &[&str]) -> std::process::Output {
    cmd().arg("simulate").args(args).args(["--integration-secret", INTEGRATION_SECRET]).output().unwrap()
}

#[test]
fn the_page_shows_requests_live_explains_replays_and_never_runs_a_body() {
    let Some(chromedriver) = require("chromedriver", &["/usr/bin/chromedriver"]) else { return };
    let Some(chromium) = require("chromium", &[CHROMIUM]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let a: SocketAddr = s.addr;
    let config_url = format!("http://{a}/integration");
    assert_eq!(simulate(&["flow", "--url", &config_url]).status.code(), Some(0));
    let create =
        simulate(&["create", "--url", &config_url, "--connection-id", "4242", "--webhook-secret", PAGE_SECRET]);
    assert_eq!(create.status.code(), Some(0), "{}", String::from_utf8_lossy(&create.stderr));
    // A vote signed with the secret minus its whs_ prefix, carrying a script in a user name.
    let bad = cmd()
        .args(["simulate", "vote", "--url", &format!("http://{a}/webhooks/4242")])
        .args(["--secret", PAGE_SECRET.strip_prefix("whs_").unwrap(), "--retries", "0"])
        .args(["--set", &format!("data.user.name={SCRIPT}")])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "{}", String::from_utf8_lossy(&bad.stdout));
    let listed = list(&s.inspector, "");
    let before = listed["requests"].as_array().unwrap().len();
    assert_eq!(before, 6, "flow (4), create, the bad vote: {listed}");
    let bad_id = listed["requests"][0]["id"].as_i64().unwrap();
    assert_eq!(listed["requests"][0]["verdict"], "signature-mismatch");

    let driver = start_driver(&chromedriver);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = connect(&driver, &chromium).await;
        c.goto(&format!("http://{}/_/?token={}", s.inspector.addr, s.inspector.token)).await.unwrap();
        wait_js(&c, "document.querySelectorAll('#requests tr').length", json!(before)).await;
        wait_js(&c, "document.getElementById('live').textContent", json!("live")).await;

        // One more request while the page is open: it appears without a reload.
        let test = serde_json::to_vec(&json!({"type": "webhook.test", "data": {}})).unwrap();
        post_signed(a, "/webhooks/4242", PAGE_SECRET, &test);
        wait_js(&c, "document.querySelectorAll('#requests tr').length", json!(before + 1)).await;

        // The bad vote's detail: verify's reason and hint.
        c.find(Locator::Css(&format!("#requests tr[data-id='{bad_id}']"))).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.getElementById('verdict-reason').textContent", json!("✗ signature-mismatch")).await;
        let hints = text(&c, "#hints").await;
        assert!(
            hints.contains("secret-prefix") && hints.contains("sign with the whole secret, whs_ included"),
            "{hints}"
        );

        // The script in the body is text: shown, never run, no element made of it.
        let body = text(&c, "#body").await;
        assert!(body.contains(SCRIPT), "{body}");
        wait_js(&c, "document.querySelectorAll('#detail script, #requests script').length", json!(0)).await;
        wait_js(&c, "typeof window.pwned", json!("undefined")).await;

        let shot = c.screenshot().await.unwrap();
        assert!(shot.starts_with(b"\x89PNG"), "a PNG screenshot");
        // The README's screenshot is rewritten only when asked: every run renders different
        // bytes, and a test must not dirty the clone it runs in.
        if std::env::var_os("UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(repo_path("docs")).unwrap();
            std::fs::write(repo_path("docs/inspector.png"), &shot).unwrap();
        }

        // A payload problem is marked on its line: the webhook.test above has no user or project.
        let test_id = list(&s.inspector, "")["requests"][0]["id"].as_i64().unwrap();
        c.find(Locator::Css(&format!("#requests tr[data-id='{test_id}']"))).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.querySelector('#body mark.problem') !== null", json!(true)).await;
        let mark = text(&c, "#body mark.problem").await;
        assert!(mark.contains("\"data\""), "the data object is where user and project are missing: {mark}");
        c.find(Locator::Css(&format!("#requests tr[data-id='{bad_id}']"))).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.getElementById('verdict-reason').textContent", json!("✗ signature-mismatch")).await;

        // Replay: a new entry, live in the list, and the answer names it.
        c.find(Locator::Css("#replay-verbatim")).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.querySelectorAll('#requests tr').length", json!(before + 2)).await;
        // The list can show the new entry (live events) before the replay's own answer arrives.
        wait_js(&c, "document.getElementById('action-status').textContent.startsWith('replayed as #')", json!(true))
            .await;
        c.close().await.unwrap();
    });
    let newest = &list(&s.inspector, "")["requests"][0];
    assert_eq!(newest["replay_of"], bad_id, "{newest}");
}

#[test]
fn an_entry_with_forty_thousand_problems_opens_without_freezing_the_page() {
    let Some(chromedriver) = require("chromedriver", &["/usr/bin/chromedriver"]) else { return };
    let Some(chromium) = require("chromium", &[CHROMIUM]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    // A signed vote whose query holds 40,000 numbers: each one a payload problem. Signed, so the
    // history keeps its whole body (a refused request keeps only 64 KiB of it).
    assert_eq!(post_signed(s.addr, "/integration", INTEGRATION_SECRET, &create_body("1")).status, 200);
    let query: Vec<String> = (0..40_000).map(|i| format!("\"q{i}\":1")).collect();
    let body = format!(r#"{{"type":"vote.create","data":{{"query":{{{}}}}}}}"#, query.join(","));
    let sent = post_signed(s.addr, "/webhooks/1", WEBHOOK_SECRET, body.as_bytes());
    assert!(sent.status < 500, "{sent:?}");
    let id = list(&s.inspector, "")["requests"][0]["id"].as_i64().unwrap();

    let driver = start_driver(&chromedriver);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = connect(&driver, &chromium).await;
        c.goto(&format!("http://{}/_/?token={}", s.inspector.addr, s.inspector.token)).await.unwrap();
        wait_js(&c, "document.querySelectorAll('#requests tr').length", json!(2)).await;
        c.execute("window.t0 = performance.now();", vec![]).await.unwrap();
        c.find(Locator::Css(&format!("#requests tr[data-id='{id}']"))).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.querySelector('#body mark.problem') !== null", json!(true)).await;
        let took = c.execute("return performance.now() - window.t0;", vec![]).await.unwrap();
        eprintln!("opened a 40,000-problem entry in {took} ms");
        // Quadratic marking took 18 to 27 s here, linear well under 1 s: 10 s tells the two apart
        // even on a loaded machine (the one timing bound the issue asks for, kept generous).
        assert!(took.as_f64().unwrap() < 10_000.0, "opening the entry took {took} ms: marking is quadratic again");
        let listed = c.execute("return document.querySelectorAll('#problems li').length;", vec![]).await.unwrap();
        assert_eq!(listed, json!(201), "200 problems and one line saying how many more");
        let more = text(&c, "#problems li:last-child").await;
        assert!(more.starts_with("and ") && more.contains("more problems"), "{more}");
        c.close().await.unwrap();
    });
}

/// The list's status and latency columns stay in view on a 1024 px and a 1400 px wide window, with
/// a long path in the list (a 404 for a made-up route).
#[test]
fn the_status_column_is_visible_at_1024_and_1400_px_with_a_long_path_listed() {
    let Some(chromedriver) = require("chromedriver", &["/usr/bin/chromedriver"]) else { return };
    let Some(chromium) = require("chromium", &[CHROMIUM]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let long = format!("/webhooks/{}", "1234567890".repeat(8));
    assert_eq!(request(s.addr, "POST", &long, &[("x-topgg-trace", "t")], b"{}").status, 404);
    assert_eq!(request(s.addr, "GET", "/health", &[], b"").status, 200);
    let driver = start_driver(&chromedriver);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = connect(&driver, &chromium).await;
        for width in [1024u32, 1400] {
            c.set_window_size(width, 800).await.unwrap();
            c.goto(&format!("http://{}/_/?token={}", s.inspector.addr, s.inspector.token)).await.unwrap();
            wait_js(&c, "document.querySelectorAll('#requests tr').length", json!(2)).await;
            // Every header cell ends inside the list's pane: nothing is scrolled out of view.
            let fits = "(() => { const pane = document.getElementById('list-pane').getBoundingClientRect(); \
                        return [...document.querySelectorAll('#list-pane th')].every(th => \
                        th.getBoundingClientRect().right <= pane.right + 1); })()";
            wait_js(&c, fits, json!(true)).await;
        }
        c.close().await.unwrap();
    });
}

#[test]
fn forward_mode_shows_who_is_wrong_as_a_badge_and_the_detail_s_first_sentence() {
    let Some(chromedriver) = require("chromedriver", &["/usr/bin/chromedriver"]) else { return };
    let Some(chromium) = require("chromium", &[CHROMIUM]) else { return };
    // An app that verifies nothing: a forged vote is acknowledged.
    let (app_addr, _) = super::forward::scripted_app(super::forward::lax);
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
    let create = simulate(&["create", "--url", &format!("http://{}/integration", s.addr), "--connection-id", "51"]);
    assert_eq!(create.status.code(), Some(0), "{}", String::from_utf8_lossy(&create.stdout));
    let forged = serde_json::to_vec(&json!({"type": "webhook.test", "data": {"x": SCRIPT}})).unwrap();
    assert_eq!(post_signed(s.addr, "/webhooks/51", "whs_not_the_secret", &forged).status, 202);
    let item = list(&s.inspector, "")["requests"][0].clone();
    let message = item["disagreement"]["message"].as_str().unwrap().to_string();
    // The create's raw bytes are the wire bytes, with the webhook secret in full.
    let create_id = list(&s.inspector, "")["requests"][1]["id"].clone();
    let raw = super::inspector::api(&s.inspector, &format!("/_/api/requests/{create_id}/raw")).body;
    let body = &raw[raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    let secret = serde_json::from_slice::<Value>(body).unwrap()["data"]["webhook_secret"].as_str().unwrap().to_string();

    let driver = start_driver(&chromedriver);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = connect(&driver, &chromium).await;
        c.goto(&format!("http://{}/_/?token={}", s.inspector.addr, s.inspector.token)).await.unwrap();
        wait_js(&c, "document.querySelectorAll('#requests tr').length", json!(2)).await;
        let row = format!("#requests tr[data-id='{}']", item["id"]);
        let badge = text(&c, &format!("{row} .badge")).await;
        assert_eq!(badge, "app skips verification");
        wait_js(&c, "document.querySelectorAll('#requests .badge').length", json!(1)).await;
        c.find(Locator::Css(&row)).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.getElementById('disagreement').textContent", json!(message)).await;
        wait_js(&c, "document.getElementById('disagreement').hidden", json!(false)).await;
        wait_js(&c, "typeof window.pwned", json!("undefined")).await;

        // serve's verdict keeps its own colour: the forged vote's is bad, the app's 202 aside.
        let verdict_class = format!("document.querySelector(\"{row} td.verdict\").className");
        wait_js(&c, &verdict_class, json!("verdict bad")).await;

        // The page's view of the raw bytes masks the secret the wire bytes carry.
        c.find(Locator::Css(&format!("#requests tr[data-id='{create_id}']"))).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.getElementById('disagreement').hidden", json!(true)).await;
        c.find(Locator::Css("#raw-box summary")).await.unwrap().click().await.unwrap();
        wait_js(&c, "document.getElementById('raw').textContent.includes('webhook_secret')", json!(true)).await;
        let shown = text(&c, "#raw").await;
        assert!(!shown.contains(&secret), "{shown}");
        assert!(shown.contains(&format!("{}…{}", &secret[..6], &secret[secret.len() - 2..])), "{shown}");

        // An app that refuses what serve verified: serve's "ok" stays ok, the badge blames the app.
        let (app_addr, _) = super::forward::scripted_app(super::forward::strict);
        let dir = tempfile::tempdir().unwrap();
        let s = serve(dir.path(), &["--forward-to", &format!("http://{app_addr}")]);
        assert_eq!(
            post_signed(s.addr, "/integration", INTEGRATION_SECRET, &super::inspector::create_body("52")).status,
            200
        );
        let vote = super::inspector::vote_body("1");
        assert_eq!(post_signed(s.addr, "/webhooks/52", super::inspector::WEBHOOK_SECRET, &vote).status, 401);
        let id = list(&s.inspector, "")["requests"][0]["id"].clone();
        c.goto(&format!("http://{}/_/?token={}", s.inspector.addr, s.inspector.token)).await.unwrap();
        wait_js(&c, "document.querySelectorAll('#requests tr').length", json!(2)).await;
        let row = format!("#requests tr[data-id='{id}']");
        wait_js(&c, &format!("document.querySelector(\"{row} td.verdict\").className"), json!("verdict ok")).await;
        assert_eq!(text(&c, &format!("{row} .badge")).await, "app refuses valid");
        assert_eq!(text(&c, &format!("{row} td.status")).await, "401 (app)");
        c.close().await.unwrap();
    });
}
