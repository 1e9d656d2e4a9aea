//! Signals, turned into the run's one [`Stop`]: SIGINT (Ctrl-C) cancels it as
//! [`Reason::Interrupted`], SIGTERM as [`Reason::Terminated`]; a second Ctrl-C exits at once with
//! 130. Commands that wait or loop call [`install`] before they say they are ready, so a signal
//! that follows their ready line is never lost, and then wait on the [`Stop`] (no polling). Which
//! exit code a reason gives is the command's call: `serve` ends 0 on SIGTERM and 130 on Ctrl-C.
//!
//! The listener is tokio's signal handling on a small thread of its own; until [`install`] is
//! called the signals keep their default effect (the process ends, 130 for Ctrl-C in a shell).

use std::sync::OnceLock;

use crate::stop::{Reason, Stop};

static STOP: OnceLock<Stop> = OnceLock::new();

/// Starts listening for SIGINT and SIGTERM (once per process) and returns the run's [`Stop`].
/// The handlers are in place when this returns.
pub fn install() -> Stop {
    STOP.get_or_init(|| {
        let stop = Stop::new();
        listen(stop.clone());
        stop
    })
    .clone()
}

/// Registers the handlers on a current-thread runtime on a thread of its own, which then drives
/// it; returns once they are registered. If any of that cannot be done, nothing is registered and
/// the signals keep their default effect, which still ends the process.
fn listen(stop: Stop) {
    let (registered, ready) = std::sync::mpsc::channel::<()>();
    let spawned = std::thread::Builder::new().name("signals".into()).spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_io().build() else { return };
        let signals = {
            let _in_runtime = rt.enter();
            Signals::register()
        };
        let Some(mut signals) = signals else { return };
        let _ = registered.send(());
        rt.block_on(async move {
            while let Some(reason) = signals.next().await {
                if !stop.cancel(reason) && reason == Reason::Interrupted {
                    // A second Ctrl-C: the user does not want to wait for a clean stop.
                    std::process::exit(130);
                }
            }
        })
    });
    if spawned.is_ok() {
        // Either the handlers are in place, or the thread gave up and dropped the sender.
        let _ = ready.recv();
    }
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn register() -> Option<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Some(Signals {
            interrupt: signal(SignalKind::interrupt()).ok()?,
            terminate: signal(SignalKind::terminate()).ok()?,
        })
    }

    async fn next(&mut self) -> Option<Reason> {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Some(Reason::Interrupted),
            Some(()) = self.terminate.recv() => Some(Reason::Terminated),
            else => None,
        }
    }
}

#[cfg(windows)]
struct Signals {
    interrupt: tokio::signal::windows::CtrlC,
}

#[cfg(windows)]
impl Signals {
    fn register() -> Option<Self> {
        Some(Signals { interrupt: tokio::signal::windows::ctrl_c().ok()? })
    }

    async fn next(&mut self) -> Option<Reason> {
        self.interrupt.recv().await.map(|()| Reason::Interrupted)
    }
}
