//! The reactor edge: processes served over HTTP/SOAP 1.1 and partners reached over it.
//!
//! - [`soap`]: envelopes, faults, operation bindings (document and rpc literal), WSDL publishing.
//!   Pure functions on text and values.
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
pub mod soap;
