//! Cases computed from the latencies of every request the run made: `fast` and `latency`.

use std::time::Duration;

use serde_json::{Map, json};

use super::cases::Verdict;
use super::runner::{Outcome, Runner, outcome};
use crate::protocol::time::format_duration;

/// Answers slower than this fail `fast`.
pub(super) const FAST_LIMIT: Duration = Duration::from_secs(1);

impl Runner<'_, '_> {
    pub(super) fn timed_exchanges(&self) -> Vec<(&'static str, Duration)> {
        self.exchanges.iter().filter(|e| e.label != "oversized").filter_map(|e| Some((e.label, e.latency?))).collect()
    }

    pub(super) fn fast(&mut self) -> Outcome {
        let timed = self.timed_exchanges();
        let Some(&(slowest_label, slowest)) = timed.iter().max_by_key(|(_, d)| *d) else {
            return outcome(Verdict::Skip, "no request was answered");
        };
        let slow: Vec<_> = timed.iter().filter(|(_, d)| *d >= FAST_LIMIT).collect();
        let mut facts = Map::new();
        facts.insert("slowest_ms".into(), json!((slowest.as_secs_f64() * 10_000.0).round() / 10.0));
        facts.insert("over_1s".into(), json!(slow.len()));
        if slow.is_empty() {
            let detail = format!("{} answers, slowest {} ({slowest_label})", timed.len(), format_duration(slowest));
            (Verdict::Pass, detail, facts)
        } else {
            let detail = format!(
                "{} of {} answers took 1 s or more, slowest {} ({slowest_label})",
                slow.len(),
                timed.len(),
                format_duration(slowest)
            );
            (Verdict::Fail, detail, facts)
        }
    }

    pub(super) fn latency(&mut self) -> Outcome {
        let mut ms: Vec<f64> = self.timed_exchanges().iter().map(|(_, d)| d.as_secs_f64() * 1000.0).collect();
        if ms.is_empty() {
            return outcome(Verdict::Info, "no request was answered");
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| ms[(((p / 100.0) * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
        let mut facts = Map::new();
        facts.insert("count".into(), json!(ms.len()));
        for (key, p) in [("p50_ms", 50.0), ("p90_ms", 90.0), ("p99_ms", 99.0), ("max_ms", 100.0)] {
            facts.insert(key.into(), json!((pct(p) * 10.0).round() / 10.0));
        }
        let detail = format!(
            "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} answers",
            pct(50.0),
            pct(90.0),
            pct(99.0),
            pct(100.0),
            ms.len()
        );
        (Verdict::Info, detail, facts)
    }
}
