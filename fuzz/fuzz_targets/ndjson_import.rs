//! One NDJSON line of `POST /users/import`, as the daemon reads it (lossy
//! UTF-8, trimmed) through `plat_domain::import::parse_ndjson_line`.
//!
//! Properties: a refusal names a username exactly when the line was JSON;
//! an accepted line holds only what passed validation (a plain password that
//! validates, a supported hash), and writing it back as a line parses to
//! the same user.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plat_domain::import::{ImportPassword, LineError, is_supported_password_hash, parse_ndjson_line};
use plat_proto::{ImportUser, ProfilePatch};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.trim();
    match parse_ndjson_line(text) {
        Err((username, LineError::Json(_))) => assert_eq!(username, None),
        Err((username, _)) => {
            let line: ImportUser = serde_json::from_str(text).expect("a refusal after parsing means the line was JSON");
            assert_eq!(username, Some(line.username));
        }
        Ok(line) => {
            match &line.password {
                ImportPassword::Plain(p) => assert!(plat_domain::validate_password("password", p).is_ok()),
                ImportPassword::Hash(h) => assert!(is_supported_password_hash(h)),
                ImportPassword::None => {}
            }
            let set = |v: &str| (!v.is_empty()).then(|| v.to_owned());
            let profile = ProfilePatch {
                nickname: set(&line.profile.nickname),
                avatar_url: set(&line.profile.avatar_url),
                bio: set(&line.profile.bio),
            };
            let (password, password_hash) = match line.password.clone() {
                ImportPassword::None => (None, None),
                ImportPassword::Plain(p) => (Some(p), None),
                ImportPassword::Hash(h) => (None, Some(h)),
            };
            let again = ImportUser {
                username: line.username.clone(),
                email: line.email.clone(),
                password,
                password_hash,
                roles: Some(line.roles.clone()),
                profile: Some(profile),
            };
            let written = serde_json::to_string(&again).expect("serializes");
            assert!(!written.contains('\n'), "a written line is one line");
            let reread = parse_ndjson_line(&written).map_err(|(_, e)| e.to_string());
            assert_eq!(reread.as_ref(), Ok(&line), "{written}");
        }
    }
});
