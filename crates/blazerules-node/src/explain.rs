//! `RuleEngine.explain` (service.md §2): one record explained on the calling thread, handed to
//! JS as JSON text with the contract's names (`blazerules_core::explain`): one string that
//! `JSON.parse` reads is several times cheaper than building the tree property by property
//! across the boundary. Window conditions read the call's shard without adding the record.

use blazerules_core::explain::ExplainError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::guard::{coded_error, guard};
use crate::load::NativeRuleSet;
use crate::options::NativeEvalConfig;
use crate::windows::{call_options, NativeCallOptions};

#[napi]
impl NativeRuleSet {
    /// Explains one record (JSON object text): a record that cannot be read is a coded error
    /// (`[MALFORMED_JSON] …`, as a batch reports it).
    #[napi]
    pub fn explain_one(
        &self,
        record: Buffer,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<String> {
        let opts = call_options(&self.inner, config, call.as_ref())?;
        guard("explain", || {
            self.inner
                .explain(record.as_ref(), &opts)
                .map(|e| e.to_json())
                .map_err(|e: ExplainError| coded_error(e.code, &e.message))
        })
    }
}
