//! The `topgg-int` binary: parse arguments, run, print the one error, map it to an exit code.

use std::process::ExitCode;

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
