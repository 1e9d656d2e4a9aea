//! topgg-int: simulate, verify, inspect, serve and conformance-check Top.gg integration webhooks.
//!
//! The layers, in dependency order: [`cli`] parses and renders through [`output`]; it drives
//! [`send`] (what Top.gg does to a URL), [`receiver`] (the reference receiver) and [`conformance`]
//! (the suite behind `check`, which sends through [`send`]); all of them stand on [`protocol`], the
//! wire format, and [`error`]. The receiver never imports `send` or `conformance`. [`stop`] is the
//! one cancellation of a run, a leaf like [`error`].

pub mod cli;
pub mod conformance;
pub mod error;
pub mod output;
pub mod protocol;
pub mod receiver;
pub mod send;
pub mod stop;
