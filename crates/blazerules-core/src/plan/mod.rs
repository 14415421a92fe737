//! Every rule's condition as one flat plan (`build`), run over 64 records at a time (`run`);
//! `tree` is the per-record evaluator the plan falls back to and is checked against.

pub(crate) mod build;
pub(crate) mod derived;
mod dict;
mod fast;
mod prefilter;
mod regroup;
pub(crate) mod run;
pub(crate) mod slot;
pub(crate) mod tree;
