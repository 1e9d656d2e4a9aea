//! Ctrl-C: the first one asks long-running work to stop cleanly (commands poll [`requested`]);
//! a second one exits at once with 130. A server can also tell SIGTERM apart
//! ([`install_terminate`], [`terminated`]): a service manager's stop, which ends with 0.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Installs the handler once and returns the shared flag it sets.
pub fn install() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // If a handler cannot be installed, Ctrl-C keeps its default effect (the process ends with
        // the signal), which is still exit status 130 in a shell.
        let _ = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
        flag
    })
    .clone()
}

/// Whether Ctrl-C has been pressed since [`install`].
pub fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::SeqCst))
}

static TERMINATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_terminate(_: libc::c_int) {
    // Only an atomic store: nothing else is async-signal-safe here.
    TERMINATED.store(true, Ordering::SeqCst);
}

/// Makes SIGTERM set [`terminated`] instead of counting as Ctrl-C. Call after [`install`]: it
/// replaces that handler for SIGTERM alone.
pub fn install_terminate() {
    #[cfg(unix)]
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_terminate as *const () as libc::sighandler_t);
    }
}

/// Whether SIGTERM arrived since [`install_terminate`].
pub fn terminated() -> bool {
    TERMINATED.load(Ordering::SeqCst)
}
