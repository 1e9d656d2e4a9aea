//! The one integration-test binary: library-level vector checks and CLI tests driven through
//! assert_cmd against receivers bound to 127.0.0.1:0.

mod check;
mod color;
mod common;
mod completions;
mod forward;
mod history_bounds;
mod inspect;
mod inspector;
mod inspector_page;
mod load_answers;
mod man;
mod readme;
mod receiver_limits;
mod release;
mod secrets;
mod serve;
mod signals;
mod simulate;
mod simulate_answers;
mod usability;
mod vectors;
mod verify;
