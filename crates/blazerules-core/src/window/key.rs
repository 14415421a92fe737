//! An entity's value as the shard keeps it: inline up to 22 bytes (card numbers, account and
//! user ids), so that finding an entity reads no other memory than its slot.

/// Bytes kept inline.
const INLINE: usize = 22;

#[derive(Clone)]
pub(crate) enum EntityKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Default for EntityKey {
    fn default() -> Self {
        EntityKey::Inline {
            len: 0,
            bytes: [0; INLINE],
        }
    }
}

impl EntityKey {
    pub fn new(key: &str) -> EntityKey {
        match key.as_bytes() {
            b if b.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..b.len()].copy_from_slice(b);
                EntityKey::Inline {
                    len: b.len() as u8,
                    bytes,
                }
            }
            _ => EntityKey::Heap(key.into()),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            EntityKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            EntityKey::Heap(s) => s.as_bytes(),
        }
    }

    /// Heap bytes beyond the key itself.
    pub fn heap_bytes(&self) -> usize {
        match self {
            EntityKey::Inline { .. } => 0,
            EntityKey::Heap(s) => s.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EntityKey;

    #[test]
    fn short_keys_are_inline_and_long_ones_on_the_heap() {
        for k in [
            "",
            "c1",
            "0123456789abcdefghijkl",
            "0123456789abcdefghijklm",
            "é€𝄞",
        ] {
            let e = EntityKey::new(k);
            assert_eq!(e.as_bytes(), k.as_bytes());
            assert_eq!(e.heap_bytes() > 0, k.len() > 22, "{k}");
        }
        assert_eq!(std::mem::size_of::<EntityKey>(), 24);
    }
}
