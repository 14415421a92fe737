//! Rules documents: loaded into a model with BlazeRules' defaults, aliases and errors
//! (`load`, `lookup`, `sql`, reading scalars with `scalar`), then compiled into field slots
//! and predicates (`compile`) over the operator vocabulary of `op`. `source` reads the text
//! (YAML or JSON) into the document and the positions its problems are reported at.

pub(crate) mod compile;
pub(crate) mod load;
pub(crate) mod lookup;
pub(crate) mod op;
pub(crate) mod scalar;
pub mod source;
pub mod sql;
