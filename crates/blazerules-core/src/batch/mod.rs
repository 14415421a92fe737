//! Batches: records framed (`drive`), split into pieces evaluated on all cores (`pieces`),
//! read and evaluated a block at a time (`block`), decided (`decide`) into per-thread sinks
//! (`sink`), and merged in order into one result (`finish`, `dead_letter`, `result`); `output` writes
//! decision lines.

pub(crate) mod block;
mod dead_letter;
pub(crate) mod decide;
pub(crate) mod drive;
mod finish;
mod kept;
pub(crate) mod one;
pub mod options;
mod ordered;
pub mod output;
mod pieces;
pub mod result;
pub(crate) mod sink;
