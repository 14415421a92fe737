//! The reader against simd-json's full parse: the same records accepted and refused, and
//! the same values for every referenced field, with and without learnt shapes.
use super::*;
use crate::value::span;
use simd_json::StaticNode;

const SEEDS: &[&str] = &[
    r#"{"id":"t1","ts":1792592498350,"amount":27.98,"channel":"ecom","card":{"bin":"528731","country":"CA"},"merchant":{"mcc":"5999","risk":{"score":0.0001}},"device":{"ip":"17.68.15.48","ua":"Win/Chrome","o":{"p":[{"q":1}],"r":{}}},"geo":{"lat":56.3,"lon":-110.1},"zz":[1,"a",[true,null],{"q":[2]},[]],"tags":["a","b"],"items":[{"sku":"7852","qty":1}],"flags":4}"#,
    r#"{"id":"t2","ts":-17,"amount":-0.5e3,"channel":"pos","card":{"bin":"5\u0032","country":null},"merchant":{"mcc":5999,"risk":{"score":1E-2}},"device":"none","tags":[],"items":[],"flags":true,"a.b":"lit","a":{"b":"nested"}}"#,
    "{ \"id\" : \"t\\\"3\\u00e9\\ud83d\\ude00\" , \"amount\" : 18446744073709551615 , \"x\" : [ 1 , [ 2 , { \"y\" : false } ] ] , \"card\" : { } }",
    r#"{"amount":-9223372036854775808,"id":"é✓","merchant":{"risk":{"score":[0.5,1]}},"k\"ey":1,"dup":1,"dup":2,"card":{"bin":"1"},"card":{"bin":"2"}}"#,
];

const FIELDS: &[&str] = &[
    "id",
    "ts",
    "amount",
    "channel",
    "card.bin",
    "card.country",
    "merchant.mcc",
    "merchant.risk.score",
    "device.ip",
    "device.ua",
    "tags",
    "items",
    "flags",
    "a.b",
    "dup",
    "k\"ey",
    "x",
];

fn render(t: &[Node<'_>]) -> String {
    match t.first() {
        Some(Node::Object { len, .. }) => {
            let mut out = String::from("{");
            let mut i = 1;
            for _ in 0..*len {
                let k = render(&t[i..]);
                let v = render(&t[i + 1..]);
                out += &format!("{k}:{v},");
                i += 1 + span(&t[i + 1]);
            }
            out + "}"
        }
        Some(Node::Array { len, .. }) => {
            let mut out = String::from("[");
            let mut i = 1;
            for _ in 0..*len {
                out += &render(&t[i..]);
                out += ",";
                i += span(&t[i]);
            }
            out + "]"
        }
        Some(Node::String(s)) => match s.strip_prefix("\0NUM") {
            Some(bits) => format!("F{bits}"),
            None => format!("{s:?}"),
        },
        Some(Node::Static(StaticNode::F64(f))) => format!("F{:x}", f.to_bits()),
        Some(Node::Static(v)) => format!("{v:?}"),
        None => "?".into(),
    }
}

/// What `JSON.parse` and a field lookup say of `line`: Err, Ok(None) for a non-object, or
/// the fields' values (a literal dotted key first, else the nested path; duplicate keys: the
/// last wins). simd-json parses, after `widen` (the only difference from simd-json's own
/// verdict: numbers beyond its range).
fn oracle(line: &[u8], fields: &[String]) -> Result<Option<Vec<Option<String>>>, ()> {
    let mut b = widen(line);
    let tape = simd_json::to_tape(&mut b).map_err(|_| ())?;
    let t = &tape.0;
    if !matches!(t.first(), Some(Node::Object { .. })) {
        return Ok(None);
    }
    Ok(Some(
        fields.iter().map(|f| lookup(t, f).map(render)).collect(),
    ))
}

/// The value of the last key `k` of the object at `t[0]`.
fn member<'a, 't>(t: &'a [Node<'t>], k: &str) -> Option<&'a [Node<'t>]> {
    let Some(Node::Object { len, .. }) = t.first() else {
        return None;
    };
    let (mut i, mut found) = (1, None);
    for _ in 0..*len {
        if matches!(t.get(i), Some(Node::String(s)) if *s == k) {
            found = t.get(i + 1..);
        }
        i += 1 + span(&t[i + 1]);
    }
    found
}

fn lookup<'a, 't>(t: &'a [Node<'t>], field: &str) -> Option<&'a [Node<'t>]> {
    member(t, field).or_else(|| {
        if !field.contains('.') {
            return None;
        }
        field.split('.').try_fold(t, member)
    })
}

/// A string that `render` shows as the f64 with these bits.
const MARK: &str = r"\u0000NUM";

/// `line` with every number token beyond simd-json's range (an integer beyond 64 bits, a
/// float beyond f64's) replaced by a marker string of the f64 `JSON.parse` gives it, and every
/// unpaired surrogate escape by `\ufffd` (which simd-json refuses and we read as U+FFFD).
fn widen(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let (mut i, mut in_str) = (0, false);
    while let Some(&c) = line.get(i) {
        let num = !in_str && (c == b'-' || c.is_ascii_digit());
        let end = if num {
            i + line[i..]
                .iter()
                .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                .count()
        } else if in_str && c == b'\\' {
            (i + surrogate_escape(&line[i..]).map_or(2, |(n, _)| n)).min(line.len())
        } else {
            i + 1
        };
        let tok = &line[i..end];
        match num.then(|| beyond_range(tok)).flatten() {
            Some(f) => out.extend(format!("\"{MARK}{:x}\"", f.to_bits()).bytes()),
            None if in_str && surrogate_escape(tok).is_some_and(|(_, lone)| lone) => {
                out.extend_from_slice(br"\ufffd")
            }
            None => out.extend_from_slice(tok),
        }
        in_str ^= c == b'"';
        i = end;
    }
    out
}

/// A surrogate `\\uXXXX` escape at the start of `s`: its length (12 for a pair) and whether
/// it is unpaired.
fn surrogate_escape(s: &[u8]) -> Option<(usize, bool)> {
    let hex = |from: usize| {
        let h = std::str::from_utf8(s.get(from..from + 4)?).ok()?;
        u32::from_str_radix(h, 16).ok()
    };
    let hi = hex(2).filter(|_| s.starts_with(br"\u"))?;
    let lo = |at: usize| {
        s.get(at..at + 2) == Some(br"\u")
            && hex(at + 2).is_some_and(|l| (0xdc00..0xe000).contains(&l))
    };
    match hi {
        0xd800..0xdc00 if lo(6) => Some((12, false)),
        0xd800..0xe000 => Some((6, true)),
        _ => None,
    }
}

/// The f64 of a JSON number token that simd-json refuses for its range.
fn beyond_range(tok: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(tok).ok()?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let body = t.strip_prefix('-').unwrap_or(t);
    let (mant, exp) = body.split_once(['e', 'E']).unwrap_or((body, ""));
    let (int, frac) = mant.split_once('.').unwrap_or((mant, "0"));
    let exp_ok = exp.is_empty() || digits(exp.trim_start_matches(['+', '-']));
    let int_ok = digits(int) && (int == "0" || !int.starts_with('0'));
    if !(int_ok && digits(frac) && exp_ok && !exp.starts_with("+-") && !exp.starts_with("-+")) {
        return None;
    }
    let f: f64 = t.parse().ok()?;
    let integer = !t.contains(['.', 'e', 'E']);
    let fits = t.parse::<u64>().is_ok() || t.parse::<i64>().is_ok();
    ((integer && !fits) || !f.is_finite()).then_some(f)
}

struct Ours {
    trie: FieldTrie,
    tpl: Templates,
    esc: String,
    key: String,
}

impl Ours {
    fn read(&mut self, line: &[u8]) -> Result<Option<Vec<Option<String>>>, ()> {
        let text = std::str::from_utf8(line).map_err(|_| ())?;
        let n = self.trie.n_slots;
        let (mut tape, mut fixups) = (Vec::new(), Vec::new());
        let (mut slots, mut prio) = (vec![MISSING; n], vec![0u8; n]);
        let out = Out {
            tape: &mut tape,
            fixups: &mut fixups,
            esc: &mut self.esc,
            slots: &mut slots,
            prio: &mut prio,
            key: &mut self.key,
            seen: &mut vec![false; self.trie.n_nodes()],
            dups: &mut Vec::new(),
            reject_dups: false,
        };
        match read_record(text, 1, &self.trie, out, &mut self.tpl).map_err(|_| ())? {
            Read::NotObject => return Ok(None),
            Read::Object => {}
        }
        let esc = self.esc.clone();
        for f in &fixups {
            tape[f.node as usize] = Node::String(&esc[f.at as usize..(f.at + f.len) as usize]);
        }
        Ok(Some(
            slots
                .iter()
                .map(|&i| (i != MISSING).then(|| render(&tape[i as usize..])))
                .collect(),
        ))
    }
}

fn check(fields: &[&str], lines: &[Vec<u8>]) -> usize {
    let fields: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    let enabled = FieldTrie::new(&fields).disjoint;
    let mut ours = Ours {
        trie: FieldTrie::new(&fields),
        tpl: Templates::new(enabled),
        esc: String::new(),
        key: String::new(),
    };
    let mut accepted = 0;
    for line in lines {
        // Keep trying shapes on every record, however many mutants failed to fit.
        ours.tpl.misses = 0;
        let want = oracle(line, &fields);
        let got = ours.read(line);
        assert_eq!(got, want, "record {:?}", String::from_utf8_lossy(line));
        accepted += usize::from(matches!(want, Ok(Some(_))));
    }
    accepted
}

/// Every seed, then every one-byte deletion, insertion and replacement of it, each right
/// after the seed itself (so that shapes learnt from it are tried on the mutant).
fn mutants() -> Vec<Vec<u8>> {
    const BYTES: &[u8] = b"{}[]:,\"\\ 0123456789eE.-+tfnulx\x00\x1f\x7f\xc3\xa9\t\r";
    let mut out = Vec::new();
    for seed in SEEDS {
        let s = seed.as_bytes();
        for i in 0..=s.len() {
            let mut variants = Vec::new();
            if i < s.len() {
                let mut d = s.to_vec();
                d.remove(i);
                variants.push(d);
            }
            for &b in BYTES {
                let mut ins = s.to_vec();
                ins.insert(i, b);
                variants.push(ins);
                if i < s.len() {
                    let mut rep = s.to_vec();
                    rep[i] = b;
                    variants.push(rep);
                }
            }
            for v in variants {
                out.push(s.to_vec());
                out.push(v);
            }
        }
    }
    out
}

#[test]
fn agrees_with_simd_json_on_mutated_records() {
    let lines = mutants();
    let accepted = check(FIELDS, &lines);
    assert!(accepted > lines.len() / 2, "{accepted} of {}", lines.len());
    // Overlapping fields (`card` and `card.bin`): no shapes, the general reader alone.
    let mut overlap = FIELDS.to_vec();
    overlap.extend(["card", "merchant.risk"]);
    check(&overlap, &lines);
}

#[test]
fn records_without_a_common_shape_stop_the_shape_matching() {
    let fields: Vec<String> = FIELDS.iter().map(|s| s.to_string()).collect();
    let mut ours = Ours {
        trie: FieldTrie::new(&fields),
        tpl: Templates::new(true),
        esc: String::new(),
        key: String::new(),
    };
    for i in 0..300 {
        // A new key first in every record: no learnt shape fits the next one.
        let line = format!(r#"{{"k{i}":1,"id":"x{i}","amount":{i}}}"#);
        let got = ours.read(line.as_bytes()).expect("valid").expect("object");
        assert_eq!(
            got[0].as_deref(),
            Some(format!("{:?}", format!("x{i}")).as_str())
        );
    }
    assert!(!ours.tpl.trying());
    assert!(ours.tpl.misses < 100, "{} misses", ours.tpl.misses);
}

#[test]
fn agrees_on_edge_cases() {
    let deep = |n: usize| format!("{{\"x\":{}{}}}", "[".repeat(n), "]".repeat(n)).into_bytes();
    let mut lines: Vec<Vec<u8>> = [
        "{}",
        "[]",
        "5",
        "\"s\"",
        "null",
        "{\"id\":1e400}",
        "{\"id\":-1e400}",
        "{\"id\":1e-400}",
        "{\"id\":18446744073709551616}",
        "{\"id\":-9223372036854775809}",
        "{\"id\":01}",
        "{\"id\":1.}",
        "{\"id\":.5}",
        "{\"id\":-}",
        "{\"id\":1e}",
        "{\"id\":\"\\ud800\"}",
        "{\"id\":\"\\udc00\"}",
        "{\"id\":\"\\ud800\\u0041\"}",
        "{\"id\":\"\\ud800\\udc00\"}",
        "{\"id\":\"\\udc00\\ud800\"}",
        "{\"id\":\"a\\ud800\\ud800b\"}",
        "{\"\\ud800\":1,\"id\":\"\\udfff\"}",
        "{\"id\":\"\\ud800\\u00\"}",
        "{\"id\":\"\\x\"}",
        "{\"id\":\"a\tb\"}",
        "{\"id\":tru}",
        "{\"id\":nulls}",
        "{\"id\":1}x",
        "{\"id\":1} ",
        " {\"id\":1}",
        "{\"id\":1,}",
        "{,}",
        "{\"id\" 1}",
        "{\"id\":[1,]}",
        "\u{feff}{}",
        "{\"id\":12345678901234567890123}",
        "{\"id\":0.1234567890123456789012}",
        "{\"id\":9007199254740993.0}",
        "{\"id\":123456789012345678}",
        "{\"id\":1234567890123456789}",
        "{\"id\":-1234567890123456789}",
        "{\"id\":123456789012345678901234567890,\"amount\":-1e400,\"x\":[1e999]}",
        "{\"card\":{\"bin\":\"1\",\"country\":\"CA\"},\"card\":{\"bin\":\"2\"}}",
        "{\"card\":{\"bin\":\"1\"},\"card\":{}}",
        "{\"card\":{\"bin\":\"1\"},\"card\":5,\"id\":1,\"id\":{}}",
        "{\"a.b\":1,\"a\":{\"b\":2},\"a\":{\"b\":3},\"a.b\":4}",
        "{\"merchant\":{\"risk\":{\"score\":1}},\"merchant\":{\"mcc\":\"1\",\"risk\":{}}}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    lines.extend([deep(1022), deep(1023), deep(1024), deep(5000)]);
    lines.push(b"{\"id\":0.1}".to_vec());
    lines.push(format!("{{\"id\":1{}}}", "0".repeat(400)).into_bytes());
    lines.push(format!("{{\"id\":1{}.5}}", "0".repeat(400)).into_bytes());
    check(FIELDS, &lines);
}

/// The repeated keys a record names, and the record refused instead when asked.
fn dups(line: &str, fields: &[&str], reject: bool) -> (Result<Read, Malformed>, Vec<String>) {
    let fields: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    let trie = FieldTrie::new(&fields);
    let n = trie.n_slots;
    let (mut tape, mut fixups, mut esc, mut key) =
        (Vec::new(), Vec::new(), String::new(), String::new());
    let (mut slots, mut prio, mut found) = (vec![MISSING; n], vec![0u8; n], Vec::new());
    let out = Out {
        tape: &mut tape,
        fixups: &mut fixups,
        esc: &mut esc,
        slots: &mut slots,
        prio: &mut prio,
        key: &mut key,
        seen: &mut vec![false; trie.n_nodes()],
        dups: &mut found,
        reject_dups: reject,
    };
    let got = read_record(line, 1, &trie, out, &mut Templates::new(true));
    (got, found)
}

#[test]
fn repeated_keys_are_named_or_refuse_the_record() {
    let fields = ["amount", "card.bin", "a.b"];
    let line = r#"{"amount":5,"x":1,"x":2,"amount":20000,"card":{"bin":"1"},"card":{"bin":"2","bin":"3"}}"#;
    let (got, found) = dups(line, &fields, false);
    assert_eq!(got, Ok(Read::Object));
    // Keys no rule reads are not tracked.
    assert_eq!(found, ["amount", "card", "card.bin"]);
    let (got, found) = dups(line, &fields, true);
    assert_eq!(
        got,
        Err(Malformed {
            at: 24,
            what: DUPLICATE_KEY
        })
    );
    assert_eq!(found, ["amount"]);
    let (got, found) = dups(r#"{"a\u002eb":1,"a.b":2,"a":{"b":1}}"#, &fields, false);
    assert_eq!((got, found), (Ok(Read::Object), vec!["a.b".to_string()]));
}
