//! The process limits `serve` adjusts at start: the open-files limit (so the connection cap can
//! be used) and SIGXFSZ (so a file-size limit fails a write instead of killing the process).

/// Raises the soft limit on open files to the hard limit (many systems start at 1,024, which a
/// connection cap of 10,000 cannot use); returns the soft limit now in force, when known.
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return None;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim = raised;
                }
            }
        }
        // rlim_t is u64 on Linux and macOS but not on every Unix.
        #[allow(clippy::unnecessary_cast)]
        if lim.rlim_cur == libc::RLIM_INFINITY { None } else { Some(lim.rlim_cur as u64) }
    }
    #[cfg(not(unix))]
    None
}

/// Ignores SIGXFSZ, so that a file-size limit (RLIMIT_FSIZE) makes a write fail (and the request
/// get 500) instead of killing the process mid-write.
pub fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
