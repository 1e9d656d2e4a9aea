//! The `topgg-int` binary: parse arguments, run, print the one error, map it to an exit code.

use std::process::ExitCode;

// serve's workers allocate a record per request that the journal thread frees: glibc's malloc
// spends ~10 % of serve's CPU on that cross-thread traffic (bench/serve), mimalloc much less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = topgg_int::cli::args::parse();
    match topgg_int::cli::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(topgg_int::error::Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            topgg_int::output::error_line(&e);
            ExitCode::from(e.exit_code())
        }
    }
}
