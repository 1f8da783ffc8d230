//! This repository's own xtask: a thin `main` over the `xtask-release` library, so the
//! project releases itself with itself.

fn main() -> std::process::ExitCode {
    xtask_release::main()
}
