//! Nothing unwinds across the FFI boundary, and errors carry their code.
//!
//! Every call into the core runs inside [`guard`]: a panic becomes a JS `Error`
//! (`[INTERNAL_ERROR] blazerules internal error in …`). Errors meant for JS carry their
//! BlazeRules code as a `[CODE] ` prefix of the message, which the TypeScript layer
//! (`fromNative` in src/errors.ts) turns into `err.code`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use blazerules_core::error::ErrorCode;
use blazerules_core::EvalError;
use napi::bindgen_prelude::*;

/// Turns a panic payload into a readable message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// The error a panic in `what` becomes.
pub(crate) fn internal_error(what: &str, payload: &(dyn std::any::Any + Send)) -> Error {
    coded_error(
        ErrorCode::InternalError,
        &format!(
            "blazerules internal error in {what}: {}",
            panic_message(payload)
        ),
    )
}

/// Runs `f`, converting a panic into a JS-visible error instead of unwinding into Node.
pub(crate) fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(internal_error(what, payload.as_ref())))
}

/// An error whose message carries a BlazeRules code, parsed back by the TypeScript layer.
pub(crate) fn coded_error(code: ErrorCode, message: &str) -> Error {
    Error::new(Status::GenericFailure, format!("[{code}] {message}"))
}

pub(crate) fn eval_error(e: EvalError) -> Error {
    coded_error(e.code, &e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors() {
        let r: Result<()> = guard("test", || panic!("boom"));
        let err = r.expect_err("a panic is an error");
        assert!(
            err.reason.contains("[INTERNAL_ERROR]") && err.reason.contains("boom"),
            "{}",
            err.reason
        );
    }
}
