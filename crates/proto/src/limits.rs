//! The bounds of every request: how long each string may be and how many
//! items each list may hold. Each constant is used twice, in the JSON
//! Schema of the wire type (`#[schemars(length(max = ...))]`, so the OpenAPI
//! document declares it as `maxLength` or `maxItems`) and in the server's
//! check (`plat_domain::Bounded`, run by the daemon's extractors), which
//! answers `VALIDATION_ERROR` naming the field. `docs/api.md` ("Limits")
//! lists them.
//!
//! Lengths count characters (Unicode scalar values), as JSON Schema's
//! `maxLength` does; the one exception is `EMAIL`, whose 254 are bytes
//! (RFC 5321) and so never more characters.

/// Tenant slugs (a DNS label).
pub const SLUG: usize = 63;
/// Role, service-account and sync-target names (slug-like).
pub const NAME: usize = 63;
/// Usernames, before and after NFKC; also a user named by id or username
/// (a UUID is 36 characters).
pub const USERNAME: usize = 64;
/// Email addresses, and the login name (a username or an email).
pub const EMAIL: usize = 254;
/// Passwords. argon2 takes any length (its first step hashes the input
/// once with BLAKE2b, so cost grows only linearly); 1 KiB is far beyond any
/// passphrase. Imported bcrypt hashes only ever read 72 bytes anyway.
pub const PASSWORD: usize = 1024;
/// An imported password hash (`$argon2id$…` is about 100, bcrypt 60).
pub const PASSWORD_HASH: usize = 512;
/// Tokens and secrets a caller hands back: access tokens (JWT, about 1 KiB
/// with many roles), refresh tokens, service-account secrets.
pub const TOKEN: usize = 8192;
/// A sync target's `whsec_…` secret (base64 of at most 64 bytes).
pub const SECRET: usize = 256;
/// URLs: avatars, targets, read-back base URLs.
pub const URL: usize = 2048;
/// A second factor's code as typed: six digits, or a recovery code with
/// its dashes and spaces.
pub const MFA_CODE: usize = 64;
/// A passkey's answer (a WebAuthn credential as JSON), in bytes: an
/// attestation with a certificate chain fits in a few KiB.
pub const CREDENTIAL: usize = 16384;
/// Sessions one listing shows (a person's live sessions, newest first).
pub const SESSIONS: usize = 200;
/// Tenant display names.
pub const TENANT_NAME: usize = 200;
/// Role and service-account descriptions.
pub const DESCRIPTION: usize = 500;
/// Profile nickname.
pub const NICKNAME: usize = 100;
/// Profile bio.
pub const BIO: usize = 2000;
/// A permission `resource:action` (each part at most 64).
pub const PERMISSION: usize = 129;
/// An event type pattern (`user.*`); also a glob filter.
pub const PATTERN: usize = 128;
/// A space-separated OAuth `scope` string.
pub const SCOPE: usize = 4096;
/// Ids, jtis, client ids, cursors, `grant_type`, `audience`.
pub const ID: usize = 256;
/// Durations (`15m`) and times (RFC 3339).
pub const TIME: usize = 64;
/// Free-text filters of list queries (`search`, `actor`, `target`, `status`).
pub const FILTER: usize = 256;

/// Roles granted at once to a user or a service account.
pub const ROLES: usize = 64;
/// Audiences of one service account.
pub const AUDIENCES: usize = 16;
/// Public keys of one OAuth client.
pub const CLIENT_KEYS: usize = 8;
/// One base64url member of a JWK (an RSA-8192 modulus is 1,366 characters).
pub const JWK_PART: usize = 1400;
/// Permissions of a role, and of one change to it.
pub const PERMISSIONS: usize = 256;
/// Scopes of an issued token.
pub const SCOPES: usize = 64;
/// Event patterns of a sync target.
pub const EVENTS: usize = 50;
/// Options of a sync target.
pub const OPTIONS: usize = 16;
/// Names in one list of a sync target's rules (tenants, fields).
pub const SELECTION: usize = 100;
/// Bytes of an expression (`plat_domain::expr::MAX_LEN`).
pub const EXPRESSION: usize = 1024;
/// Conditional permissions of one role.
pub const CONDITIONS: usize = 64;
/// Checks in one `POST /authz/check/batch`.
pub const AUTHZ_BATCH: usize = 100;
/// Bytes of an authorization check's `context` (as JSON).
pub const AUTHZ_CONTEXT: usize = 8192;
/// Events in one batched delivery.
pub const BATCH_EVENTS: u32 = 1000;
/// Bytes of one batched delivery.
pub const BATCH_BYTES: u64 = 16 << 20;
/// Task ids of one dead-letter replay or purge. The store selects them in
/// chunks of 500 and requeues or deletes in chunks of 500, all in one
/// transaction.
pub const DLQ_IDS: usize = 10_000;
/// Largest page number (`page × page_size` must fit the SQL offset).
pub const PAGE: u64 = 1_000_000;
/// Findings included in one `GET /checks/{id}` (more: page through
/// `/checks/{id}/findings`).
pub const FINDINGS: u64 = 1000;

/// The forms of names, declared as `pattern` on the fields where the server
/// checks them (creating a tenant, a role, a service account, a target;
/// granting roles at creation; permissions of roles and tokens). They say
/// what `plat_domain::validate_slug`, `validate_name` and
/// `validate_permission` check, in ECMA-262 regular expressions.
///
/// Slugs: a letter, then letters, digits and single `-`, not last (2–63).
pub const SLUG_PATTERN: &str = "^[a-z](-?[a-z0-9])+$";
/// Names: a letter, then letters, digits and `-`, not last (1–63).
pub const NAME_PATTERN: &str = "^[a-z]([a-z0-9-]*[a-z0-9])?$";
/// Permissions: `*`, or `resource:action`, each `*` or 1–64 of `a-z0-9.-`.
pub const PERMISSION_PATTERN: &str = r"^(\*|(\*|[a-z0-9.-]{1,64}):(\*|[a-z0-9.-]{1,64}))$";

/// Catch-all of the JSON extractor: no string anywhere in a request body
/// is longer, whatever its field (one added without a limit included).
pub const ANY_STRING: usize = TOKEN;
/// Catch-all of the JSON extractor: no list or object anywhere in a
/// request body has more items.
pub const ANY_ITEMS: usize = DLQ_IDS;

/// A quota's resource name (`storage_bytes`).
pub const QUOTA_RESOURCE: usize = 63;
/// Quotas one tenant may declare (besides `users`).
pub const QUOTAS: usize = 100;
/// Resource names: a letter, then letters, digits, `_`, `.` and `-` (1–63).
pub const QUOTA_RESOURCE_PATTERN: &str = "^[a-z][a-z0-9_.-]{0,62}$";

/// An organization named by id (`org_…`) or by its path of names from the
/// root (`acme/engineering`: at most `ORG_DEPTH` names).
pub const ORG_REF: usize = 640;
/// Levels of an organization tree (a root is level 1).
pub const ORG_DEPTH: u32 = 10;
/// Most roles one user holds on organizations.
pub const USER_ORG_ROLES: usize = 1000;
/// Most organizations a user joins when created.
pub const USER_ORGS: usize = 16;
/// Organizations one list or tree answers.
pub const ORG_LIST: usize = 10_000;
/// Bytes of an organization's `metadata` (as JSON).
pub const ORG_METADATA: usize = 8192;
/// Keys of an organization's `metadata`.
pub const ORG_METADATA_KEYS: usize = 64;
