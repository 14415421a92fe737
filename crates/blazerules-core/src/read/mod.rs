//! Reading records: NDJSON framing (`lines`), the validating single-pass reader (`reader`)
//! that keeps only referenced values, learnt record shapes (`shape`) and the trie of
//! referenced field names (`fields`).

pub(crate) mod fields;
pub(crate) mod lines;
pub(crate) mod reader;
pub(crate) mod shape;
