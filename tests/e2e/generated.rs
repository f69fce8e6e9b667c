//! Generated files committed in the repository must match their generators.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::harness::expect_file;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root")
}

#[test]
fn generated_completions_are_fresh() {
    for (shell, file) in [
        (Shell::Bash, "platctl.bash"),
        (Shell::Zsh, "_platctl"),
        (Shell::Fish, "platctl.fish"),
        (Shell::PowerShell, "_platctl.ps1"),
        (Shell::Elvish, "platctl.elv"),
    ] {
        let script = platctl::cmd::completion::script(shell, &mut platctl::Cli::command());
        expect_file(&repo().join("completions").join(file), &script);
    }
}

#[test]
fn generated_cli_reference_is_fresh() {
    expect_file(&repo().join("docs/cli.md"), &platctl::reference::markdown());
}

#[test]
fn completion_command_prints_the_committed_script() {
    let ctl = crate::harness::Ctl::new();
    let out = ctl.ok(&["completion", "bash"]);
    let committed = std::fs::read_to_string(repo().join("completions/platctl.bash")).unwrap_or_default();
    assert_eq!(out, committed);
    ctl.fails(&["completion", "tcsh"], 2);
}
