//! The one integration-test binary: library-level vector checks and CLI tests driven through
//! assert_cmd against receivers bound to 127.0.0.1:0.

mod check;
mod common;
mod completions;
mod inspect;
mod load_answers;
mod readme;
mod receiver_limits;
mod serve;
mod simulate;
mod vectors;
mod verify;
