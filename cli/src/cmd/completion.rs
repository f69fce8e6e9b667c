//! completion SHELL.

use clap::Args;
use clap_complete::Shell;

use crate::error::Failure;
use crate::output::emit;

#[derive(Args, Debug)]
pub struct Completion {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

impl Completion {
    pub fn run(self, command: &mut clap::Command) -> Result<(), Failure> {
        emit(&script(self.shell, command))
    }
}

/// The completion script of `shell`, as committed under `completions/`.
pub fn script(shell: Shell, command: &mut clap::Command) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, command, "platctl", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
