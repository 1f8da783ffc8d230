//! The standalone `xtask-release` binary: the same CLI as a workspace's `cargo xtask`.

fn main() -> std::process::ExitCode {
    xtask_release::main()
}
