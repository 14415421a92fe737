//! Nesting limits, one definition each; the glue and the specs quote these.

/// The record nesting limit as a literal, so that messages can quote it at compile time.
macro_rules! max_depth {
    () => {
        1024
    };
}

/// Deepest nesting of arrays and objects in a record (simd-json's default, which
/// rules-reference §5 and our compatibility notes quote): a deeper record is malformed JSON.
pub const MAX_DEPTH: u32 = max_depth!();

/// What the reader reports for a record nested deeper than [`MAX_DEPTH`].
pub(crate) const TOO_DEEP: &str = concat!("nesting deeper than ", max_depth!());

/// Deepest nesting of a rule's conditions (and/or/not/array_any levels below the root) and
/// of a `sql:` expression (rules-reference §2.19 and the nesting-limit note in §2).
pub const MAX_CONDITION_DEPTH: usize = 128;

/// Deepest nesting of a rules document given as JSON text: the glue refuses deeper text before
/// parsing it, which protects the recursive parser and `Drop` from exhausting the stack.
pub const MAX_DOCUMENT_DEPTH: usize = 1024;
