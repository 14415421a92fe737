//! What a rule set keeps to explain its decisions: each rule's condition as written (compact
//! JSON text, about the size of the rules file's conditions), where it is in the document and
//! what the rule does; compiled into the explanation tree (`build`) at the first explanation
//! and kept from then on, so that a rule set never explained costs only the text.

use super::build::{build, Tree};
use crate::rules::compile::Windows;
use crate::rules::load::{Doc, Hint};
use crate::rules::lookup::LookupSet;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub(crate) struct Source {
    /// Per rule: its `conditions` as written, as compact JSON.
    pub written: Vec<Box<str>>,
    /// Per rule: its document path (`ruleset.rules[3]`).
    pub paths: Vec<String>,
    /// Per rule: its action's label (`BLOCK`, …).
    pub actions: Vec<&'static str>,
    pub hints: HashMap<String, Hint>,
    pub lookups: HashMap<String, Arc<LookupSet>>,
    /// The rule set's fields in slot order (the explanation's leaves read the same slots).
    pub fields: Vec<String>,
    tree: OnceLock<Tree>,
}

impl Source {
    pub fn new(written: Vec<Box<str>>, fields: Vec<String>, doc: &Doc) -> Source {
        Source {
            written,
            paths: doc.rules.iter().map(|r| r.path.clone()).collect(),
            actions: doc.rules.iter().map(|r| r.action.label()).collect(),
            hints: doc.hints.clone(),
            lookups: doc.lookups.clone(),
            fields,
            tree: OnceLock::new(),
        }
    }

    /// The explanation tree, built on first use.
    pub fn tree(&self, rule_ids: &[String], windows: &Windows) -> &Tree {
        self.tree.get_or_init(|| build(self, rule_ids, windows))
    }
}
