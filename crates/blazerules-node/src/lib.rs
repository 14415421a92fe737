//! napi-rs glue between `blazerules-core` and Node.js, one file per concern (as zen's
//! `bindings/nodejs` does).
//!
//! Thin on purpose: the TypeScript layer (`src/`) owns YAML parsing, source positions,
//! the public class names and the lazy per-record views. This crate only
//!
//! * loads a rules document (JSON text + base dir) into a native handle, or returns every
//!   problem found ([`load`]);
//! * validates the engine's evaluation settings once ([`options`]);
//! * evaluates NDJSON / messages / JSON arrays / files against such a handle, either on the
//!   libuv thread pool or on the calling thread ([`evaluate`]), handing the per-record results
//!   back in one Rust-owned external buffer (a header of counts, then the sections) that JS
//!   views as typed arrays ([`batch`], laid out as [`layout`] says: the one definition, from
//!   which `src/generated/batch-layout.ts` is generated);
//! * evaluates a single record into plain values ([`decision`]), and explains one
//!   ([`explain`]);
//! * writes a batch's decision lines with the core's writer ([`lines`]);
//! * runs the native Kafka loop of `blazerules-stream` ([`stream`]);
//! * picks each call's window state shard and clock, and reports on the state ([`windows`]).
//!
//! Nothing may unwind across the FFI boundary, and errors carry their code ([`guard`]).
//! This crate has no hand-written `unsafe` code (the `#[napi]` macros generate the FFI shims).

pub mod batch;
pub mod decision;
pub mod evaluate;
pub mod explain;
mod guard;
pub mod layout;
pub mod lines;
pub mod load;
pub mod options;
pub mod stream;
pub mod windows;
