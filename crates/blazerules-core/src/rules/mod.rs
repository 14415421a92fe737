//! Rules documents: loaded into a model with BlazeRules' defaults, aliases and errors
//! (`load`, `lookup`, `sql`), then compiled into field slots and predicates (`compile`).

pub(crate) mod compile;
pub(crate) mod load;
pub(crate) mod lookup;
pub(crate) mod op;
pub mod sql;
