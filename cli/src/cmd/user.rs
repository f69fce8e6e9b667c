//! user create | list | get | update | disable | enable | unlock | delete |
//! set-password | import | export.

use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use plat_domain::import::{CSV_EXPORT, CsvColumns, check_csv_headers};
use plat_proto::{CreateUser, ImportReport, ProfilePatch, UpdateUser, User, UserListQuery};

use crate::error::{EXIT_ERROR, Failure};
use crate::output::{Format, Row, ago, ago_opt, emit, or_dash};
use crate::prompt;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user (roles default to member).
    Create {
        username: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordSource,
        /// Role to grant; repeat for several.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Organization (path or id) the user joins; repeat for several.
        /// An organization admin creates users this way, into its subtree.
        #[arg(long = "org", value_name = "ORG")]
        orgs: Vec<String>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// List users of the tenant.
    List {
        /// active, disabled, locked.
        #[arg(long)]
        status: Option<String>,
        /// Only users holding this role.
        #[arg(long)]
        role: Option<String>,
        /// Part of the username or email.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, conflicts_with = "all")]
        page: Option<u64>,
        /// Users per page (at most 500).
        #[arg(long)]
        page_size: Option<u64>,
        /// Every page, walked with a cursor.
        #[arg(long)]
        all: bool,
    },
    /// Show one user (by id or username).
    Get { user: String },
    /// Change a user's email or profile.
    Update {
        user: String,
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Disable a user: no more logins, sessions ended.
    Disable { user: String },
    /// Enable a disabled user.
    Enable { user: String },
    /// Unlock a user locked out by failed logins.
    Unlock { user: String },
    /// Delete a user (asks first): soft by default, --hard removes it.
    Delete {
        user: String,
        /// Remove the user for good instead of marking it deleted.
        #[arg(long)]
        hard: bool,
    },
    /// Set a user's password (prompted for on a terminal).
    SetPassword {
        user: String,
        #[command(flatten)]
        password: PasswordSource,
        /// Your own password: keep this CLI's session, end the others.
        #[arg(long)]
        keep_session: bool,
    },
    /// Import users from an NDJSON or CSV file (by extension).
    Import {
        file: PathBuf,
        /// Validate every line without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export the tenant's users to stdout.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Ndjson)]
        format: ExportFormat,
    },
}

#[derive(Args, Debug)]
#[group(multiple = false)]
pub struct PasswordSource {
    /// Read the password from stdin.
    #[arg(long)]
    password_stdin: bool,
    /// Generate a password and print it once (on stderr).
    #[arg(long)]
    generate_password: bool,
}

#[derive(Args, Debug, Default)]
pub struct ProfileArgs {
    #[arg(long)]
    nickname: Option<String>,
    #[arg(long)]
    avatar_url: Option<String>,
    #[arg(long)]
    bio: Option<String>,
}

impl ProfileArgs {
    fn patch(self) -> Option<ProfilePatch> {
        if self.nickname.is_none() && self.avatar_url.is_none() && self.bio.is_none() {
            return None;
        }
        Some(ProfilePatch { nickname: self.nickname, avatar_url: self.avatar_url, bio: self.bio })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

impl Row for User {
    const COLUMNS: &'static [&'static str] = &["USERNAME", "EMAIL", "STATUS", "ROLES", "AGE"];
    const WIDE: &'static [&'static str] = &["ID", "NICKNAME", "VERSION", "LOGINS", "LAST LOGIN"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.username.clone(),
            self.email.clone(),
            self.status.clone(),
            or_dash(&self.roles.join(",")),
            ago(&self.created_at),
        ];
        if wide {
            cells.extend([
                self.id.clone(),
                or_dash(&self.profile.nickname),
                self.version.to_string(),
                self.stats.login_count.to_string(),
                ago_opt(self.stats.last_login_at.as_deref()),
            ]);
        }
        cells
    }
    fn name(&self) -> String {
        self.username.clone()
    }
}

/// The password a create or set-password uses: stdin, generated, or prompted.
/// A generated one is printed once on stderr. `None`: create without one.
fn password(source: &PasswordSource, username: &str, required: bool) -> Result<Option<String>, Failure> {
    if source.password_stdin {
        return prompt::stdin_secret("password").map(Some);
    }
    if source.generate_password {
        let password = prompt::generate_password()?;
        eprintln!("Generated password for {username} (shown once): {password}");
        return Ok(Some(password));
    }
    if required || prompt::interactive() {
        return prompt::password(&format!("Password for {username}"), true).map(Some);
    }
    Ok(None)
}

pub async fn run(cmd: UserCmd, s: &mut Session) -> Result<(), Failure> {
    let user = match cmd {
        UserCmd::Create { username, email, password: source, roles, orgs, profile } => {
            let password = password(&source, &username, false)?;
            let roles = (!roles.is_empty()).then_some(roles);
            let orgs = (!orgs.is_empty()).then_some(orgs);
            let req = CreateUser { username, email, password, roles, profile: profile.patch(), orgs };
            s.api(async |c| c.create_user(&req).await).await?
        }
        UserCmd::List { status, role, search, page, page_size, all } => {
            return list(s, UserListQuery { status, role, search, page, page_size, ..Default::default() }, all).await;
        }
        UserCmd::Get { user } => s.api(async |c| c.get_user(&user).await).await?,
        UserCmd::Update { user, email, profile } => {
            let req = UpdateUser { email, profile: profile.patch() };
            if req.email.is_none() && req.profile.is_none() {
                return Err(Failure::usage("nothing to update: give --email, --nickname, --avatar-url or --bio"));
            }
            s.api(async |c| c.update_user(&user, &req).await).await?
        }
        UserCmd::Disable { user } => s.api(async |c| c.disable_user(&user).await).await?,
        UserCmd::Enable { user } => s.api(async |c| c.enable_user(&user).await).await?,
        UserCmd::Unlock { user } => s.api(async |c| c.unlock_user(&user).await).await?,
        UserCmd::Delete { user, hard } => {
            let found = s.api(async |c| c.get_user(&user).await).await?;
            let how = if hard { "permanently delete" } else { "delete" };
            let what = format!("{how} user {} <{}> (id {})", found.username, found.email, found.id);
            prompt::confirm(&what, s.global.yes)?;
            s.api(async |c| c.delete_user(&found.id, hard).await).await?;
            eprintln!("Deleted user {}.", found.username);
            return Ok(());
        }
        UserCmd::SetPassword { user, password: source, keep_session } => {
            let secret = password(&source, &user, true)?.unwrap_or_default();
            let req = plat_proto::SetPassword { password: secret, keep_session: keep_session.then_some(true) };
            let updated = s.api(async |c| c.set_password_with(&user, &req).await).await?;
            if keep_session {
                eprintln!("Password of {} changed; their other sessions were ended.", updated.username);
            } else {
                eprintln!("Password of {} changed; their sessions were ended.", updated.username);
            }
            return Ok(());
        }
        UserCmd::Import { file, dry_run } => return import(s, &file, dry_run).await,
        UserCmd::Export { format } => return export(s, format).await,
    };
    s.out.one(&user)
}

async fn list(s: &mut Session, mut query: UserListQuery, all: bool) -> Result<(), Failure> {
    if !all {
        let page = s.api(async |c| c.list_users(&query).await).await?;
        s.out.list(&page.items, "users")?;
        if page.page < page.total_pages && matches!(s.out.format, Format::Table | Format::Wide) {
            eprintln!(
                "Page {} of {} ({} users); next: --page {}, or --all for every page.",
                page.page,
                page.total_pages,
                page.total,
                page.page + 1
            );
        }
        return Ok(());
    }
    query.limit = Some(query.page_size.take().unwrap_or(plat_proto::MAX_PAGE_SIZE));
    let mut users = Vec::new();
    loop {
        let page = s.api(async |c| c.list_users(&query).await).await?;
        users.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    s.out.list(&users, "users")
}

pub(crate) fn progress_bar(len: Option<u64>, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Stream `file` to the import endpoint: NDJSON lines as they are, CSV
/// records turned into NDJSON lines. The bar counts bytes of the file.
async fn import(s: &mut Session, file: &Path, dry_run: bool) -> Result<(), Failure> {
    let ext = file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let csv = match ext.as_deref() {
        Some("csv") => true,
        Some("ndjson" | "jsonl" | "json") => false,
        _ => return Err(Failure::usage(format!("{}: expected a .ndjson, .jsonl or .csv file", file.display()))),
    };
    let open = || std::fs::File::open(file).map_err(|e| Failure::error(format!("cannot open {}: {e}", file.display())));
    let size = open()?.metadata().map(|m| m.len()).ok();
    if csv {
        // Check the header before anything is sent.
        let mut reader = csv::Reader::from_reader(open()?);
        let headers = reader.headers().map_err(|e| Failure::error(format!("{}: {e}", file.display())))?;
        check_csv_headers(headers.iter()).map_err(Failure::usage)?;
    }
    let bar = progress_bar(size, "{spinner} importing [{bar:40}] {bytes}/{total_bytes} {msg}");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(8);
    let (reader, path, producer_bar) = (open()?, file.to_owned(), bar.clone());
    // CSV record n is NDJSON line n; the producer returns each record's line in the file.
    let producer = tokio::task::spawn_blocking(move || -> Result<Vec<u64>, Failure> {
        let produced = if csv {
            produce_csv(reader, &path, &tx, &producer_bar)
        } else {
            produce_ndjson(reader, &tx, &producer_bar).map(|()| Vec::new())
        };
        // The server may still be writing the last batches: say so instead of sitting at 100%.
        producer_bar.set_message("sent; waiting for the server's report");
        produced
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    // A streamed body is sent once, so no retry after a refresh: refresh first.
    let client = s.fresh_client().await?;
    let result = client.import_users(reqwest::Body::wrap_stream(body), dry_run).await;
    bar.finish_and_clear();
    let csv_lines = producer.await.map_err(|e| Failure::error(format!("reading the file failed: {e}")))??;
    print_report(s, &result?, &csv_lines, file)
}

type Sender = tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>;

fn produce_ndjson(reader: std::fs::File, tx: &Sender, bar: &ProgressBar) -> Result<(), Failure> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
                return Err(e.into());
            }
        };
        if n == 0 {
            return Ok(());
        }
        bar.inc(n as u64);
        if tx.blocking_send(Ok(bytes::Bytes::copy_from_slice(&buf[..n]))).is_err() {
            // The request ended early; its error is reported.
            return Ok(());
        }
    }
}

fn produce_csv(reader: std::fs::File, path: &Path, tx: &Sender, bar: &ProgressBar) -> Result<Vec<u64>, Failure> {
    // Flexible and byte-wise: a short row or bad UTF-8 becomes a per-line
    // rejection by the server (empty or replaced fields), not an aborted import.
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(BufReader::with_capacity(256 * 1024, reader));
    let headers = reader.headers().map_err(|e| Failure::error(format!("{}: {e}", path.display())))?.clone();
    let columns = CsvColumns::new(headers.iter());
    let mut lines = Vec::new();
    let mut chunk = Vec::with_capacity(256 * 1024);
    let mut last_pos = 0u64;
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                // Abort the upload so the server does not take a truncated file for a whole one.
                let message = format!("{}: {e}", path.display());
                let _ = tx.blocking_send(Err(std::io::Error::other(message.clone())));
                return Err(Failure::error(message));
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let user = columns.user(|i| record.get(i));
        serde_json::to_writer(&mut chunk, &user).map_err(|e| Failure::error(e.to_string()))?;
        chunk.push(b'\n');
        lines.push(line);
        let pos = record.position().map_or(last_pos, |p| p.byte());
        bar.inc(pos.saturating_sub(last_pos));
        last_pos = pos;
        if chunk.len() >= 200 * 1024 && tx.blocking_send(Ok(bytes::Bytes::from(std::mem::take(&mut chunk)))).is_err() {
            return Ok(lines);
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(Ok(bytes::Bytes::from(chunk)));
    }
    Ok(lines)
}

fn print_report(s: &Session, report: &ImportReport, csv_lines: &[u64], file: &Path) -> Result<(), Failure> {
    let line_of = |n: u64| -> u64 {
        if csv_lines.is_empty() { n } else { csv_lines.get(n.saturating_sub(1) as usize).copied().unwrap_or(n) }
    };
    if matches!(s.out.format, Format::Json | Format::Yaml) {
        let mut report = report.clone();
        for e in &mut report.errors {
            e.line = line_of(e.line);
        }
        s.out.data(&report)?;
    } else {
        if !report.errors.is_empty() {
            let rows = report
                .errors
                .iter()
                .map(|e| {
                    vec![
                        line_of(e.line).to_string(),
                        e.username.clone().unwrap_or_else(|| "-".into()),
                        e.code.to_string(),
                        e.field.clone().unwrap_or_else(|| "-".into()),
                        e.message.clone(),
                    ]
                })
                .collect();
            emit(&s.out.table(&["LINE", "USERNAME", "CODE", "FIELD", "MESSAGE"], rows))?;
        }
        let verb = if report.dry_run { "would be created" } else { "created" };
        eprintln!(
            "{}: {} lines, {} {verb}, {} rejected{}.",
            file.display(),
            report.total,
            report.created,
            report.failed,
            if report.dry_run { " (dry run: nothing written)" } else { "" }
        );
    }
    if report.failed > 0 { Err(Failure::silent(EXIT_ERROR)) } else { Ok(()) }
}

/// Stream the export to stdout, as NDJSON or as CSV with the columns of `CSV_EXPORT`.
async fn export(s: &mut Session, format: ExportFormat) -> Result<(), Failure> {
    let response = s.api(async |c| c.export_users().await).await?;
    let bar = progress_bar(None, "{spinner} exporting {pos} users");
    let mut stream = response.bytes_stream();
    let out = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
    let mut sink = match format {
        ExportFormat::Ndjson => Sink::Ndjson(out),
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_EXPORT).map_err(csv_err)?;
            Sink::Csv(Box::new(w))
        }
    };
    let mut pending: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Failure::error(format!("export interrupted: {e}")))?;
        pending.extend_from_slice(&chunk);
        let Some(last_nl) = pending.iter().rposition(|b| *b == b'\n') else { continue };
        let complete: Vec<u8> = pending.drain(..=last_nl).collect();
        for line in complete.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            bar.inc(1);
            match &mut sink {
                Sink::Ndjson(w) => w.write_all(line).and_then(|()| w.write_all(b"\n")).map_err(io_err)?,
                Sink::Csv(w) => {
                    let user: User = serde_json::from_slice(line)
                        .map_err(|e| Failure::error(format!("unexpected export line: {e}")))?;
                    w.write_record(csv_record(&user)).map_err(csv_err)?;
                }
            }
        }
    }
    if !pending.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::error("export ended in the middle of a line"));
    }
    match &mut sink {
        Sink::Ndjson(w) => w.flush().map_err(io_err)?,
        Sink::Csv(w) => w.flush().map_err(io_err)?,
    }
    bar.finish_and_clear();
    Ok(())
}

enum Sink<W: Write> {
    Ndjson(W),
    Csv(Box<csv::Writer<W>>),
}

/// A closed pipe (`| head`) ends the export quietly.
fn io_err(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe { Failure::silent(0) } else { Failure::from(e) }
}

fn csv_err(e: csv::Error) -> Failure {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => io_err(e),
        other => Failure::error(format!("cannot write CSV: {other:?}")),
    }
}

fn csv_record(u: &User) -> Vec<String> {
    vec![
        u.id.clone(),
        u.username.clone(),
        u.email.clone(),
        u.status.clone(),
        u.roles.join(";"),
        u.profile.nickname.clone(),
        u.profile.avatar_url.clone(),
        u.profile.bio.clone(),
        u.version.to_string(),
        u.stats.login_count.to_string(),
        u.stats.last_login_at.clone().unwrap_or_default(),
        u.created_at.clone(),
        u.updated_at.clone(),
    ]
}
