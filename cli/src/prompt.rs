//! Prompts: confirmation of destructive commands, hidden password entry,
//! secrets from stdin. Without a terminal nothing is asked: destructive
//! commands then need `--yes`, passwords `--password-stdin`.

use std::io::{IsTerminal, Read};

use dialoguer::{Confirm, Input, Password};

use crate::error::Failure;

pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Ask before `action` (e.g. "delete user bob (bob@acme.test)"); `yes` skips the question.
pub fn confirm(action: &str, yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !interactive() {
        return Err(Failure::usage(format!("refusing to {action} without confirmation: stdin is not a terminal"))
            .with_hint("pass --yes to confirm"));
    }
    let prompt = format!("{}?", capitalise(action));
    let confirmed = Confirm::new().with_prompt(prompt).default(false).interact().map_err(dialog_err)?;
    if confirmed { Ok(()) } else { Err(Failure::error("aborted")) }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A hidden password from the terminal; `confirm` asks twice.
pub fn password(prompt: &str, confirm: bool) -> Result<String, Failure> {
    if !interactive() {
        return Err(Failure::usage("cannot ask for a password: stdin is not a terminal")
            .with_hint("pipe it in with --password-stdin"));
    }
    let mut dialog = Password::new().with_prompt(prompt);
    if confirm {
        dialog = dialog.with_confirmation("Repeat it", "the two entries differ");
    }
    dialog.interact().map_err(dialog_err)
}

pub fn text(prompt: &str, flag: &str) -> Result<String, Failure> {
    if !interactive() {
        return Err(Failure::usage(format!("{flag} is required when stdin is not a terminal")));
    }
    Input::<String>::new().with_prompt(prompt).interact_text().map_err(dialog_err)
}

/// A secret piped in: all of stdin without the final line break.
pub fn stdin_secret(what: &str) -> Result<String, Failure> {
    let mut buf = String::new();
    std::io::stdin().read_to_string(&mut buf).map_err(|e| Failure::error(format!("cannot read {what}: {e}")))?;
    let secret = buf.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&buf).to_owned();
    if secret.is_empty() {
        return Err(Failure::usage(format!("no {what} on stdin")));
    }
    Ok(secret)
}

/// A random password of 20 letters and digits (about 119 bits).
pub fn generate_password() -> Result<String, Failure> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Failure::error(format!("no randomness: {e}")))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for b in bytes {
            if (b as usize) < limit && out.len() < 20 {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

fn dialog_err(e: dialoguer::Error) -> Failure {
    Failure::error(format!("prompt failed: {e}"))
}
