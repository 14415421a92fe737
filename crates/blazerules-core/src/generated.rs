//! TypeScript files generated from Rust definitions (the error codes here, the batch wire layout
//! in the node crate), so that each is defined once. Each generator has a test that calls
//! [`keep_current`]: it fails while the committed file differs, and rewrites the file when
//! `BLAZERULES_WRITE_GENERATED` is set (`BLAZERULES_WRITE_GENERATED=1 cargo test --workspace generated`
//! after changing a definition).

/// Checks that the file at `path` holds `want`; with `BLAZERULES_WRITE_GENERATED` set, writes it first.
pub fn keep_current(path: &str, want: &str) -> Result<(), String> {
    if std::env::var_os("BLAZERULES_WRITE_GENERATED").is_some() {
        std::fs::write(path, want).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    if have == want {
        Ok(())
    } else {
        Err(format!(
            "{path} is out of date: run BLAZERULES_WRITE_GENERATED=1 cargo test --workspace generated"
        ))
    }
}
