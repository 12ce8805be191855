//! The `tagwall` command; everything lives in [`tagwall::cli`].

fn main() -> std::process::ExitCode {
    tagwall::cli::run()
}
