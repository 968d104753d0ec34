//! One module per subcommand, each with a `run` that `main` calls.
//!
//! The site commands (`build`, `check`, `new`, `serve`'s preview) go through
//! `hotline_site`; the staff commands (`cases`, `remind`, `stats`) open a
//! store and a mailer through [`crate::stores`]. `serve` also runs the local
//! API and the reminder loop (its submodules).

pub mod build;
pub mod cases;
pub mod check;
pub mod new;
pub mod remind;
pub mod serve;
pub mod stats;

use std::process::ExitCode;

/// Prints every diagnostic and how many were errors; the command fails.
fn fail(diagnostics: &[casework::Diagnostic]) -> ExitCode {
    eprint!("{}", hotline_site::output::report(diagnostics));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    eprintln!("{errors} error(s); nothing was written");
    ExitCode::FAILURE
}
