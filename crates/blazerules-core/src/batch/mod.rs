//! Batches: records framed, read a block at a time, evaluated and decided on all cores.

pub(crate) mod block;
pub(crate) mod decide;
pub(crate) mod drive;
pub mod options;
pub mod output;
pub mod result;
pub(crate) mod sink;
