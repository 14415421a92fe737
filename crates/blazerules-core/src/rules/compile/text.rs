//! Operators on one field's text or members: string ops, lengths, regexes, lookups and
//! array lengths (§2.7, §2.8, §2.9, §2.13).

use super::leaf::On;
use super::{Compiler, FieldRef, Test, CATEGORICAL, TEXT};
use crate::error::ErrorCode;
use crate::rules::load::HintType;
use crate::rules::lookup::LookupSet;
use crate::rules::op::{Cmp, StrOp};

impl Compiler<'_> {
    pub(super) fn string(&mut self, on: &On<'_, '_, '_>, f: FieldRef, op: StrOp) -> Option<Test> {
        self.check(on, "string operators", &[HintType::Str]);
        let (s, _) = self.text_value(on.m, on.at, "a string")?;
        let finder = Box::new(memchr::memmem::Finder::new(s.as_bytes()).into_owned());
        Some(Test::Str {
            f,
            op,
            s: s.into(),
            finder,
        })
    }

    /// `length_*`: the string's length in bytes.
    pub(super) fn length(&mut self, on: &On<'_, '_, '_>, f: FieldRef, cmp: Cmp) -> Option<Test> {
        self.check(on, "string operators", &[HintType::Str]);
        let (v, key) = self.value_of(on.m, on.at)?;
        let n = self.integer(v, on.at, key)?;
        Some(Test::Len { f, cmp, n })
    }

    /// An invalid pattern is an UNKNOWN_OP problem (BlazeRules rejects it when compiling).
    pub(super) fn regex(&mut self, on: &On<'_, '_, '_>, f: FieldRef, negate: bool) -> Option<Test> {
        self.check(on, "regex operators", &[HintType::Str]);
        let (p, key) = self.text_value(on.m, on.at, "a string")?;
        match regex::RegexBuilder::new(&p).size_limit(1 << 24).build() {
            Ok(re) => Some(Test::Regex {
                f,
                re: Box::new(re),
                negate,
            }),
            Err(e) => {
                let msg = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid")
                    .trim()
                    .to_string();
                self.err(
                    ErrorCode::UnknownOp,
                    format!("invalid regex pattern: {p}: {msg}"),
                    on.at,
                    key,
                );
                None
            }
        }
    }

    /// `in_lookup` / `not_in_lookup`: the field type must suit the lookup's kind.
    pub(super) fn lookup(
        &mut self,
        on: &On<'_, '_, '_>,
        f: FieldRef,
        negate: bool,
    ) -> Option<Test> {
        let Some(lname) = self.text(on.m, "lookup", on.at).ok()? else {
            self.err(
                ErrorCode::YamlSyntaxError,
                "missing required key 'lookup'",
                on.at,
                "",
            );
            return None;
        };
        let Some(set) = self.lookups.get(&lname).cloned() else {
            self.err(
                ErrorCode::MissingRequiredField,
                format!("unknown lookup: {lname}"),
                on.at,
                "lookup",
            );
            return None;
        };
        let allowed: &[HintType] = match &*set {
            LookupSet::Str(_) => TEXT,
            LookupSet::Int(_) => &[HintType::I32, HintType::I64, HintType::Timestamp],
            LookupSet::Cidr(_) => &[HintType::Str, HintType::I32, HintType::I64],
        };
        self.check(on, "this lookup's operators", allowed);
        Some(Test::Lookup { f, set, negate })
    }

    /// `array_len_*`; which members count is settled later (`close_categoricals`).
    pub(super) fn array_len(&mut self, on: &On<'_, '_, '_>, f: FieldRef, cmp: Cmp) -> Option<Test> {
        self.check(on, "array_len operators", CATEGORICAL);
        let (v, key) = self.value_of(on.m, on.at)?;
        let n = self.integer(v, on.at, key)?;
        Some(Test::ArrayLen {
            f,
            cmp,
            n,
            known: None,
            bytes: false,
        })
    }
}
