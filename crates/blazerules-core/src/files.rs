//! Reading the files the engine is given (rules files, lookup CSVs, record files): regular
//! files only, never more than a limit, and lookups only from allowed directories. A FIFO, a
//! device such as `/dev/zero` or a directory is refused before a byte is read; a file over its
//! limit is refused by its size, and a file that grows while it is read stops at the limit.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::ErrorCode;

/// Default limit of a rules file (`maxRulesFileBytes`): 16 MiB.
pub const DEFAULT_MAX_RULES_FILE_BYTES: u64 = 16 << 20;
/// Default limit of one lookup CSV file (`maxLookupFileBytes`): 256 MiB.
pub const DEFAULT_MAX_LOOKUP_FILE_BYTES: u64 = 256 << 20;
/// Default limit of a record file read whole (`maxFileBytes`): 1 GiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

/// A file that could not be read, or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// `IO_ERROR` (missing, unreadable, not a regular file) or `FILE_TOO_LARGE`.
    pub code: ErrorCode,
    pub message: String,
    /// The file does not exist.
    pub not_found: bool,
}

/// What the file is, when it is not a regular file.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Opens without blocking: opening a FIFO for reading would otherwise wait for a writer.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

/// Reads the regular file `path` whole, refusing it if it is larger than `max_bytes` (0 = no
/// limit). `what` names the file in messages ("rules file"), `setting` the limit's option.
pub fn read_limited(
    path: &Path,
    max_bytes: u64,
    what: &str,
    setting: &str,
) -> Result<Vec<u8>, FileError> {
    let shown = path.display();
    let io = |e: std::io::Error| FileError {
        code: ErrorCode::IoError,
        message: format!("cannot read {what} {shown}: {e}"),
        not_found: e.kind() == std::io::ErrorKind::NotFound,
    };
    let file = open_nonblocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(FileError {
            code: ErrorCode::IoError,
            message: format!(
                "cannot read {what} {shown}: it is {}, not a regular file",
                kind_of(&meta)
            ),
            not_found: false,
        });
    }
    let limit = if max_bytes == 0 { u64::MAX } else { max_bytes };
    let too_large = |size: String| FileError {
        code: ErrorCode::FileTooLarge,
        message: format!(
            "{what} {shown} is {size} bytes, over the limit of {max_bytes} bytes ({setting})"
        ),
        not_found: false,
    };
    if meta.len() > limit {
        return Err(too_large(meta.len().to_string()));
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // One byte past the limit tells a file that grew while it was read.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() as u64 > limit {
        return Err(too_large(format!("more than {max_bytes}")));
    }
    Ok(data)
}

/// Where lookup files may be read from, and how large they may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupLimits {
    /// Directories besides the rules file's own that lookup paths may resolve into.
    pub roots: Vec<PathBuf>,
    /// Limit of one lookup file in bytes (0 = no limit).
    pub max_bytes: u64,
}

impl Default for LookupLimits {
    fn default() -> Self {
        LookupLimits {
            roots: Vec::new(),
            max_bytes: DEFAULT_MAX_LOOKUP_FILE_BYTES,
        }
    }
}

/// `path` absolute, with symlinks and `..` resolved; for a path that does not exist, `..`
/// folded lexically (so a missing file outside the roots is refused as outside, not found).
fn real(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

impl LookupLimits {
    /// Whether `file` (symlinks and `..` resolved) lies inside `base_dir` or one of the roots.
    pub fn allows(&self, base_dir: &Path, file: &Path) -> bool {
        let file = real(file);
        std::iter::once(base_dir)
            .chain(self.roots.iter().map(PathBuf::as_path))
            .map(real)
            .any(|root| file.starts_with(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("blazerules-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn regular_files_within_the_limit_only() {
        let dir = temp_dir("limit");
        let f = dir.join("a.csv");
        std::fs::write(&f, "value\nx\n").expect("write");
        assert_eq!(
            read_limited(&f, 8, "lookup file", "max").expect("fits"),
            b"value\nx\n"
        );
        assert_eq!(
            read_limited(&f, 0, "lookup file", "max")
                .expect("no limit")
                .len(),
            8
        );
        let e = read_limited(&f, 7, "lookup file", "maxLookupFileBytes").expect_err("too large");
        assert_eq!(e.code, ErrorCode::FileTooLarge);
        assert!(
            e.message
                .contains("is 8 bytes, over the limit of 7 bytes (maxLookupFileBytes)"),
            "{}",
            e.message
        );
        let e = read_limited(&dir, 0, "lookup file", "max").expect_err("a directory");
        assert_eq!(e.code, ErrorCode::IoError);
        assert!(
            e.message.ends_with("it is a directory, not a regular file"),
            "{}",
            e.message
        );
        let e = read_limited(Path::new("/dev/zero"), 0, "lookup file", "max").expect_err("device");
        assert!(
            e.message.contains("/dev/zero: it is a character device"),
            "{}",
            e.message
        );
        let e = read_limited(&dir.join("nope"), 0, "lookup file", "max").expect_err("missing");
        assert!(e.not_found && e.code == ErrorCode::IoError);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn lookups_stay_inside_their_roots() {
        let dir = temp_dir("roots");
        let (rules, other) = (dir.join("rules"), dir.join("other"));
        std::fs::create_dir_all(rules.join("sub")).expect("mkdir");
        std::fs::create_dir_all(&other).expect("mkdir");
        std::fs::write(rules.join("sub/in.csv"), "v\n").expect("write");
        std::fs::write(other.join("out.csv"), "v\n").expect("write");
        let limits = LookupLimits::default();
        assert!(limits.allows(&rules, &rules.join("sub/../sub/in.csv")));
        assert!(!limits.allows(&rules, &rules.join("../other/out.csv")));
        assert!(limits.allows(&rules, &rules.join("missing.csv")));
        assert!(!limits.allows(&rules, &rules.join("../missing.csv")));
        let wider = LookupLimits {
            roots: vec![other.clone()],
            ..limits
        };
        assert!(wider.allows(&rules, &rules.join("../other/out.csv")));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(other.join("out.csv"), rules.join("link.csv"))
                .expect("symlink");
            assert!(!LookupLimits::default().allows(&rules, &rules.join("link.csv")));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
