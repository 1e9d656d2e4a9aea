//! Load mode, `simulate vote --count N --concurrency C [--rate R/s]`: N distinct votes, each with
//! its own id, trace and signature, then throughput, status counts and latency percentiles.
//!
//! Signing is kept cheap: each vote is rendered from a template made once per run
//! ([`crate::send::load::votes`]), with the secret keyed into HMAC once.
//!
//! `--json` prints one summary object: `{"step", "url", "count", "sent", "acknowledged",
//! "elapsed_ms", "throughput_per_s", "concurrency", "statuses": {"204": n, "timeout": n, …},
//! "answers_cut", "latency_ms": {"p50", "p90", "p99", "max"}, "latency_from_schedule_ms": null|{…},
//! "duration_ms"}`. `answers_cut` counts answers whose body was longer than load mode reads.
//! `count` is null when only `--duration` bounds the run. With `--rate`, `latency_from_schedule_ms`
//! times each delivery from its slot in the schedule instead of its actual start, so a stalled
//! receiver's backlog counts (coordinated omission; oha's `--latency-correction`).

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::target::WebhookTarget;
use super::{Settings, millis, render};
use crate::error::{Error, Outcome, Result};
use crate::output::{progress::Progress, style, with_stdout};
use crate::protocol::signature::Signer;
use crate::protocol::time::format_duration;
use crate::send::delivery::{AttemptError, Auth, Delivery};
use crate::send::load::votes::{VoteBody, Votes};
use crate::send::load::{self, LoadConfig, Sample, conn};
use crate::stop::Reason;

/// What to send.
pub(crate) struct Plan {
    /// `u64::MAX` when only `duration` bounds the run.
    pub count: u64,
    pub duration: Option<Duration>,
    pub concurrency: usize,
    pub rate: Option<f64>,
    pub legacy: bool,
}

/// Runs load mode.
pub(crate) fn run(s: &Settings, target: &WebhookTarget, base: &Value, plan: &Plan) -> Result<Outcome> {
    // Ctrl-C stops the run early and exits 130; SIGTERM ends it as if its time were up.
    let stop = s.stop.clone();
    let step = if plan.legacy { "legacy vote" } else { "vote.create" };
    if !s.json {
        let rate = plan.rate.map(|r| format!(", at most {r}/s")).unwrap_or_default();
        let how_many = match (plan.duration, plan.count) {
            (Some(d), u64::MAX) => format!("for {}", format_duration(d)),
            (Some(d), n) => format!("{n} (at most for {})", format_duration(d)),
            (None, n) => n.to_string(),
        };
        crate::output::note(format!(
            "sending {how_many} × {step} to {} (concurrency {}{rate})",
            target.url, plan.concurrency
        ));
    }
    let auth = if plan.legacy {
        Auth::Legacy(target.secret.clone())
    } else {
        Auth::Signed { signer: Signer::new(target.secret.clone()), timestamp: s.timestamp }
    };
    let model = Delivery {
        url: target.url.clone(),
        body: Vec::new(),
        trace: s.trace.clone().unwrap_or_default(),
        auth,
        extra_headers: s.headers.clone(),
    };
    let votes = Votes::new(model, VoteBody::from_json(base), s.trace.is_none());
    let config = LoadConfig {
        count: plan.count,
        concurrency: plan.concurrency,
        rate: plan.rate,
        duration: plan.duration,
        policy: s.policy.clone(),
    };
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    // A run bounded only by time has no total to draw a bar against.
    let mut progress = Progress::new(plan.count, step, !s.json && plan.count != u64::MAX);
    let result = std::thread::scope(|scope| {
        let engine = scope.spawn(|| load::run(config, s.client.clone(), votes, done.clone(), stop.clone()));
        while !engine.is_finished() {
            progress.update(done.load(Ordering::Relaxed));
            std::thread::sleep(Duration::from_millis(50));
        }
        engine.join().unwrap_or_else(|_| Err("the load engine panicked".into()))
    })
    .map_err(Error::input)?;
    progress.finish();
    if let Some(first) = result.gave_up {
        return Err(Error::network(format!(
            "stopped after {} refused connections and not one answer, {} of {} votes sent: {first}; is the receiver running there?",
            load::REFUSALS_BEFORE_GIVING_UP,
            result.samples.len(),
            plan.count
        )));
    }
    summarise(s, step, target, plan, &result.samples, started.elapsed(), stop.reason())
}

/// The `p`-th percentile (0..=1) of sorted values, nearest-rank.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summarise(
    s: &Settings,
    step: &str,
    target: &WebhookTarget,
    plan: &Plan,
    samples: &[Sample],
    elapsed: Duration,
    stopped: Option<Reason>,
) -> Result<Outcome> {
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for x in samples {
        let key = match &x.result {
            Ok(status) => status.to_string(),
            Err(e) => e.code().to_string(),
        };
        *statuses.entry(key).or_default() += 1;
    }
    let mut lat: Vec<Duration> = samples.iter().map(|x| x.elapsed).collect();
    lat.sort_unstable();
    let (p50, p90, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.9), percentile(&lat, 0.99));
    let max = lat.last().copied().unwrap_or_default();
    let mut scheduled: Vec<Duration> = samples.iter().filter_map(|x| x.from_schedule).collect();
    scheduled.sort_unstable();
    let corrected = (!scheduled.is_empty()).then(|| {
        let pick = |p| percentile(&scheduled, p);
        (pick(0.5), pick(0.9), pick(0.99), scheduled.last().copied().unwrap_or_default())
    });
    // With --duration, or ended by SIGTERM, the target is what was sent, not the count.
    let expected =
        if plan.duration.is_some() || stopped == Some(Reason::Terminated) { samples.len() as u64 } else { plan.count };
    let sent = samples.len() as u64;
    let acked = samples.iter().filter(|x| x.acknowledged()).count() as u64;
    let cut = samples.iter().filter(|x| x.cut).count() as u64;
    let throughput = if elapsed.is_zero() { 0.0 } else { sent as f64 / elapsed.as_secs_f64() };
    if s.json {
        render::print_json(&json!({
            "step": step,
            "url": target.url.as_str(),
            "count": (plan.count != u64::MAX).then_some(plan.count),
            "duration_ms": plan.duration.map(millis),
            "sent": sent,
            "acknowledged": acked,
            "elapsed_ms": millis(elapsed),
            "throughput_per_s": (throughput * 10.0).round() / 10.0,
            "concurrency": plan.concurrency,
            "statuses": statuses,
            "answers_cut": cut,
            "latency_ms": {"p50": millis(p50), "p90": millis(p90), "p99": millis(p99), "max": millis(max)},
            "latency_from_schedule_ms": corrected.map(|(a, b, c, d)| {
                json!({"p50": millis(a), "p90": millis(b), "p99": millis(c), "max": millis(d)})
            }),
        }))?;
    } else {
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        with_stdout(|w| {
            writeln!(w, "{} × {sent} → {}", style::accent(step), target.url)?;
            writeln!(
                w,
                "  sent {sent} in {:.2} s: {} deliveries/s (concurrency {})",
                elapsed.as_secs_f64(),
                style::bold(&format!("{throughput:.1}")),
                plan.concurrency
            )?;
            let counts: Vec<String> = statuses
                .iter()
                .map(|(k, n)| match k.parse::<u16>() {
                    Ok(code) => format!("{} ×{n}", style::status(code)),
                    Err(_) => format!("{} ×{n}", style::fail(k)),
                })
                .collect();
            writeln!(w, "  statuses  {}", counts.join("  "))?;
            writeln!(w, "  latency   p50 {}  p90 {}  p99 {}  max {}", ms(p50), ms(p90), ms(p99), ms(max))?;
            if let Some((a, b, c, d)) = corrected {
                writeln!(
                    w,
                    "  from schedule  p50 {}  p90 {}  p99 {}  max {}  {}",
                    ms(a),
                    ms(b),
                    ms(c),
                    ms(d),
                    style::dim("(timed from each delivery's slot at --rate: waits behind a slow answer count)")
                )?;
            }
            if cut > 0 {
                writeln!(
                    w,
                    "  {cut} answers had a body over {} KiB: cut there (and not read past {} MiB)",
                    conn::BODY_KEPT / 1024,
                    conn::BODY_READ_MAX / (1024 * 1024)
                )?;
            }
            let verdict = if acked == expected { style::ok("acknowledged") } else { style::fail("acknowledged") };
            writeln!(w, "  {verdict} {acked}/{expected}")
        })?;
    }
    if stopped == Some(Reason::Interrupted) {
        return Err(Error::Interrupted);
    }
    let unreachable: Vec<&AttemptError> = samples.iter().filter_map(|x| x.result.as_ref().err()).collect();
    if let Some(first) = unreachable.first() {
        return Err(Error::network(format!(
            "{} of {sent} votes were not delivered; the first: {first}",
            unreachable.len()
        )));
    }
    Ok(Outcome::from_ok(acked == sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&v[..1], 0.9), Duration::from_millis(1));
    }
}
