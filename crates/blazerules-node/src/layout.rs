//! The batch wire layout: how a batch's counts and its per-record, per-rule and per-label
//! arrays sit in the one buffer handed to JS (see [`crate::batch::NativeBatch`]). One flat
//! buffer rather than an object of many properties and arrays: each property, array and
//! external buffer is a fixed cost of every call, which a small call (one HTTP request's
//! records) mostly is. This table is the only definition: the packing ([`crate::batch`]),
//! the reading back in Rust ([`Views`]) and the TypeScript reader
//! (`src/generated/batch-layout.ts`, generated from it by the `generated_batch_layout_ts_is_current`
//! test) all follow it.
//!
//! The buffer is 32-bit words: the [`HEADER`] values (f64, two words each), the [`FLOATS`]
//! sections (f64: 8-byte aligned, as the header is whole f64s), the [`WORDS`] sections, then
//! the [`BYTES`] sections as bytes, padded to a whole word. Every value is in native byte
//! order (the order JS typed-array views use on this machine).

use blazerules_core::result::RISK_BAND_NAMES;

/// The batch's counts and timings, first in the buffer, in this order (the TypeScript names).
pub const HEADER: [&str; 11] = [
    "records",
    "rules",
    "hits",
    "labels",
    "nMatched",
    "messagesProcessed",
    "messagesSkipped",
    "inputLineCount",
    "parseMs",
    "evalMs",
    "totalMs",
];

/// The header's values (in [`HEADER`]'s order by [`Header::values`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Header {
    pub sizes: Sizes,
    pub n_matched: f64,
    pub messages_processed: f64,
    pub messages_skipped: f64,
    pub input_line_count: f64,
    pub parse_ms: f64,
    pub eval_ms: f64,
    pub total_ms: f64,
}

impl Header {
    pub fn values(&self) -> [f64; HEADER.len()] {
        let s = self.sizes;
        [
            s.records as f64,
            s.rules as f64,
            s.hits as f64,
            s.labels as f64,
            self.n_matched,
            self.messages_processed,
            self.messages_skipped,
            self.input_line_count,
            self.parse_ms,
            self.eval_ms,
            self.total_ms,
        ]
    }

    /// The sizes a header read back gives (`None` unless each is a whole number that fits).
    fn sizes_of(values: &[f64]) -> Option<Sizes> {
        let size = |i: usize| {
            let x = *values.get(i)?;
            (x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64).then_some(x as usize)
        };
        Some(Sizes {
            records: size(0)?,
            rules: size(1)?,
            hits: size(2)?,
            labels: size(3)?,
        })
    }
}

/// Words of the header.
const HEADER_WORDS: usize = 2 * HEADER.len();

/// How long a section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// One entry per evaluated record.
    Records,
    /// One entry per enabled rule.
    Rules,
    /// One entry per (rule, record) match, all rules.
    Hits,
    /// One entry per decision label code up to the highest a record got.
    Labels,
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
    /// f64: records per decision label code (what the engine's `decisions_total` adds).
    DecisionCounts,
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

/// The f64 sections, in order, after the header.
pub const FLOATS: [Section; 3] = [
    section(Field::Scores, "scores", "Float64Array", Len::Records),
    section(
        Field::MatchCounts,
        "matchCounts",
        "Float64Array",
        Len::Rules,
    ),
    section(
        Field::DecisionCounts,
        "decisionCounts",
        "Float64Array",
        Len::Labels,
    ),
];

/// The 32-bit sections, in order, after the f64 ones.
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

/// The byte sections, in order, last.
pub const BYTES: [Section; 2] = [
    section(Field::RiskBands, "riskBands", "Uint8Array", Len::Records),
    section(Field::Matched, "matched", "Uint8Array", Len::Records),
];

/// A batch's dimensions, which fix every offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    pub records: usize,
    pub rules: usize,
    pub hits: usize,
    pub labels: usize,
}

impl Sizes {
    #[inline]
    pub fn len(&self, len: Len) -> usize {
        match len {
            Len::Records => self.records,
            Len::Rules => self.rules,
            Len::Hits => self.hits,
            Len::Labels => self.labels,
        }
    }

    /// Entries of a table's sections.
    fn entries(&self, table: &[Section]) -> usize {
        table.iter().map(|s| self.len(s.len)).sum()
    }

    /// Where `field` starts within its table, in the table's unit (f64s, words or bytes).
    fn start(&self, table: &[Section], field: Field) -> usize {
        table
            .iter()
            .take_while(|s| s.field != field)
            .map(|s| self.len(s.len))
            .sum()
    }

    /// Bytes of the byte sections, before padding.
    pub fn bytes(&self) -> usize {
        self.entries(&BYTES)
    }

    /// Where the 32-bit sections start, in words.
    fn words_at(&self) -> usize {
        HEADER_WORDS + 2 * self.entries(&FLOATS)
    }

    /// Where the byte sections start, in words.
    fn bytes_at(&self) -> usize {
        self.words_at() + self.entries(&WORDS)
    }

    /// Words of the whole buffer, padding included.
    pub fn total_words(&self) -> usize {
        self.bytes_at() + self.bytes().div_ceil(4)
    }
}

/// Appends f64 values as two native-order words each.
pub fn put_f64s(out: &mut Vec<u32>, values: impl Iterator<Item = f64>) {
    for x in values {
        let b = x.to_bits().to_ne_bytes();
        out.push(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
        out.push(u32::from_ne_bytes([b[4], b[5], b[6], b[7]]));
    }
}

/// The f64 values of `words` (two native-order words each).
fn f64s(words: &[u32]) -> Vec<f64> {
    words
        .chunks_exact(2)
        .map(|w| {
            let (a, b) = (w[0].to_ne_bytes(), w[1].to_ne_bytes());
            f64::from_ne_bytes([a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]])
        })
        .collect()
}

/// A batch's buffer read back: its header and sections.
pub struct Views<'a> {
    data: &'a [u32],
    floats: Vec<f64>,
    bytes: Vec<u8>,
    pub sizes: Sizes,
}

impl<'a> Views<'a> {
    /// `None` if the header is not one or the buffer is shorter than it says.
    pub fn new(data: &'a [u32]) -> Option<Views<'a>> {
        let sizes = Header::sizes_of(&f64s(data.get(..HEADER_WORDS)?))?;
        if data.len() < sizes.total_words() {
            return None;
        }
        let floats = f64s(&data[HEADER_WORDS..sizes.words_at()]);
        let bytes = data[sizes.bytes_at()..sizes.total_words()]
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .collect();
        Some(Views {
            data,
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
        let r = self.span(&WORDS, field);
        let at = self.sizes.words_at();
        self.data.get(at + r.start..at + r.end).unwrap_or(&[])
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
        Len::Labels => "labels",
    }
}

/// Straight-line views, advancing `at` (no loop, no table at run time).
fn ts_views(s: &mut String, sections: &[&Section]) {
    for (i, sec) in sections.iter().enumerate() {
        let len = len_name(sec.len);
        s.push_str(&format!(
            "  const {} = new {}(b, at, {len});\n",
            sec.name, sec.array
        ));
        let size = element_bytes(sec.array);
        if i + 1 < sections.len() {
            let step = if size == 1 {
                len.to_string()
            } else {
                format!("{size} * {len}")
            };
            s.push_str(&format!("  at += {step};\n"));
        }
    }
}

/// `return { a, b, … };` as Biome formats it (lines of at most 120 characters).
fn ts_return(s: &mut String, names: &[&str]) {
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
    let all: Vec<&Section> = FLOATS.iter().chain(&WORDS).chain(&BYTES).collect();
    s.push_str(
        "/** A native batch's header values and sections. */\nexport interface BatchViews {\n",
    );
    for name in HEADER {
        s.push_str(&format!("  {name}: number;\n"));
    }
    for sec in &all {
        s.push_str(&format!("  {}: {};\n", sec.name, sec.array));
    }
    s.push_str(
        "}\n\n/** The header and views over the sections of a native batch's buffer (`data.byteOffset`: a multiple of 8). */\n\
         export function batchViews(data: Uint32Array): BatchViews {\n  const b = data.buffer;\n",
    );
    s.push_str(&format!(
        "  const h = new Float64Array(b, data.byteOffset, {});\n",
        HEADER.len()
    ));
    for (i, name) in HEADER.iter().enumerate() {
        s.push_str(&format!("  const {name} = h[{i}] ?? 0;\n"));
    }
    s.push_str(&format!(
        "  let at = data.byteOffset + {};\n",
        4 * HEADER_WORDS
    ));
    ts_views(&mut s, &all);
    let names: Vec<&str> = HEADER
        .iter()
        .copied()
        .chain(all.iter().map(|sec| sec.name))
        .collect();
    ts_return(&mut s, &names);
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
            labels: 2,
        };
        // Header 22 words, then 3 + 2 + 2 f64s.
        assert_eq!(sizes.words_at(), 22 + 14);
        // Four record sections of 3 words, then 4 hits.
        assert_eq!(sizes.start(&WORDS, Field::RuleHitEnds), 12 + 4);
        assert_eq!(sizes.start(&BYTES, Field::Matched), 3);
        assert_eq!(sizes.total_words(), 36 + 18 + 2);
    }

    #[test]
    fn a_buffer_reads_back_its_header_and_refuses_a_short_one() {
        let sizes = Sizes {
            records: 1,
            rules: 1,
            hits: 0,
            labels: 1,
        };
        let head = Header {
            sizes,
            total_ms: 1.5,
            ..Header::default()
        };
        let mut data = Vec::new();
        put_f64s(&mut data, head.values().into_iter());
        put_f64s(&mut data, [-2.25, 7.0, 1.0].into_iter());
        data.extend([0u32; 6]);
        let v = Views::new(&data).expect("a whole buffer");
        assert_eq!(v.sizes, sizes);
        assert_eq!(v.floats(Field::Scores), &[-2.25]);
        assert!(Views::new(&data[..data.len() - 1]).is_none());
        assert!(Views::new(&data[..3]).is_none());
    }
}
