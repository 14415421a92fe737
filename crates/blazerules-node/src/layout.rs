//! The batch wire layout: how a batch's per-record and per-rule arrays sit in the two buffers
//! handed to JS (see [`crate::batch::NativeBatch`]). This table is the only definition: the
//! packing ([`crate::batch`]), the reading back in Rust ([`Views`]) and the TypeScript reader
//! (`src/generated/batch-layout.ts`, generated from it by the `generated_batch_layout_ts_is_current`
//! test) all follow it.
//!
//! `ints` holds 32-bit words: the [`WORDS`] sections, then the [`BYTES`] sections as bytes in
//! native byte order (the order JS typed-array views use on this machine), padded to a whole
//! word. `floats` holds the [`FLOATS`] sections.

use blazerules_core::result::RISK_BAND_NAMES;

/// How long a section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// One entry per evaluated record.
    Records,
    /// One entry per enabled rule.
    Rules,
    /// One entry per (rule, record) match, all rules.
    Hits,
}

/// What a section holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// u32: each record's index among the batch's non-empty input rows.
    InputRows,
    /// u32: each record's 1-based input line (NDJSON; 0 = not known).
    InputLines,
    /// i32: decision label code.
    DecisionCodes,
    /// i32: winning rule index, -1 = none.
    Winners,
    /// u32: rule after rule, the ascending record indices each rule matched (shadow included).
    RuleHits,
    /// u32: rule `r`'s hits end there.
    RuleHitEnds,
    /// u8: risk band code (index into `RISK_BAND_NAMES`).
    RiskBands,
    /// u8: 1 if any rule matched.
    Matched,
    /// f64: score.
    Scores,
    /// f64: records matched per rule.
    MatchCounts,
}

/// One section: its field, the TypeScript name and typed array, and its length.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub field: Field,
    pub name: &'static str,
    pub array: &'static str,
    pub len: Len,
}

const fn section(field: Field, name: &'static str, array: &'static str, len: Len) -> Section {
    Section {
        field,
        name,
        array,
        len,
    }
}

/// The 32-bit sections of `ints`, in order.
pub const WORDS: [Section; 6] = [
    section(Field::InputRows, "inputRows", "Uint32Array", Len::Records),
    section(Field::InputLines, "inputLines", "Uint32Array", Len::Records),
    section(
        Field::DecisionCodes,
        "decisionCodes",
        "Int32Array",
        Len::Records,
    ),
    section(Field::Winners, "winners", "Int32Array", Len::Records),
    section(Field::RuleHits, "ruleHits", "Uint32Array", Len::Hits),
    section(Field::RuleHitEnds, "ruleHitEnds", "Uint32Array", Len::Rules),
];

/// The byte sections after the words of `ints`, in order.
pub const BYTES: [Section; 2] = [
    section(Field::RiskBands, "riskBands", "Uint8Array", Len::Records),
    section(Field::Matched, "matched", "Uint8Array", Len::Records),
];

/// The sections of `floats`, in order.
pub const FLOATS: [Section; 2] = [
    section(Field::Scores, "scores", "Float64Array", Len::Records),
    section(
        Field::MatchCounts,
        "matchCounts",
        "Float64Array",
        Len::Rules,
    ),
];

/// A batch's dimensions, which fix every offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub records: usize,
    pub rules: usize,
    pub hits: usize,
}

impl Sizes {
    #[inline]
    pub fn len(&self, len: Len) -> usize {
        match len {
            Len::Records => self.records,
            Len::Rules => self.rules,
            Len::Hits => self.hits,
        }
    }

    /// Where `field` starts within its table's unit (words, bytes or floats).
    fn start(&self, table: &[Section], field: Field) -> usize {
        table
            .iter()
            .take_while(|s| s.field != field)
            .map(|s| self.len(s.len))
            .sum()
    }

    /// Bytes of the byte sections, before padding.
    pub fn bytes(&self) -> usize {
        BYTES.iter().map(|s| self.len(s.len)).sum()
    }

    /// Words of `ints`, padding included.
    pub fn int_words(&self) -> usize {
        WORDS.iter().map(|s| self.len(s.len)).sum::<usize>() + self.bytes().div_ceil(4)
    }

    /// Entries of `floats`.
    pub fn floats(&self) -> usize {
        FLOATS.iter().map(|s| self.len(s.len)).sum()
    }
}

/// The sections of two buffers read back (they must be at least as long as `sizes` says).
pub struct Views<'a> {
    ints: &'a [u32],
    floats: &'a [f64],
    bytes: Vec<u8>,
    pub sizes: Sizes,
}

impl<'a> Views<'a> {
    /// `None` if a buffer is shorter than the layout needs.
    pub fn new(ints: &'a [u32], floats: &'a [f64], sizes: Sizes) -> Option<Views<'a>> {
        if ints.len() < sizes.int_words() || floats.len() < sizes.floats() {
            return None;
        }
        let words: usize = WORDS.iter().map(|s| sizes.len(s.len)).sum();
        let bytes = ints[words..sizes.int_words()]
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .collect();
        Some(Views {
            ints,
            floats,
            bytes,
            sizes,
        })
    }

    fn span(&self, table: &[Section], field: Field) -> std::ops::Range<usize> {
        let start = self.sizes.start(table, field);
        let len = table
            .iter()
            .find(|s| s.field == field)
            .map_or(0, |s| self.sizes.len(s.len));
        start..start + len
    }

    /// A 32-bit section (empty for a field that is not one).
    pub fn words(&self, field: Field) -> &[u32] {
        self.ints.get(self.span(&WORDS, field)).unwrap_or(&[])
    }

    /// A byte section (empty for a field that is not one).
    pub fn bytes(&self, field: Field) -> &[u8] {
        self.bytes.get(self.span(&BYTES, field)).unwrap_or(&[])
    }

    /// A float section (empty for a field that is not one).
    pub fn floats(&self, field: Field) -> &[f64] {
        self.floats.get(self.span(&FLOATS, field)).unwrap_or(&[])
    }
}

/// Bytes per element of a TypeScript typed array.
fn element_bytes(array: &str) -> usize {
    match array {
        "Uint8Array" => 1,
        "Float64Array" => 8,
        _ => 4,
    }
}

fn len_name(len: Len) -> &'static str {
    match len {
        Len::Records => "records",
        Len::Rules => "rules",
        Len::Hits => "hits",
    }
}

/// Straight-line views over one buffer, advancing `at` (no loop, no table at run time).
fn ts_views(s: &mut String, buffer: &str, tables: &[&[Section]]) {
    s.push_str(&format!(
        "  const {buffer}b = {buffer}.buffer;\n  at = {buffer}.byteOffset;\n"
    ));
    let sections: Vec<&Section> = tables.iter().flat_map(|t| t.iter()).collect();
    for (i, sec) in sections.iter().enumerate() {
        let len = len_name(sec.len);
        s.push_str(&format!(
            "  const {} = new {}({buffer}b, at, {len});\n",
            sec.name, sec.array
        ));
        if i + 1 < sections.len() {
            let size = element_bytes(sec.array);
            let step = if size == 1 {
                len.to_string()
            } else {
                format!("{size} * {len}")
            };
            s.push_str(&format!("  at += {step};\n"));
        }
    }
}

/// The TypeScript module generated from this table.
pub fn batch_layout_ts() -> String {
    let mut s = String::from(
        "// Generated from crates/blazerules-node/src/layout.rs by its test\n\
         // (BLAZERULES_WRITE_GENERATED=1 cargo test --workspace generated). Do not edit.\n\n",
    );
    let bands: Vec<String> = RISK_BAND_NAMES.iter().map(|b| format!("'{b}'")).collect();
    s.push_str(&format!(
        "/** Risk band names by code. */\nexport const RISK_BAND_NAMES = [{}] as const;\n\
         export type RiskBandName = (typeof RISK_BAND_NAMES)[number];\n\n",
        bands.join(", ")
    ));
    let all: Vec<&Section> = WORDS.iter().chain(&BYTES).chain(&FLOATS).collect();
    s.push_str(
        "/** The sections of a native batch's two buffers. */\nexport interface BatchViews {\n",
    );
    for sec in &all {
        s.push_str(&format!("  {}: {};\n", sec.name, sec.array));
    }
    s.push_str(
        "}\n\n/** Views over `ints` and `floats` of a batch of `records` records, `rules` rules and `hits` rule hits. */\n\
         export function batchViews(\n  ints: Uint32Array,\n  floats: Float64Array,\n  records: number,\n  rules: number,\n  hits: number,\n): BatchViews {\n  let at: number;\n",
    );
    ts_views(&mut s, "ints", &[&WORDS, &BYTES]);
    ts_views(&mut s, "floats", &[&FLOATS]);
    let names: Vec<&str> = all.iter().map(|sec| sec.name).collect();
    // As Biome formats it (lines of at most 120 characters).
    let one_line = format!("  return {{ {} }};", names.join(", "));
    if one_line.len() <= 120 {
        s.push_str(&one_line);
    } else {
        s.push_str(&format!(
            "  return {{\n    {},\n  }};",
            names.join(",\n    ")
        ));
    }
    s.push_str("\n}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_batch_layout_ts_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../src/generated/batch-layout.ts"
        );
        if let Err(e) = blazerules_core::generated::keep_current(path, &batch_layout_ts()) {
            panic!("{e}");
        }
    }

    #[test]
    fn offsets_follow_the_table() {
        let sizes = Sizes {
            records: 3,
            rules: 2,
            hits: 4,
        };
        // Four record sections of 3 words, then 4 hits.
        assert_eq!(sizes.start(&WORDS, Field::RuleHitEnds), 12 + 4);
        assert_eq!(sizes.start(&BYTES, Field::Matched), 3);
        assert_eq!(sizes.int_words(), 18 + 2);
        assert_eq!(sizes.floats(), 5);
    }
}
