//! The dead-letter file: one JSON line per skipped record, with the record itself.

use crate::batch::options::EvalOptions;
use crate::batch::pieces::now_ms;
use crate::batch::result::EvalError;
use crate::batch::sink::Bad;
use crate::error::ErrorCode;
use std::io::Write;

/// Appends one JSON line per skipped record, with the record itself, to the dead-letter file.
pub(crate) fn write_dead_letters(opts: &EvalOptions, bad: &[Bad]) -> Result<(), EvalError> {
    let io_err = |e: std::io::Error| EvalError {
        code: ErrorCode::DeadLetterIo,
        message: format!("dead letter file: {e}"),
    };
    let Some(path) = &opts.dead_letter_path else {
        return Err(EvalError {
            code: ErrorCode::DeadLetterIo,
            message: "ingestErrorMode 'deadLetter' needs deadLetterPath".into(),
        });
    };
    let ts = now_ms();
    let mut buf = Vec::new();
    for b in bad {
        let line = serde_json::json!({
            "ts_ms": ts,
            "code": b.code.as_str(),
            "message": b.message,
            "source": "json",
            "row_index": b.row,
            "column_name": b.column.clone().unwrap_or_default(),
            "record": b.record.as_deref().map(|r| String::from_utf8_lossy(r).into_owned()),
        });
        buf.extend_from_slice(line.to_string().as_bytes());
        buf.push(b'\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err)?;
    f.write_all(&buf).map_err(io_err)
}
