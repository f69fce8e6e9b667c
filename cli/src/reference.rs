//! `docs/cli.md`, generated from the clap definitions (a test fails when the
//! committed file differs).

use std::fmt::Write;

use clap::{Command, CommandFactory};

use crate::Cli;

/// The CLI reference as Markdown.
pub fn markdown() -> String {
    let mut root = Cli::command();
    root.build();
    let mut out = String::new();
    out.push_str("# platctl reference\n\n");
    out.push_str("<!-- Generated from the clap definitions in cli/src; do not edit. Refresh with:\n");
    out.push_str("     UPDATE_EXPECT=1 cargo test -p plat-e2e --test e2e generated -->\n\n");
    if let Some(about) = root.get_about() {
        let _ = writeln!(out, "{about}\n");
    }
    out.push_str("## Global flags\n\nEvery command takes these.\n\n");
    options(&mut out, root.get_arguments().filter(|a| a.is_global_set()));
    out.push_str(
        "\n## Exit codes\n\n\
         | code | meaning |\n|---|---|\n\
         | 0 | ok |\n\
         | 1 | error: the server said no, not found, an inactive token, `can-i` said no, import lines rejected |\n\
         | 2 | usage: a bad flag, or a destructive command without `--yes` off a terminal |\n\
         | 3 | `check run` found drift |\n\
         | 4 | `health` found a component unhealthy |\n\
         | 5 | the server cannot be reached |\n\n",
    );
    out.push_str("## Commands\n\n");
    for sub in root.get_subcommands() {
        command(&mut out, sub, "platctl");
    }
    out
}

fn command(out: &mut String, cmd: &Command, parent: &str) {
    let path = format!("{parent} {}", cmd.get_name());
    let has_subcommands = cmd.get_subcommands().next().is_some();
    let level = if parent == "platctl" { "###" } else { "####" };
    let _ = writeln!(out, "{level} `{path}`\n");
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        let _ = writeln!(out, "{}\n", sentence(&about.to_string()));
    }
    if !has_subcommands {
        let usage = cmd.clone().bin_name(&path).render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").trim();
        let _ = writeln!(out, "```\n{usage}\n```\n");
        let positionals: Vec<_> = cmd.get_positionals().collect();
        let flags: Vec<_> =
            cmd.get_arguments().filter(|a| !a.is_positional() && !a.is_global_set() && !is_builtin(a)).collect();
        if !positionals.is_empty() || !flags.is_empty() {
            options(out, positionals.into_iter().chain(flags));
            out.push('\n');
        }
    }
    for sub in cmd.get_subcommands() {
        command(out, sub, &path);
    }
}

fn is_builtin(arg: &clap::Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version")
}

fn options<'a>(out: &mut String, args: impl Iterator<Item = &'a clap::Arg>) {
    out.push_str("| argument | description |\n|---|---|\n");
    for arg in args.filter(|a| !is_builtin(a) && !a.is_hide_set()) {
        let name = match (arg.get_short(), arg.get_long()) {
            _ if arg.is_positional() => arg
                .get_value_names()
                .and_then(|v| v.first())
                .map_or_else(|| arg.get_id().to_string(), |v| v.to_string()),
            (Some(s), Some(l)) => format!("-{s}, --{l}"),
            (None, Some(l)) => format!("--{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, None) => arg.get_id().to_string(),
        };
        let takes_value = arg.get_action().takes_values() && !arg.is_positional();
        let value = match arg.get_value_names() {
            Some(names) if takes_value => format!(" {}", names.join(" ")),
            None if takes_value => format!(" {}", arg.get_id().as_str().to_uppercase()),
            _ => String::new(),
        };
        let mut help = arg.get_help().map(|h| sentence(&h.to_string())).unwrap_or_default();
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| format!("`{}`", v.get_name()))
            .collect();
        if !possible.is_empty() && !matches!(arg.get_action(), clap::ArgAction::SetTrue | clap::ArgAction::Count) {
            help.push_str(&format!(" One of {}.", possible.join(", ")));
        }
        let defaults: Vec<String> =
            arg.get_default_values().iter().map(|v| format!("`{}`", v.to_string_lossy())).collect();
        if !defaults.is_empty() && !matches!(arg.get_action(), clap::ArgAction::SetTrue | clap::ArgAction::Count) {
            help.push_str(&format!(" Default {}.", defaults.join(", ")));
        }
        if let Some(env) = arg.get_env() {
            help.push_str(&format!(" Env `{}`.", env.to_string_lossy()));
        }
        if arg.get_num_args().is_some_and(|n| n.max_values() > 1) || matches!(arg.get_action(), clap::ArgAction::Append)
        {
            help.push_str(" Repeatable.");
        }
        let _ = writeln!(out, "| `{name}{value}` | {} |", help.trim().replace('|', "\\|"));
    }
}

/// clap drops the final period of a one-sentence doc comment; a table reads better with it.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() || text.ends_with(['.', '?', '!', ':']) { text.to_owned() } else { format!("{text}.") }
}
