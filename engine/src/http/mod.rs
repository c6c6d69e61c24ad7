//! The reactor edge: processes served over HTTP/SOAP 1.1 and partners reached over it (the
//! `serve` feature). The SOAP codec it speaks is [`crate::soap`], in the pure core.
//!
//! - [`server`]: `bpel serve`: the endpoints, `?wsdl`, requests to shards and replies back.
//! - [`shard`]: a worker thread owning an engine; batches, group commit, then effects.
//! - [`router`]: which shard owns the instance a message is for.
//! - [`client`]: partner calls over a pooled hyper client, and what a misbehaving partner becomes.
//! - [`admin`]: list, inspect, checkpoint, restore and terminate instances (with a token).

pub mod admin;
pub mod client;
pub mod router;
pub mod server;
pub mod shard;
