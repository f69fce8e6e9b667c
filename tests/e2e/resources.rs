//! Tenants, users, import/export, roles, service accounts, tokens, keys,
//! events, audit, health and status: each command's happy path, its main
//! errors, and each output format.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{PgDatabase, Platd, redact, snapshot};

#[test]
fn tenants_in_every_output_format() {
    let p = Platd::start();
    let admin = p.admin();
    let out = admin.ok(&["tenant", "create", "acme", "--name", "Acme Inc", "--max-users", "5"]);
    assert!(out.contains("acme") && out.contains("Acme Inc"), "{out}");
    admin.ok(&["tenant", "create", "globex"]);
    admin.fails(&["tenant", "create", "acme"], 1);

    let r = |text: String| redact(&text, &p.url);
    snapshot("tenant-list", &r(admin.ok(&["tenant", "list"])));
    snapshot("tenant-list-wide", &r(admin.ok(&["tenant", "list", "-o", "wide"])));
    snapshot("tenant-list-no-headers", &r(admin.ok(&["tenant", "list", "--no-headers"])));
    snapshot("tenant-get-json", &r(admin.ok(&["tenant", "get", "acme", "-o", "json"])));
    snapshot("tenant-get-yaml", &r(admin.ok(&["tenant", "get", "acme", "-o", "yaml"])));
    assert_eq!(admin.ok(&["tenant", "list", "-o", "name"]), "acme\nglobex\nsystem\n");
    // Lists are arrays in JSON; single objects are objects.
    let list = admin.json(&["tenant", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    assert_eq!(admin.json(&["tenant", "get", "acme"])["quotas"]["max_users"], 5);

    let updated = admin.json(&["tenant", "update", "acme", "--name", "Acme Corp", "--max-users", "7"]);
    assert_eq!((updated["name"].as_str(), updated["quotas"]["max_users"].as_u64()), (Some("Acme Corp"), Some(7)));
    assert_eq!(admin.json(&["tenant", "suspend", "acme"])["status"], "suspended");
    assert_eq!(admin.json(&["tenant", "resume", "acme"])["status"], "active");

    // Destructive without a terminal: refused, nothing deleted.
    let out = admin.fails(&["tenant", "delete", "globex"], 2);
    assert!(out.stderr.contains("refusing to delete tenant globex") && out.stderr.contains("--yes"), "{out:?}");
    admin.ok(&["tenant", "get", "globex"]);
    admin.ok(&["tenant", "delete", "globex", "--yes"]);
    admin.fails(&["tenant", "get", "globex"], 1);
    // A tenant with users needs --cascade.
    admin.ok(&["--tenant", "acme", "user", "create", "ann", "--email", "ann@acme.test"]);
    let out = admin.fails(&["tenant", "delete", "acme", "--yes"], 1);
    assert!(out.stderr.contains("CONFLICT"), "{out:?}");
    admin.ok(&["tenant", "delete", "acme", "--cascade", "--yes"]);
}

#[test]
fn users_from_creation_to_deletion() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["tenant", "create", "acme"]);
    fn acme<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [&["--tenant", "acme"], args].concat()
    }

    let out = admin.run_stdin(
        &acme(&["user", "create", "bob", "--email", "bob@acme.test", "--password-stdin", "--nickname", "Bobby"]),
        "bob-password-1\n",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let out = admin.run(&acme(&["user", "create", "carol", "--email", "carol@acme.test", "--generate-password"]));
    assert_eq!(out.code, 0, "{out:?}");
    let generated = out.stderr.rsplit(": ").next().expect("password line").trim().to_owned();
    assert_eq!(generated.len(), 20, "{out:?}");
    admin.ok(&acme(&["user", "create", "dave", "--email", "dave@acme.test", "--role", "viewer"]));
    let out = admin.fails(&acme(&["user", "create", "bob", "--email", "bob2@acme.test"]), 1);
    assert!(out.stderr.starts_with("error: USER_ALREADY_EXISTS"), "{out:?}");
    admin
        .fails(&acme(&["user", "create", "x", "--email", "x@acme.test", "--password-stdin", "--generate-password"]), 2);

    // The generated password works.
    let carol = p.ctl();
    carol.ok_stdin(&["--tenant", "acme", "login", "-u", "carol", "--password-stdin"], &generated);
    assert!(carol.ok(&["whoami"]).contains("carol@acme"));

    let r = |text: String| redact(&text, &p.url);
    snapshot("user-list", &r(admin.ok(&acme(&["user", "list"]))));
    snapshot("user-list-wide", &r(admin.ok(&acme(&["user", "list", "-o", "wide"]))));
    snapshot("user-get-yaml", &r(admin.ok(&acme(&["user", "get", "bob", "-o", "yaml"]))));
    let bob = admin.json(&acme(&["user", "get", "bob"]));
    let id = bob["id"].as_str().expect("id").to_owned();
    assert_eq!(admin.json(&acme(&["user", "get", &id]))["username"], "bob", "by id too");
    assert_eq!(admin.ok(&acme(&["user", "list", "--role", "viewer", "-o", "name"])), "dave\n");
    assert_eq!(admin.ok(&acme(&["user", "list", "--search", "car", "-o", "name"])), "carol\n");

    let updated = admin.json(&acme(&["user", "update", "bob", "--email", "robert@acme.test", "--bio", "hi"]));
    assert_eq!((updated["email"].as_str(), updated["profile"]["bio"].as_str()), (Some("robert@acme.test"), Some("hi")));
    assert_eq!(admin.json(&acme(&["user", "disable", "bob"]))["status"], "disabled");
    assert_eq!(admin.ok(&acme(&["user", "list", "--status", "disabled", "-o", "name"])), "bob\n");
    assert_eq!(admin.json(&acme(&["user", "enable", "bob"]))["status"], "active");
    assert_eq!(admin.json(&acme(&["user", "unlock", "bob"]))["status"], "active");
    let out = admin.run_stdin(&acme(&["user", "set-password", "bob", "--password-stdin"]), "new-bob-password\n");
    assert_eq!(out.code, 0, "{out:?}");
    let bob_ctl = p.ctl();
    bob_ctl.ok_stdin(&["--tenant", "acme", "login", "-u", "bob", "--password-stdin"], "new-bob-password");
    admin.fails(&acme(&["user", "set-password", "bob"]), 2);

    // Paging: one page with a hint, or every page with --all.
    let out = admin.run(&acme(&["user", "list", "--page-size", "2"]));
    assert_eq!(out.stdout.lines().count(), 3, "{out:?}");
    assert!(out.stderr.contains("Page 1 of 2 (3 users)"), "{out:?}");
    assert_eq!(admin.ok(&acme(&["user", "list", "--all", "--page-size", "2", "-o", "name"])).lines().count(), 3);

    let out = admin.fails(&acme(&["user", "delete", "dave"]), 2);
    assert!(out.stderr.contains("refusing to delete user dave <dave@acme.test>"), "{out:?}");
    admin.ok(&acme(&["user", "delete", "dave", "--yes"]));
    assert_eq!(admin.ok(&acme(&["user", "list", "-o", "name"])), "bob\ncarol\n");
    admin.ok(&acme(&["user", "delete", "carol", "--hard", "--yes"]));
    admin.fails(&acme(&["user", "get", "carol"]), 1);
}

#[test]
fn import_reports_each_rejected_line_and_export_round_trips() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["tenant", "create", "acme"]);
    admin.ok(&["tenant", "create", "copy"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ndjson = String::new();
    for i in 0..300 {
        ndjson.push_str(&format!("{{\"username\":\"u{i}\",\"email\":\"u{i}@acme.test\",\"roles\":[\"member\"]}}\n"));
    }
    ndjson.push_str("{not json\n");
    ndjson.push_str("{\"username\":\"bad\",\"email\":\"nope\"}\n");
    ndjson.push_str("{\"username\":\"pw\",\"email\":\"pw@acme.test\",\"password\":\"pw-password-1\"}\n");
    let file = dir.path().join("users.ndjson");
    std::fs::write(&file, &ndjson).expect("write");
    let file = file.to_str().expect("path");

    let out = admin.run(&["--tenant", "acme", "user", "import", file, "--dry-run"]);
    assert_eq!(out.code, 1, "rejected lines fail the command: {out:?}");
    assert!(out.stderr.contains("303 lines, 301 would be created, 2 rejected (dry run"), "{out:?}");
    assert_eq!(admin.json(&["tenant", "get", "acme"])["usage"]["users"], 0, "a dry run writes nothing");

    let out = admin.run(&["--tenant", "acme", "user", "import", file]);
    assert_eq!(out.code, 1, "{out:?}");
    snapshot("import-report", &redact(&out.stdout, &p.url));
    assert!(out.stderr.contains("303 lines, 301 created, 2 rejected."), "{out:?}");
    let report = admin.run(&["--tenant", "acme", "user", "import", file, "-o", "json"]);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).expect("json report");
    assert_eq!(report["failed"], 303, "everything exists now");
    assert_eq!(admin.json(&["tenant", "get", "acme"])["usage"]["users"], 301);
    // The imported password works.
    let pw = p.ctl();
    pw.ok_stdin(&["--tenant", "acme", "login", "-u", "pw", "--password-stdin"], "pw-password-1");

    // CSV in, with a per-line report that names file lines (the header is line 1).
    let csv = dir.path().join("more.csv");
    std::fs::write(&csv, "username,email,roles,nickname\nc1,c1@acme.test,member;viewer,See\nc2,not-an-email,,\n")
        .expect("write");
    let out = admin.run(&["--tenant", "acme", "user", "import", csv.to_str().expect("path")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with("3 ") && l.contains("VALIDATION_ERROR")), "{out:?}");
    let c1 = admin.json(&["--tenant", "acme", "user", "get", "c1"]);
    assert_eq!(c1["roles"], serde_json::json!(["member", "viewer"]));
    assert_eq!(c1["profile"]["nickname"], "See");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "username,email,colour\na,a@b.test,red\n").expect("write");
    let out = admin.fails(&["--tenant", "acme", "user", "import", bad.to_str().expect("path")], 2);
    assert!(out.stderr.contains("unknown CSV column \"colour\""), "{out:?}");
    admin.fails(&["--tenant", "acme", "user", "import", "users.txt"], 2);

    // Export: NDJSON of user objects; CSV that imports again elsewhere.
    let export = admin.ok(&["--tenant", "acme", "user", "export"]);
    assert_eq!(export.lines().count(), 302);
    let first: serde_json::Value = serde_json::from_str(export.lines().next().expect("line")).expect("user json");
    assert_eq!(first["tenant"], "acme");
    let csv_export = admin.ok(&["--tenant", "acme", "user", "export", "--format", "csv"]);
    assert_eq!(csv_export.lines().count(), 303, "header and 302 users");
    let round = dir.path().join("round.csv");
    std::fs::write(&round, csv_export).expect("write");
    let out = admin.run(&["--tenant", "copy", "user", "import", round.to_str().expect("path")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(admin.json(&["tenant", "get", "copy"])["usage"]["users"], 302);
}

#[test]
fn roles_grants_and_can_i() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["user", "create", "bob", "--email", "bob@system.test"]);
    admin.ok(&["role", "create", "auditor", "--permission", "audit:read", "--description", "reads the audit log"]);
    admin.fails(&["role", "create", "auditor", "--permission", "audit:read"], 1);
    admin.fails(&["role", "create", "empty"], 2);
    snapshot("role-list", &redact(&admin.ok(&["role", "list"]), &p.url));
    let role = admin.json(&["role", "update", "auditor", "--add-permission", "events:read"]);
    assert_eq!(role["permissions"], serde_json::json!(["audit:read", "events:read"]));
    let role = admin.json(&["role", "update", "auditor", "--remove-permission", "audit:read"]);
    assert_eq!(role["permissions"], serde_json::json!(["events:read"]));
    admin.fails(&["role", "update", "auditor"], 2);

    assert_eq!(admin.run(&["auth", "can-i", "events:read", "--as", "bob"]).stdout, "no\n");
    assert_eq!(admin.run(&["auth", "can-i", "events:read", "--as", "bob"]).code, 1);
    let user = admin.json(&["role", "grant", "auditor", "bob"]);
    assert_eq!(user["roles"], serde_json::json!(["auditor", "member"]));
    let out = admin.run(&["auth", "can-i", "events:read", "--as", "bob"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "yes\n"), "{out:?}");
    assert_eq!(admin.json(&["auth", "can-i", "users:delete"])["allowed"], true);
    admin.ok(&["role", "revoke", "auditor", "bob"]);
    assert_eq!(admin.run(&["auth", "can-i", "events:read", "--as", "bob"]).code, 1);

    admin.fails(&["role", "delete", "auditor"], 2);
    admin.ok(&["role", "delete", "auditor", "--yes"]);
    admin.fails(&["role", "get", "auditor"], 1);
}

#[test]
fn service_accounts_tokens_and_keys() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["user", "create", "bob", "--email", "bob@system.test"]);
    let created = admin.run(&["service-account", "create", "billing", "--role", "viewer"]);
    assert_eq!(created.code, 0, "{created:?}");
    snapshot("service-account-create", &redact(&created.stdout, &p.url));
    snapshot("service-account-list", &redact(&admin.ok(&["service-account", "list"]), &p.url));
    assert_eq!(admin.json(&["service-account", "get", "billing"])["roles"], serde_json::json!(["viewer"]));
    let rotated = admin.json(&["service-account", "rotate-secret", "billing"]);
    assert!(rotated["client_secret"].as_str().is_some_and(|s| s.starts_with("plsk_")));

    let token = admin.ok(&["token", "issue", "--service-account", "billing", "--ttl", "5m", "--scope", "users:read"]);
    let token = token.trim();
    assert_eq!(token.matches('.').count(), 2, "the token alone, for scripts: {token}");
    let verified = admin.ok(&["token", "verify", token]);
    assert!(verified.contains("Active:") && verified.contains("users:read"), "{verified}");
    let claims = admin.json(&["token", "verify", token]);
    assert_eq!(claims["claims"]["username"], "billing");
    // From stdin, as `-` or with no argument.
    assert_eq!(admin.ok_stdin(&["token", "verify", "-"], token).lines().next(), verified.lines().next());
    admin.ok_stdin(&["token", "verify"], &format!("{token}\n"));
    admin.fails(&["token", "issue", "--ttl", "5m"], 2);

    admin.ok(&["token", "revoke", token]);
    let out = admin.fails(&["token", "verify", token], 1);
    assert!(out.stdout.starts_with("inactive: "), "{out:?}");
    let user_token = admin.ok(&["token", "issue", "--user", "bob"]);
    let out = admin.fails(&["token", "revoke", "--user", "bob"], 2);
    assert!(out.stderr.contains("refusing to end every session and token of user bob"), "{out:?}");
    admin.ok(&["token", "verify", user_token.trim()]);
    admin.ok(&["token", "revoke", "--user", "bob", "--yes"]);
    admin.fails(&["token", "verify", user_token.trim()], 1);

    assert_eq!(admin.json(&["keys", "list"]).as_array().map(Vec::len), Some(1));
    admin.ok(&["keys", "rotate"]);
    let keys = admin.json(&["keys", "list"]);
    assert_eq!(keys.as_array().map(Vec::len), Some(2));
    snapshot("keys-list", &redact(&admin.ok(&["keys", "list"]), &p.url));

    admin.fails(&["service-account", "delete", "billing"], 2);
    admin.ok(&["service-account", "delete", "billing", "--yes"]);
    admin.fails(&["service-account", "get", "billing"], 1);
}

/// Issue 16: a service account granted `file.*` publishes with its own token.
#[test]
fn a_service_publishes_events_with_platctl() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["role", "create", "publisher", "--permission", "events:publish"]);
    let out = admin.fails(&["service-account", "create", "files", "--role", "publisher", "--publishes", "user.*"], 1);
    assert!(out.stderr.contains("only plat emits"), "{out:?}");
    admin.ok(&["service-account", "create", "files", "--role", "publisher", "--publishes", "file.*"]);
    admin.ok(&["service-account", "update", "files", "--publishes", "file.*", "--publishes", "report.done"]);
    assert_eq!(
        admin.json(&["service-account", "get", "files"])["publishes"],
        serde_json::json!(["file.*", "report.done"])
    );
    let token = admin.ok(&["token", "issue", "--service-account", "files", "--ttl", "5m"]);
    let publish = |key: &str| {
        admin.json(&[
            "--token",
            token.trim(),
            "event",
            "publish",
            "file.uploaded",
            "--aggregate",
            "file/f_1",
            "--idempotency-key",
            key,
            "--data",
            r#"{"name": "a.pdf"}"#,
        ])
    };
    let first = publish("k1");
    assert_eq!((first["type"].as_str(), first["source"].as_str()), (Some("file.uploaded"), Some("files")));
    assert_eq!(first["data"]["name"], "a.pdf");
    assert_eq!(publish("k1")["id"], first["id"], "a retry publishes nothing");
    assert_eq!(publish("k2")["aggregate"]["version"], 2);
    let out = admin.fails(&["--token", token.trim(), "event", "publish", "billing.paid"], 1);
    assert!(out.stderr.contains("not among the types"), "{out:?}");
    let out = admin.fails(&["--token", token.trim(), "event", "publish", "file.x", "--data", "{nope"], 2);
    assert!(out.stderr.contains("--data is not JSON"), "{out:?}");
    let listed = admin.json(&["event", "list", "--type", "file.*"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
}

#[test]
fn events_audit_health_and_status() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["user", "create", "bob", "--email", "bob@system.test"]);
    admin.ok(&["user", "update", "bob", "--nickname", "B"]);
    let events = admin.json(&["event", "list", "--type", "user.*", "--user", "bob"]);
    let types: Vec<&str> = events.as_array().expect("array").iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types, ["user.updated", "user.created"], "newest first");
    snapshot("event-list", &redact(&admin.ok(&["event", "list", "--user", "bob"]), &p.url));
    assert_eq!(admin.json(&["event", "list", "--since", "1h", "--limit", "1"]).as_array().map(Vec::len), Some(1));
    admin.fails(&["event", "list", "--since", "yesterday-ish"], 1);

    let audit = admin.json(&["audit", "list", "--action", "user.create"]);
    assert_eq!(audit[0]["actor"], "admin@system");
    assert!(admin.ok(&["audit", "list", "--actor", "admin@system", "--limit", "5"]).contains("user.create"));

    let out = admin.run(&["health"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("database") && out.stdout.contains("healthy"), "{out:?}");
    let report = admin.json(&["health"]);
    assert_eq!(report["status"], "healthy");
    assert_eq!(admin.ok(&["health", "-o", "name"]).lines().next(), Some("database"));
    let status = admin.ok(&["status"]);
    for key in ["Server:", "Version:", "Uptime:", "Counts:", "Backlogs:"] {
        assert!(status.contains(key), "{status}");
    }
    assert_eq!(admin.json(&["status"])["counts"]["users"], 2);

    // --watch redraws until interrupted.
    let mut watch =
        admin.command(&["health", "--watch"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
    let stdout = watch.stdout.take().expect("stdout");
    let started = Instant::now();
    let mut reader = BufReader::new(stdout);
    let mut heads = 0;
    let mut line = String::new();
    while heads < 2 && reader.read_line(&mut line).expect("read") > 0 {
        if line.contains("every 2s") {
            heads += 1;
        }
        line.clear();
    }
    assert_eq!(heads, 2, "two redraws");
    assert!(started.elapsed() >= Duration::from_millis(1500), "two seconds apart");
    let _ = std::process::Command::new("kill").args(["-INT", &watch.id().to_string()]).status();
    let status = watch.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "Ctrl-C ends a healthy watch with 0");
}

#[test]
fn health_exits_4_when_the_database_is_gone() {
    let Some(db) = PgDatabase::create("health_exits_4_when_the_database_is_gone") else { return };
    let p = Platd::start_with(&[("PLATD_DATABASE_URL", &db.url)]);
    let admin = p.admin();
    let out = admin.run(&["health"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(admin.ok(&["health", "-o", "wide"]).contains("backend=postgres"));
    db.drop_now();
    // Past the subject cache: the server can no longer check anything.
    std::thread::sleep(Duration::from_millis(1500));
    let out = admin.run(&["health"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.starts_with("error: SERVICE_UNAVAILABLE"), "{out:?}");
}

#[test]
fn a_destructive_command_asks_on_a_terminal() {
    // `script` gives platctl a pseudo-terminal, as an admin's shell would.
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["user", "create", "bob", "--email", "bob@system.test"]);
    let platctl = crate::harness::bin_dir().join("platctl");
    let command = format!("{} --no-color user delete bob", platctl.display());
    // `admin.command` sets the environment; run `script` itself with it.
    let mut script = std::process::Command::new("script");
    script.args(["-q", "-e", "-c", &command, "/dev/null"]).env_clear();
    for (k, v) in admin.command(&[]).get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let mut child = script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("script");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    });
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("Delete user bob <bob@system.test>") {
        assert!(Instant::now() < deadline, "no prompt; saw {seen:?}");
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push_str(&chunk);
        }
    }
    stdin.write_all(b"y").expect("answer");
    stdin.flush().expect("flush");
    let status = child.wait().expect("wait");
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.push_str(&chunk);
    }
    assert!(status.success(), "platctl failed: {seen:?}");
    assert!(seen.contains("Deleted user bob"), "{seen:?}");
    admin.fails(&["user", "get", "bob"], 1);
}

#[test]
fn a_targets_rules_are_set_shown_and_previewed_with_platctl() {
    let p = Platd::start();
    let admin = p.admin();
    let add = [
        "sync",
        "target",
        "add",
        "analytics",
        "--kind",
        "http",
        "--url",
        "http://127.0.0.1:9/hook",
        "--event",
        "user.*",
        "--only-tenant",
        "acme",
        "--filter",
        r#"data.status == "active""#,
        "--omit-field",
        "email",
    ];
    admin.ok(&add);
    let shown = admin.ok(&["sync", "target", "get", "analytics"]);
    for part in ["only acme", r#"data.status == "active""#, "all, without email"] {
        assert!(shown.contains(part), "{part}: {shown}");
    }
    let typo = admin.fails(&["sync", "target", "update", "analytics", "--filter", "data.status = 1"], 1);
    assert!(typo.stderr.contains("rules.filter") && typo.stderr.contains("at 12"), "{typo:?}");

    let event = r#"{"type": "user.updated", "tenant": "acme", "data": {"status": "active", "email": "a@x.test", "username": "a"}}"#;
    let preview = admin.ok(&["sync", "target", "test", "analytics", "--event", event]);
    assert!(
        preview.starts_with("would be delivered") && !preview.contains("a@x.test") && preview.contains("\"username\""),
        "{preview}"
    );
    let elsewhere = event.replace("acme", "globex");
    let out = admin.fails(&["sync", "target", "test", "analytics", "--event", &elsewhere], 1);
    assert!(out.stdout.contains("would not be delivered") && out.stdout.contains("tenants"), "{out:?}");
    let args = ["sync", "target", "test", "analytics", "--event", "-", "-o", "json"];
    let from_stdin: serde_json::Value = serde_json::from_str(&admin.ok_stdin(&args, event)).expect("JSON");
    assert_eq!((from_stdin["delivered"].as_bool(), from_stdin["body"]["data"].get("email")), (Some(true), None));

    admin.ok(&["sync", "target", "update", "analytics", "--filter", "", "--all-tenants"]);
    let rules = admin.json(&["sync", "target", "get", "analytics"])["rules"].clone();
    assert_eq!(rules["filter"], serde_json::Value::Null);
    assert_eq!(rules["tenants"], serde_json::json!({"include": [], "exclude": []}));
    assert_eq!(rules["fields"]["exclude"], serde_json::json!(["email"]));
    admin.ok(&["sync", "target", "update", "analytics", "--clear-rules"]);
    admin.ok(&["user", "create", "rita", "--email", "rita@system.test"]);
    let replay = admin.run(&["sync", "replay", "--target", "analytics", "--since", "1h", "--type", "user.created"]);
    assert!(
        replay.code == 0 && replay.stderr.contains("Queued for analytics:") && replay.stderr.contains("task"),
        "{replay:?}"
    );
    let count = admin.json(&["sync", "replay", "--target", "analytics", "--since", "1h", "--type", "user.created"]);
    assert!(count["count"].as_u64().is_some_and(|n| n >= 1), "{count}");
    admin.fails(&["sync", "replay", "--target", "analytics", "--since", "soon"], 1);
    assert_eq!(
        admin.json(&["sync", "target", "get", "analytics"])["rules"]["fields"]["exclude"],
        serde_json::json!([])
    );
}

#[test]
fn batches_and_backfills_are_set_and_shown_with_platctl() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["user", "create", "bea", "--email", "bea@system.test"]);
    let add = ["sync", "target", "add", "warehouse", "--kind", "http", "--url", "http://127.0.0.1:9/hook"];
    let with = |extra: &[&'static str]| add.iter().copied().chain(extra.iter().copied()).collect::<Vec<&str>>();
    admin.ok(&with(&["--event", "user.*", "--batch", "200", "--batch-bytes", "512KiB"]));
    let shown = admin.ok(&["sync", "target", "get", "warehouse"]);
    assert!(shown.contains("up to 200 events, 512 KiB per request"), "{shown}");
    assert!(shown.contains("Backfill") && shown.contains("queued"), "a user.* target backfills: {shown}");
    let target = admin.json(&["sync", "target", "get", "warehouse"]);
    assert_eq!(target["batch"], serde_json::json!({"max_events": 200, "max_bytes": 524288}));
    assert!(target["backfill"]["state"].is_string(), "{target}");
    let stats = admin.ok(&["sync", "stats"]);
    assert!(stats.contains("BACKFILL"), "{stats}");

    // Only --batch-bytes changes: the event count stays.
    admin.ok(&["sync", "target", "update", "warehouse", "--batch-bytes", "2MiB"]);
    let batch = admin.json(&["sync", "target", "get", "warehouse"])["batch"].clone();
    assert_eq!(batch, serde_json::json!({"max_events": 200, "max_bytes": 2097152}));
    let typo = admin.fails(&["sync", "target", "update", "warehouse", "--batch-bytes", "2GB"], 2);
    assert!(typo.stderr.contains("not a size"), "{typo:?}");
    let over = admin.fails(&["sync", "target", "update", "warehouse", "--batch", "5000"], 1);
    assert!(over.stderr.contains("batch.max_events"), "{over:?}");

    // No snapshot for a target that asks for none, or cannot take one.
    admin.ok(&[
        "sync",
        "target",
        "add",
        "live",
        "--kind",
        "http",
        "--url",
        "http://127.0.0.1:9/l",
        "--event",
        "user.*",
    ]
    .into_iter()
    .chain(["--no-backfill"])
    .collect::<Vec<_>>());
    assert_eq!(admin.json(&["sync", "target", "get", "live"])["backfill"], serde_json::Value::Null);
    let tenants = ["sync", "target", "add", "tenants", "--kind", "http", "--url", "http://127.0.0.1:9/t"];
    let refused = admin.fails(&tenants.into_iter().chain(["--event", "tenant.*", "--backfill"]).collect::<Vec<_>>(), 1);
    assert!(refused.stderr.contains("backfill"), "{refused:?}");
}

#[test]
fn can_i_weighs_a_roles_conditions_against_the_context() {
    let p = Platd::start();
    let admin = p.admin();
    let when = "files:upload=context.file_size <= 10485760 || starts_with(context.folder, principal.id)";
    admin.ok(&["role", "create", "uploader", "--permission", "files:read", "--permission-if", when]);
    let shown = admin.ok(&["role", "get", "uploader"]);
    assert!(shown.contains("files:upload if context.file_size <= 10485760"), "{shown}");
    admin.ok(&["user", "create", "carol", "--email", "carol@system.test", "--role", "uploader"]);
    let small = admin.ok(&["auth", "can-i", "files:upload", "--as", "carol", "--ctx", "file_size=1024"]);
    assert_eq!(small.trim(), "yes");
    let big = admin.fails(&["auth", "can-i", "files:upload", "--as", "carol", "--ctx", "file_size=52428800"], 1);
    assert_eq!(big.stdout.trim(), "no");
    let why = admin.fails(
        &[
            "auth",
            "can-i",
            "files:upload",
            "--as",
            "carol",
            "--ctx",
            "file_size=52428800",
            "--ctx",
            "folder=x",
            "-o",
            "wide",
        ],
        1,
    );
    assert!(why.stdout.contains("only when"), "{why:?}");
    let typo = admin.fails(&["role", "update", "uploader", "--permission-if", "files:upload=context.size <="], 1);
    assert!(typo.stderr.contains("conditions[0].when"), "{typo:?}");
    admin.fails(&["role", "update", "uploader", "--permission-if", "no-equals-sign"], 2);
    admin.ok(&["role", "update", "uploader", "--no-conditions"]);
    admin.fails(&["auth", "can-i", "files:upload", "--as", "carol", "--ctx", "file_size=1"], 1);
}

#[test]
fn tenant_quotas_are_set_used_and_shown_with_platctl() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["tenant", "create", "acme", "--max-users", "5"]);
    admin.ok(&["tenant", "quota", "set", "acme", "storage_bytes", "--limit", "1000"]);
    admin.ok(&["tenant", "quota", "set", "acme", "api_calls", "--limit", "100", "--period", "day"]);
    let held = admin.json(&["tenant", "quota", "reserve", "acme", "storage_bytes", "850", "--ttl", "10m"]);
    let id = held["id"].as_str().expect("reservation id").to_owned();
    // A check past what is left answers no, as its exit status too.
    let no = admin.fails(&["tenant", "quota", "check", "acme", "storage_bytes", "200"], 1);
    assert!(no.stdout.contains("Allowed:") && no.stdout.contains("no") && no.stdout.contains("150"), "{no:?}");
    admin.ok(&["tenant", "quota", "check", "acme", "storage_bytes", "150"]);
    admin.ok(&["tenant", "quota", "commit", "acme", "storage_bytes", "--reservation", &id]);
    let refused = admin.fails(&["tenant", "quota", "commit", "acme", "storage_bytes", "--amount", "151"], 1);
    assert!(refused.stderr.contains("storage_bytes"), "{refused:?}");

    // `tenant get` shows usage against every limit.
    let shown = admin.ok(&["tenant", "get", "acme"]);
    let row = |name: &str| shown.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_owned();
    let cells = |line: String| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(cells(row("storage_bytes")), ["storage_bytes", "850", "0", "1000", "150", "85%", "none"], "{shown}");
    assert_eq!(cells(row("users")), ["users", "0", "0", "5", "5", "0%", "none"], "{shown}");
    assert_eq!(cells(row("api_calls"))[..4], ["api_calls", "0", "0", "100"], "{shown}");
    assert_eq!(admin.ok(&["tenant", "quota", "list", "acme", "-o", "name"]), "users\napi_calls\nstorage_bytes\n");
    let warned = admin.json(&["event", "list", "--type", "tenant.quota_warning", "--tenant", "acme"]);
    assert_eq!(warned.as_array().map(Vec::len), Some(1), "{warned}");

    // Typos are usage errors; a bad name is the server's validation error.
    admin.fails(&["tenant", "quota", "set", "acme", "storage_bytes"], 2);
    admin.fails(&["tenant", "quota", "set", "acme", "disk", "--limit", "5", "--unlimited"], 2);
    admin.fails(&["tenant", "quota", "set", "acme", "disk", "--limit", "5", "--period", "weekly"], 2);
    admin.fails(&["tenant", "quota", "release", "acme", "storage_bytes"], 2);
    let bad = admin.fails(&["tenant", "quota", "get", "acme", "Disk Space"], 1);
    assert!(bad.stderr.contains("resource"), "{bad:?}");
    admin.ok(&["tenant", "quota", "set", "acme", "storage_bytes", "--unlimited"]);
    let unlimited = admin.json(&["tenant", "quota", "get", "acme", "storage_bytes"]);
    assert_eq!((unlimited["limit"].clone(), unlimited["used"].as_u64()), (serde_json::Value::Null, Some(850)));
    admin.ok(&["tenant", "quota", "delete", "acme", "api_calls", "--yes"]);
    admin.fails(&["tenant", "quota", "get", "acme", "api_calls"], 1);
}

#[test]
fn organizations_are_built_and_drawn_with_platctl() {
    let p = Platd::start();
    let admin = p.admin();
    admin.ok(&["org", "create", "acme", "--type", "company", "--display-name", "Acme Inc"]);
    admin.ok(&["org", "create", "acme/engineering", "--type", "department"]);
    admin.ok(&["org", "create", "acme/engineering/platform", "--meta", "cost_center=4200"]);
    admin.ok(&["org", "create", "acme/engineering/mobile"]);
    admin.ok(&["org", "create", "acme/sales", "--type", "department"]);
    for user in ["ann", "bob"] {
        admin.ok(&["user", "create", user, "--email", &format!("{user}@system.test")]);
    }
    admin.ok(&["org", "add-member", "acme/engineering/platform", "ann", "bob"]);
    admin.ok(&["org", "add-member", "acme/sales", "ann"]);
    assert_eq!(
        admin.ok(&["org", "tree", "acme"]),
        "acme (company)\n\
         ├── engineering (department)\n\
         │   ├── mobile (team)\n\
         │   └── platform (team, 2 members)\n\
         └── sales (department, 1 member)\n"
    );
    let meta = admin.json(&["org", "get", "acme/engineering/platform"]);
    assert_eq!(meta["metadata"]["cost_center"], 4200);
    let members = admin.ok(&["org", "members", "acme", "--recursive", "-o", "name"]);
    assert_eq!(members, "ann\nbob\n");
    assert_eq!(admin.ok(&["org", "list", "--member", "ann", "-o", "name"]), "acme/engineering/platform\nacme/sales\n");

    admin.ok(&["org", "move", "acme/engineering/mobile", "--to", "acme/sales"]);
    admin.ok(&["org", "update", "acme/sales", "--name", "revenue"]);
    assert_eq!(admin.ok(&["org", "list", "--parent", "acme/revenue", "-o", "name"]), "acme/revenue/mobile\n");
    let cycle = admin.fails(&["org", "move", "acme", "--to", "acme/revenue/mobile"], 1);
    assert!(cycle.stderr.contains("under itself"), "{cycle:?}");
    let busy = admin.fails(&["org", "delete", "acme/revenue", "--yes"], 1);
    assert!(busy.stderr.contains("cascade"), "{busy:?}");
    let gone = admin.run(&["org", "delete", "acme/revenue", "--cascade", "--yes"]);
    assert!(gone.code == 0 && gone.stderr.contains("Deleted 2 organizations"), "{gone:?}");
    admin.ok(&["org", "remove-member", "acme/engineering/platform", "bob"]);
    assert_eq!(admin.ok(&["org", "members", "acme/engineering/platform", "-o", "name"]), "ann\n");

    // An organization admin: engineering and below, nothing else.
    admin.ok_stdin(
        &["user", "create", "lead", "--email", "lead@system.test", "--password-stdin", "--role", "member"],
        "lead-password-1\n",
    );
    let granted = admin.ok(&["org", "grant", "acme/engineering", "lead", "org-admin"]);
    assert!(granted.contains("org-admin") && granted.contains("acme/engineering"), "{granted}");
    assert_eq!(
        admin.ok(&["org", "roles", "acme/engineering/platform", "-o", "name"]),
        "lead org-admin on acme/engineering\n"
    );
    let lead = p.ctl();
    lead.ok_stdin(&["login", "-u", "lead", "--password-stdin"], "lead-password-1");
    lead.ok(&["user", "create", "cat", "--email", "cat@system.test", "--org", "acme/engineering/platform"]);
    lead.ok(&["org", "create", "acme/engineering/platform/squad"]);
    assert_eq!(lead.ok(&["auth", "can-i", "users:update", "--org", "acme/engineering/platform"]), "yes\n");
    assert_eq!(lead.fails(&["auth", "can-i", "users:update"], 1).stdout, "no\n");
    let outside = lead.fails(&["user", "create", "dan", "--email", "dan@system.test", "--org", "acme"], 1);
    assert!(outside.stderr.starts_with("error: PERMISSION_DENIED"), "{outside:?}");
    let above = lead.fails(&["org", "delete", "acme/engineering", "--cascade", "--yes"], 1);
    assert!(above.stderr.starts_with("error: PERMISSION_DENIED"), "{above:?}");
    admin.ok(&["org", "revoke", "acme/engineering", "lead", "org-admin"]);
    assert_eq!(admin.ok(&["org", "roles", "acme/engineering", "-o", "name"]), "");

    // Typos are usage errors.
    admin.fails(&["org", "move", "acme"], 2);
    admin.fails(&["org", "move", "acme", "--to", "x", "--root"], 2);
    admin.fails(&["org", "add-member", "acme"], 2);
    admin.fails(&["org", "update", "acme"], 2);
    admin.fails(&["org", "grant", "acme", "lead"], 2);
}
