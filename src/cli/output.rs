//! Where commands write: results to standard output, warnings to standard error.
//!
//! `println!` panics when the reader of a pipe has gone (`tagwall translate ... | head`): Rust
//! ignores SIGPIPE, so the write fails with `EPIPE`. A closed pipe means nobody wants the rest,
//! so the output stops there quietly and the command ends with its usual exit code.

use std::io::{self, Write};

use super::CliError;

/// Writes `text` to standard output; a reader that went away ends the output quietly.
pub(super) fn print(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(CliError(format!(
            "cannot write to standard output: {error}"
        ))),
        _ => Ok(()),
    }
}

/// Writes `text` and a line break to standard output (see [`print`]).
pub(super) fn println(text: &str) -> Result<(), CliError> {
    print(&format!("{text}\n"))
}

/// Writes `tagwall: warning: {message}` to standard error; a closed standard error loses the
/// warning rather than failing the command.
pub(super) fn warn(message: &str) {
    let _ = writeln!(io::stderr().lock(), "tagwall: warning: {message}");
}

/// Writes `tagwall: error: {message}` to standard error.
pub(super) fn error(message: &str) {
    let _ = writeln!(io::stderr().lock(), "tagwall: error: {message}");
}
