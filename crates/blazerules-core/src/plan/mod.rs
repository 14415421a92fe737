//! Every rule's condition as one flat plan (`build`), run over 64 records at a time (`run`,
//! with what it computed for the chunk kept in `caches`);
//! `tree` is the per-record evaluator the plan falls back to and is checked against.

pub(crate) mod build;
pub(crate) mod caches;
pub(crate) mod derived;
mod dict;
mod fast;
mod prefilter;
mod regroup;
pub(crate) mod run;
pub(crate) mod slot;
pub(crate) mod tree;
