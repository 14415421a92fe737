//! Where a fast leaf reads a field: its slot, and whether "" reads as null.

use crate::rules::compile::FieldRef;

/// A field's value as read by fast leaves: its slot, and whether "" reads as null.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub slot: u32,
    pub empty_is_null: bool,
}

/// The slot a compiled field reference reads.
pub(super) fn slot_of(f: &FieldRef) -> Slot {
    Slot {
        slot: f.slot,
        empty_is_null: f.empty_is_null,
    }
}
