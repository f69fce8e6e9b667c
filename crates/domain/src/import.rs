//! Bulk import lines: one NDJSON line of `POST /users/import` parsed and
//! validated (`parse_ndjson_line`), and a CSV record turned into that line
//! (`CsvColumns`), as `platctl user import` does before sending.

use plat_proto::limits;
use plat_proto::{ImportUser, Profile, ProfilePatch};

use crate::{Bounded, Invalid};

/// Apply a profile patch to a profile, validating each field set.
pub fn apply_profile_patch(profile: &mut Profile, patch: &ProfilePatch) -> Result<(), Invalid> {
    if let Some(nickname) = &patch.nickname {
        crate::validate_text("profile.nickname", nickname, limits::NICKNAME)?;
        profile.nickname = nickname.clone();
    }
    if let Some(url) = &patch.avatar_url {
        crate::validate_url("profile.avatar_url", url)?;
        profile.avatar_url = url.clone();
    }
    if let Some(bio) = &patch.bio {
        crate::validate_text("profile.bio", bio, limits::BIO)?;
        profile.bio = bio.clone();
    }
    Ok(())
}

/// Whether `hash` is a stored form plat accepts on import: a bcrypt hash
/// (`$2a$`, `$2b$`, `$2y$`, 60 characters) or an argon2 PHC string.
pub fn is_supported_password_hash(hash: &str) -> bool {
    if hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$") {
        return hash.len() == 60;
    }
    password_hash::PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

/// The password an import line gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportPassword {
    None,
    /// A plain password (validated), to hash.
    Plain(String),
    /// A supported hash, kept as is.
    Hash(String),
}

/// A parsed, validated import line.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLine {
    pub username: String,
    pub email: String,
    pub password: ImportPassword,
    /// The roles given, or the default role.
    pub roles: Vec<String>,
    pub profile: Profile,
}

/// Why an import line is refused.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// Not a JSON import user (syntax, unknown or missing field, wrong type).
    #[error("{0}")]
    Json(serde_json::Error),
    /// Both `password` and `password_hash`: no one field is at fault.
    #[error("give password or password_hash, not both")]
    PasswordAndHash,
    #[error("{0}")]
    Invalid(Invalid),
}

/// Parse and check one NDJSON import line (already trimmed). A refusal
/// comes with the line's username when the line got far enough to name one.
/// Usernames and emails are checked by the store, which reports them per line.
pub fn parse_ndjson_line(text: &str) -> Result<ImportLine, (Option<String>, LineError)> {
    let line: ImportUser = serde_json::from_str(text).map_err(|e| (None, LineError::Json(e)))?;
    let username = Some(line.username.clone());
    let invalid = |e: Invalid| (username.clone(), LineError::Invalid(e));
    // The bounds of every field (`plat_proto::limits`), as for any body.
    line.check_bounds().map_err(invalid)?;
    let mut profile = Profile::default();
    if let Some(patch) = &line.profile {
        apply_profile_patch(&mut profile, patch).map_err(invalid)?;
    }
    let password = match (line.password, line.password_hash) {
        (Some(_), Some(_)) => return Err((username, LineError::PasswordAndHash)),
        (Some(p), None) => {
            crate::validate_password("password", &p).map_err(invalid)?;
            ImportPassword::Plain(p)
        }
        (None, Some(h)) if is_supported_password_hash(&h) => ImportPassword::Hash(h),
        (None, Some(_)) => {
            return Err(invalid(Invalid::new(
                "password_hash",
                "must be an argon2 ($argon2id$...) or bcrypt ($2b$...) hash",
            )));
        }
        (None, None) => ImportPassword::None,
    };
    Ok(ImportLine {
        username: line.username,
        email: line.email,
        password,
        roles: line.roles.unwrap_or_else(|| vec![crate::DEFAULT_ROLE.to_owned()]),
        profile,
    })
}

/// Columns a CSV import understands; export columns not listed here are
/// ignored on import, so an exported CSV imports again.
pub const CSV_IMPORT: &[&str] =
    &["username", "email", "password", "password_hash", "roles", "nickname", "avatar_url", "bio"];
/// Columns of a CSV export, in order.
pub const CSV_EXPORT: &[&str] = &[
    "id",
    "username",
    "email",
    "status",
    "roles",
    "nickname",
    "avatar_url",
    "bio",
    "version",
    "login_count",
    "last_login_at",
    "created_at",
    "updated_at",
];

/// Check a CSV import's header row: it names username and email, and only
/// known columns.
pub fn check_csv_headers<'a>(headers: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    let headers: Vec<&str> = headers.into_iter().collect();
    if !headers.contains(&"username") || !headers.contains(&"email") {
        return Err("a CSV import needs a header row with at least username and email".to_owned());
    }
    for h in headers {
        if !CSV_IMPORT.contains(&h) && !CSV_EXPORT.contains(&h) {
            return Err(format!("unknown CSV column {h:?}; known columns: {}", CSV_IMPORT.join(", ")));
        }
    }
    Ok(())
}

/// Where each import column is in a CSV file, from its header row.
#[derive(Debug, Clone)]
pub struct CsvColumns {
    columns: Vec<(&'static str, Option<usize>)>,
}

impl CsvColumns {
    pub fn new<'a>(headers: impl IntoIterator<Item = &'a str>) -> CsvColumns {
        let headers: Vec<&str> = headers.into_iter().collect();
        let column = |name: &str| headers.iter().position(|h| *h == name);
        CsvColumns { columns: CSV_IMPORT.iter().map(|c| (*c, column(c))).collect() }
    }

    /// The import user of one record, whose field `i` is `field(i)` (`None`
    /// past its end). Byte-wise and lenient: a short row or bad UTF-8 becomes
    /// a per-line rejection by the server (empty or replaced fields).
    pub fn user<'r>(&self, field: impl Fn(usize) -> Option<&'r [u8]>) -> ImportUser {
        let value = |name: &str| {
            self.columns
                .iter()
                .find(|(c, _)| *c == name)
                .and_then(|(_, i)| *i)
                .and_then(&field)
                .filter(|v| !v.is_empty())
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        let (nickname, avatar_url, bio) = (value("nickname"), value("avatar_url"), value("bio"));
        let profile = (nickname.is_some() || avatar_url.is_some() || bio.is_some()).then_some(ProfilePatch {
            nickname,
            avatar_url,
            bio,
        });
        let roles = value("roles")
            .map(|r| r.split([';', ',']).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
        ImportUser {
            username: value("username").unwrap_or_default(),
            email: value("email").unwrap_or_default(),
            password: value("password"),
            password_hash: value("password_hash"),
            roles,
            profile,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_into_users_or_reasons() {
        let line = parse_ndjson_line(r#"{"username":"ann","email":"ann@example.com","password":"correct horse 1"}"#)
            .expect("valid");
        assert_eq!(line.password, ImportPassword::Plain("correct horse 1".into()));
        assert_eq!(line.roles, [crate::DEFAULT_ROLE]);
        let both = r#"{"username":"ann","email":"a@b.c","password":"correct horse 1","password_hash":"x"}"#;
        assert!(matches!(parse_ndjson_line(both), Err((Some(u), LineError::PasswordAndHash)) if u == "ann"));
        let hash = r#"{"username":"ann","email":"a@b.c","password_hash":"md5$abc"}"#;
        let Err((_, LineError::Invalid(e))) = parse_ndjson_line(hash) else { panic!("refused") };
        assert_eq!(e.field, "password_hash");
        assert!(matches!(parse_ndjson_line("{"), Err((None, LineError::Json(_)))));
        let bcrypt = format!("$2b$12${}", "a".repeat(53));
        let line = format!(r#"{{"username":"b","email":"b@c.d","password_hash":"{bcrypt}"}}"#);
        assert_eq!(parse_ndjson_line(&line).expect("valid").password, ImportPassword::Hash(bcrypt));
    }

    #[test]
    fn lines_are_bounded_like_bodies() {
        let roles = serde_json::to_string(&vec!["member"; limits::ROLES + 1]).unwrap_or_default();
        let line = format!(r#"{{"username":"ann","email":"a@b.c","roles":{roles}}}"#);
        let Err((_, LineError::Invalid(e))) = parse_ndjson_line(&line) else { panic!("refused") };
        assert_eq!(e.field, "roles");
        let hash = "h".repeat(limits::PASSWORD_HASH + 1);
        let line = format!(r#"{{"username":"ann","email":"a@b.c","password_hash":"{hash}"}}"#);
        let Err((_, LineError::Invalid(e))) = parse_ndjson_line(&line) else { panic!("refused") };
        assert_eq!(e.field, "password_hash");
    }

    #[test]
    fn csv_records_become_import_users() {
        assert!(check_csv_headers(["username", "email", "roles", "id"]).is_ok());
        assert!(check_csv_headers(["username"]).is_err());
        assert!(check_csv_headers(["username", "email", "shoe_size"]).expect_err("unknown").contains("shoe_size"));
        let columns = CsvColumns::new(["email", "username", "roles", "bio"]);
        let record: [&[u8]; 3] = [b"a@b.c", b"ann", b" admin; ;viewer,"];
        let user = columns.user(|i| record.get(i).copied());
        assert_eq!((user.username.as_str(), user.email.as_str()), ("ann", "a@b.c"));
        assert_eq!(user.roles, Some(vec!["admin".to_owned(), "viewer".to_owned()]));
        assert_eq!(user.profile, None);
    }
}
