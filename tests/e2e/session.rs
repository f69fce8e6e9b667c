//! login, logout, whoami, contexts, token refresh, errors and exit codes.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{ADMIN_PASSWORD, Ctl, Platd, redact, snapshot};

fn config_value(ctl: &Ctl, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(ctl.config_path()).ok()?;
    text.lines().find_map(|l| l.trim().strip_prefix(&format!("{key} = ")).map(|v| v.trim_matches('"').to_owned()))
}

#[test]
fn login_writes_a_private_context_and_logout_ends_the_session() {
    let p = Platd::start();
    let ctl = p.ctl();
    // No terminal and no --password-stdin: refused as usage, nothing asked.
    let out = ctl.fails(&["login", "--username", "admin"], 2);
    assert!(out.stderr.contains("--password-stdin"), "{out:?}");
    let out = ctl.run_stdin(&["login", "--username", "admin", "--password-stdin"], "wrong-password\n");
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("error: INVALID_CREDENTIALS: "), "{out:?}");
    assert!(out.stderr.contains("(request id: req_"), "{out:?}");

    let out = ctl.run_stdin(&["login", "--username", "admin", "--password-stdin"], &format!("{ADMIN_PASSWORD}\n"));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("as admin@system (context \"default\")"), "{out:?}");
    let mode = std::fs::metadata(ctl.config_path()).expect("config").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the config holds tokens");

    snapshot("whoami", &redact(&ctl.ok(&["whoami"]), &p.url));
    let me = ctl.json(&["whoami"]);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["permissions"][0], "*");

    let refresh = config_value(&ctl, "refresh_token").expect("refresh token stored");
    let out = ctl.run(&["logout"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(config_value(&ctl, "refresh_token"), None, "tokens forgotten");
    let out = ctl.fails(&["whoami"], 1);
    assert!(out.stderr.starts_with("error: UNAUTHORIZED"), "{out:?}");
    assert!(out.stderr.contains("hint: run `platctl login`"), "{out:?}");

    // The session is over on the server too: its refresh token no longer works.
    let config = std::fs::read_to_string(ctl.config_path()).expect("config");
    let expired = "eyJhbGciOiJFZERTQSJ9.eyJleHAiOjF9.c2ln";
    let config = config.replace(
        "username = \"admin\"",
        &format!("username = \"admin\"\ntoken = \"{expired}\"\nrefresh_token = \"{refresh}\""),
    );
    std::fs::write(ctl.config_path(), config).expect("write config");
    let out = ctl.fails(&["whoami"], 1);
    assert!(out.stderr.starts_with("error: INVALID_TOKEN"), "{out:?}");
    assert!(out.stderr.contains("platctl login"), "{out:?}");
}

#[test]
fn logout_all_ends_every_session() {
    let p = Platd::start();
    let (first, second) = (p.admin(), p.admin());
    let out = first.run(&["logout", "--all"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("Ended"), "{out:?}");
    // The other machine's access token was revoked with its session.
    let out = second.run(&["whoami"]);
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn contexts_hold_servers_and_tenants() {
    let p = Platd::start();
    // No PLATCTL_SERVER: the server comes from --server, then from the context.
    let ctl = Ctl::new();
    ctl.ok_stdin(&["--server", &p.url, "login", "-u", "admin", "--password-stdin"], ADMIN_PASSWORD);
    ctl.ok(&["context", "add", "staging", "--server", "http://127.0.0.1:1", "--tenant", "acme"]);
    snapshot("context-list", &redact(&ctl.ok(&["context", "list"]), &p.url));
    assert_eq!(ctl.ok(&["context", "list", "-o", "name"]), "default\nstaging\n");

    ctl.ok(&["context", "use", "staging"]);
    let out = ctl.fails(&["whoami"], 5);
    assert!(out.stderr.starts_with("error: cannot reach http://127.0.0.1:1: "), "{out:?}");
    assert!(out.stderr.contains("hint: "), "{out:?}");
    // --context picks another one for a single command.
    assert!(ctl.ok(&["--context", "default", "whoami"]).contains("admin@system"));
    let out = ctl.fails(&["--context", "nope", "whoami"], 2);
    assert!(out.stderr.contains("no context named \"nope\""), "{out:?}");
    ctl.fails(&["context", "use", "nope"], 1);
    ctl.fails(&["context", "add", "staging", "--server", "http://x"], 1);
    ctl.fails(&["context", "add", "nowhere"], 2);

    ctl.ok(&["context", "use", "default"]);
    ctl.ok(&["context", "remove", "staging"]);
    assert_eq!(ctl.ok(&["context", "list", "-o", "name"]), "default\n");
    let mode = std::fs::metadata(ctl.config_path()).expect("config").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn an_expiring_access_token_is_refreshed_and_saved() {
    // Tokens live 17 s; platctl refreshes those within 15 s of expiry.
    let p = Platd::start_with(&[("PLATD_AUTH__ACCESS_TTL", "17s")]);
    let ctl = p.admin();
    let before = config_value(&ctl, "token").expect("token");
    let refresh_before = config_value(&ctl, "refresh_token").expect("refresh");
    ctl.ok(&["whoami"]);
    assert_eq!(config_value(&ctl, "token").as_deref(), Some(before.as_str()), "fresh tokens are kept");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let out = ctl.run(&["-v", "whoami"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("refreshed the access token"), "{out:?}");
    let after = config_value(&ctl, "token").expect("token");
    assert_ne!(after, before, "the new access token is saved");
    assert_ne!(config_value(&ctl, "refresh_token").expect("refresh"), refresh_before, "and the rotated refresh token");
    // And the refreshed session keeps working.
    ctl.ok(&["tenant", "list"]);
}

#[test]
fn errors_carry_code_request_id_hint_and_exit_code() {
    let p = Platd::start();
    let admin = p.admin();
    // Usage errors are clap's: exit 2.
    admin.fails(&["user", "lisst"], 2);
    admin.fails(&["tenant", "create"], 2);
    admin.fails(&["-o", "xml", "tenant", "list"], 2);
    admin.fails(&["tenant", "update", "system"], 2);
    // Not found: exit 1, the envelope's code and request id.
    let out = admin.fails(&["user", "get", "nobody"], 1);
    assert!(out.stderr.starts_with("error: USER_NOT_FOUND: "), "{out:?}");
    assert!(out.stderr.contains("(request id: req_"), "{out:?}");
    // Validation names the field.
    let out = admin.fails(&["user", "create", "bob", "--email", "not-an-email"], 1);
    assert!(out.stderr.contains("VALIDATION_ERROR") && out.stderr.contains("(field: email)"), "{out:?}");
    // A member may not create tenants: the hint points at whoami.
    admin.ok_stdin(&["user", "create", "mia", "--email", "mia@system.test", "--password-stdin"], "mia-password-1");
    let mia = p.ctl();
    mia.ok_stdin(&["login", "-u", "mia", "--password-stdin"], "mia-password-1");
    let out = mia.fails(&["tenant", "create", "nope"], 1);
    assert!(out.stderr.starts_with("error: PERMISSION_DENIED"), "{out:?}");
    assert!(out.stderr.contains("platctl whoami"), "{out:?}");
    // A garbage token from the environment.
    let mut bad = p.ctl();
    bad.env.push(("PLATCTL_TOKEN".into(), "garbage".into()));
    let out = bad.fails(&["whoami"], 1);
    assert!(out.stderr.starts_with("error: INVALID_TOKEN"), "{out:?}");
    // Nothing listening: exit 5, naming the URL.
    let mut nowhere = Ctl::new();
    nowhere.env.push(("PLATCTL_SERVER".into(), "http://127.0.0.1:1".into()));
    let out = nowhere.fails(&["tenant", "list"], 5);
    assert!(out.stderr.contains("cannot reach http://127.0.0.1:1"), "{out:?}");
}

/// Wait until platd's log holds `needle` after byte `from`.
fn wait_log(platd: &Platd, from: usize, needle: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if platd.log().get(from..).is_some_and(|tail| tail.contains(needle)) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

#[test]
fn sigusr1_turns_debug_logging_on_and_sigusr2_restores_the_level() {
    // The harness runs platd at `warn`: a request leaves no line.
    let platd = Platd::start();
    let ctl = platd.admin();
    let request_line = "\"message\":\"request\"";
    ctl.ok(&["whoami"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!platd.log().contains(request_line), "{}", platd.log());

    platd.signal("USR1");
    assert!(wait_log(&platd, 0, "SIGUSR1: logging at debug"), "{}", platd.log());
    let from = platd.log().len();
    ctl.ok(&["whoami"]);
    assert!(wait_log(&platd, from, request_line), "debug request lines after SIGUSR1: {}", platd.log());

    platd.signal("USR2");
    assert!(wait_log(&platd, from, "SIGUSR2: logging at the configured level again"), "{}", platd.log());
    std::thread::sleep(std::time::Duration::from_millis(200));
    let from = platd.log().len();
    ctl.ok(&["whoami"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!platd.log()[from..].contains(request_line), "back at warn: {}", &platd.log()[from..]);
}

/// What a terminal shows: `platctl top` runs in a real tmux pane, whose
/// screen is read back with `capture-pane`.
#[test]
fn top_draws_rates_targets_and_services_on_a_terminal() {
    if std::process::Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let platd = Platd::start();
    let admin = platd.admin();
    admin.ok(&[
        "sync",
        "target",
        "add",
        "profiles",
        "--kind",
        "http",
        "--url",
        "http://127.0.0.1:9/hooks",
        "--event",
        "user.*",
    ]);
    admin.ok(&["user", "create", "ann", "--email", "ann@example.test"]);
    let socket = format!("plat-e2e-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux").arg("-L").arg(&socket).args(args).output().expect("run tmux")
    };
    let mut env = vec![
        format!("HOME={}", admin.home.path().display()),
        format!("PLATCTL_CONFIG={}", admin.config_path().display()),
        "LANG=C.UTF-8".to_owned(),
        "TERM=xterm".to_owned(),
    ];
    env.extend(admin.env.iter().map(|(k, v)| format!("{k}={v}")));
    let platctl = crate::harness::bin_dir().join("platctl");
    let command = format!("env -i {} {} top --interval 500ms", env.join(" "), platctl.display());
    let started = tmux(&["new-session", "-d", "-s", "top", "-x", "140", "-y", "40", &command]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut screen = String::new();
    while std::time::Instant::now() < deadline {
        screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "top"]).stdout).into_owned();
        if screen.contains("profiles") && screen.contains("FAILED/S") && screen.contains("requests") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    tmux(&["kill-server"]);
    assert!(screen.contains(&format!("plat {}", platd.url)), "{screen}");
    assert!(screen.contains("TARGET") && screen.contains("BACKLOG") && screen.contains("OLDEST DUE"), "{screen}");
    assert!(screen.lines().any(|l| l.starts_with("profiles") && l.contains("active")), "{screen}");
    assert!(screen.contains("database up"), "{screen}");
    assert!(screen.lines().any(|l| l.contains("leads ") && l.contains("scheduler")), "{screen}");
}
