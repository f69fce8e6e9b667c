//! The real binary: the address line, serving, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::SECRET;

const BINARY: &str = env!("CARGO_BIN_EXE_profile-service");

#[cfg(unix)]
#[test]
fn the_binary_prints_its_address_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("nested.db");
    let mut child = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0"])
        .env("PROFILE_DATABASE", &database)
        .env("PROFILE_WEBHOOK_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn profile-service");

    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read stdout");
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("unexpected line {line:?}"));
    assert!(!addr.ends_with(":0"), "the real port is printed: {addr}");
    assert!(database.exists(), "the database is created");

    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "profile-service did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn a_missing_or_malformed_secret_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |secret: Option<&str>| {
        let mut command = Command::new(BINARY);
        command.args(["--listen", "127.0.0.1:0"]).env_remove("PROFILE_WEBHOOK_SECRET").current_dir(dir.path());
        if let Some(secret) = secret {
            command.args(["--secret", secret]);
        }
        command.output().expect("run profile-service")
    };
    let missing = run(None);
    assert_eq!(missing.status.code(), Some(2), "a usage error");
    let malformed = run(Some("not-a-secret"));
    assert_eq!(malformed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("--secret: must start with whsec_"));
}
