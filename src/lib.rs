//! topgg-int: simulate, verify, inspect, serve and conformance-check Top.gg integration webhooks.
//!
//! The library holds the domain ([`protocol`]: signing, payloads, captures, deliveries, the
//! reference receiver) apart from the command line ([`cli`]) and terminal output ([`output`]).

pub mod cli;
pub mod error;
pub mod output;
pub mod protocol;
