//! Validation and normalisation of slugs, usernames, emails, role names,
//! permissions and passwords. Their lengths are `plat_proto::limits`, which
//! the wire types also declare in their JSON Schema.

use plat_proto::limits;
use unicode_normalization::UnicodeNormalization;

use crate::Invalid;

/// At most `max` characters (Unicode scalar values, what JSON Schema's
/// `maxLength` counts).
pub fn validate_len(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    // A string of at most `max` bytes has at most `max` characters: count
    // only the longer ones.
    if value.len() > max && value.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters long")));
    }
    Ok(())
}

/// At most `max` items (JSON Schema's `maxItems`).
pub fn validate_count(field: &str, count: usize, max: usize) -> Result<(), Invalid> {
    if count > max {
        return Err(Invalid::new(field, format!("must have at most {max} items")));
    }
    Ok(())
}

/// Tenant slugs: 2–63 characters of `a-z`, `0-9` and `-`, starting with a
/// letter and not ending with `-` (a DNS label, so slugs fit in hostnames,
/// Kubernetes names and Redis keys).
pub fn validate_slug(field: &str, slug: &str) -> Result<(), Invalid> {
    let bytes = slug.as_bytes();
    if !(2..=limits::SLUG).contains(&bytes.len()) {
        return Err(Invalid::new(field, format!("must be 2 to {} characters long", limits::SLUG)));
    }
    if !bytes[0].is_ascii_lowercase() {
        return Err(Invalid::new(field, "must start with a lowercase letter"));
    }
    if bytes[bytes.len() - 1] == b'-' {
        return Err(Invalid::new(field, "must not end with '-'"));
    }
    if !bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-') {
        return Err(Invalid::new(field, "may contain only a-z, 0-9 and '-'"));
    }
    if slug.contains("--") {
        return Err(Invalid::new(field, "must not contain '--'"));
    }
    Ok(())
}

/// The key two names are compared by: NFKC, then lower case. `ＡＬＩＣＥ`,
/// `Alice` and `alice` are one username.
pub fn normalize_key(value: &str) -> String {
    value.nfkc().flat_map(char::to_lowercase).collect()
}

/// Usernames: 1–64 characters, as given and after NFKC, of letters, digits
/// and `._-`; no `@` so a login name is never mistaken for an email.
pub fn validate_username(username: &str) -> Result<String, Invalid> {
    let too_long = || Invalid::new("username", format!("must be 1 to {} characters long", limits::USERNAME));
    validate_len("username", username, limits::USERNAME).map_err(|_| too_long())?;
    let normalized: String = username.trim().nfkc().collect();
    let count = normalized.chars().count();
    if count == 0 || count > limits::USERNAME {
        return Err(too_long());
    }
    if let Some(bad) = normalized.chars().find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(Invalid::new(
            "username",
            format!("may contain only letters, digits, '.', '_' and '-' (found {bad:?})"),
        ));
    }
    Ok(normalized)
}

/// Emails: a pragmatic check (one `@`, a non-empty local part, a dotted
/// domain, no spaces, at most 254 bytes); the only true test is a delivered
/// message, which is not plat's job.
pub fn validate_email(email: &str) -> Result<String, Invalid> {
    let normalized: String = email.trim().nfkc().collect();
    let invalid = || Invalid::new("email", format!("{normalized:?} is not a valid email address"));
    if email.len() > limits::EMAIL
        || normalized.len() > limits::EMAIL
        || normalized.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let (local, domain) = normalized.split_once('@').ok_or_else(invalid)?;
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return Err(invalid());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
        return Err(invalid());
    }
    Ok(normalized)
}

/// Passwords: 8 to 1024 characters. Length is what matters (NIST 800-63B);
/// no composition rules.
pub fn validate_password(field: &str, password: &str) -> Result<(), Invalid> {
    if password.chars().count() < 8 {
        return Err(Invalid::new(field, "must be at least 8 characters long"));
    }
    validate_len(field, password, limits::PASSWORD)
}

/// Role and service-account names: like slugs, 1–63 characters.
pub fn validate_name(field: &str, name: &str) -> Result<(), Invalid> {
    let ok_chars = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if name.is_empty() || name.len() > limits::NAME {
        return Err(Invalid::new(field, format!("must be 1 to {} characters long", limits::NAME)));
    }
    if !ok_chars || !name.as_bytes()[0].is_ascii_lowercase() || name.ends_with('-') {
        return Err(Invalid::new(field, "must start with a-z, contain only a-z, 0-9 and '-', and not end with '-'"));
    }
    Ok(())
}

/// Free text such as names, nicknames and bios: bounded, no control characters.
pub fn validate_text(field: &str, value: &str, max_chars: usize) -> Result<(), Invalid> {
    validate_len(field, value, max_chars)?;
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(())
}

/// Avatar URLs: empty, or an absolute http(s) URL.
pub fn validate_url(field: &str, value: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return Ok(());
    }
    validate_text(field, value, limits::URL)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| Invalid::new(field, "must be an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') || value.contains(char::is_whitespace) {
        return Err(Invalid::new(field, "must be an absolute URL with a host"));
    }
    Ok(())
}

/// A URL with its secrets replaced by `***`, for display: the password of
/// its user-info and the value of any `password`-like query parameter
/// (PostgreSQL accepts `?password=`).
pub fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = match (head.find("://"), head.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match head[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &head[..scheme + 3], &head[at..]),
            None => head.to_owned(),
        },
        _ => head.to_owned(),
    };
    if let Some(query) = query {
        let secret = |key: &str| {
            let key = key.to_ascii_lowercase();
            ["password", "pass", "pwd", "secret", "token"].iter().any(|s| key.contains(s))
        };
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if secret(key) => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(redact_url("redis://:secret@host:6379/0"), "redis://:***@host:6379/0");
        assert_eq!(redact_url("postgres://u:p@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("http://h/x"), "http://h/x");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=p&sslmode=off"),
            "postgres://h/db?user=u&password=***&sslmode=off"
        );
        assert_eq!(redact_url("http://a:b@h/x?token=t"), "http://a:***@h/x?token=***");
        assert_eq!(redact_url("http://h/x?a=b@c:d"), "http://h/x?a=b@c:d");
    }

    #[test]
    fn slugs() {
        for ok in ["acme", "a1", "acme-corp", "system"] {
            assert!(validate_slug("slug", ok).is_ok(), "{ok}");
        }
        for bad in ["a", "Acme", "1acme", "acme-", "ac--me", "ac_me", "", &"a".repeat(64)] {
            assert!(validate_slug("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_normalize_and_compare_case_insensitively() {
        assert_eq!(validate_username(" ＡＬＩＣＥ ").expect("valid"), "ALICE");
        assert_eq!(normalize_key("ＡＬＩＣＥ"), normalize_key("alice"));
        assert_eq!(normalize_key("Straße"), "straße");
        assert!(validate_username("bob smith").is_err());
        assert!(validate_username("bob@x").is_err());
        assert!(validate_username("").is_err());
        assert!(validate_username("jörg.o_k-1").is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(validate_email("Alice@Acme.test").expect("valid"), "Alice@Acme.test");
        for bad in ["alice", "@acme.test", "alice@", "alice@acme", "a b@acme.test", "a@b@c.d", "a@-x.test"] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_and_names() {
        assert!(validate_password("password", "short").is_err());
        assert!(validate_password("password", "long enough").is_ok());
        assert!(validate_password("password", &"x".repeat(1025)).is_err());
        assert!(validate_name("name", "orders-writer").is_ok());
        assert!(validate_name("name", "Orders").is_err());
        assert!(validate_url("avatar_url", "https://cdn.test/a.png").is_ok());
        assert!(validate_url("avatar_url", "javascript:alert(1)").is_err());
        assert!(validate_text("bio", "a\u{0}", 10).is_err());
    }
}
