//! Consistency checks: compare plat's users with each target's copy, store
//! what differs, and repair exactly that through the sync engine.
//!
//! - **Digest mode** (the default for HTTP targets that serve one, and for
//!   Redis): both sides compute the read-back digest (`plat_domain::readback`)
//!   over the same N buckets; only the records of buckets whose sums differ
//!   are read and compared. A clean target costs N bucket sums on the wire.
//! - **Paging mode** (targets without digests, or too many differing
//!   buckets to fetch one by one): plat streams its records in id order and
//!   merges them with the target's pages. Memory stays flat either way.
//! - Differences become findings unless the record is still moving: a task
//!   for it is open for the target, or it changed after `start - grace`.
//! - Repair enqueues priority tasks with the current snapshot (or a delete)
//!   through `Store::enqueue_repairs`.
//!
//! A check is created by `POST /checks` (or the scheduler) and run by the
//! replica that created it, which renews a lease on it; the partial unique
//! index on open reports keeps one check per target across replicas.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plat_domain::readback::Digest;
use plat_proto::{
    Check, CheckMode, CheckProgress, CheckStatus, CheckTarget, CheckTargetStatus, CreateCheck, Finding, FindingKind,
    INTERNAL_TARGET,
};
use plat_store::{Ctx, RepairOutcome, RepairRequest, Store, TargetRow, UserScope, VersionedId, now_ms};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use plat_domain::trace::TraceContext;
use plat_sync::Drivers;

mod metrics;
pub use metrics::CheckMetrics;

/// The checks' settings (the daemon maps its `[checks]` section onto them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Run `--all` (and the internal check) this often; zero is off.
    pub interval: Duration,
    /// Whether scheduled checks repair what they find.
    pub repair: bool,
    /// Whether scheduled checks include the internal check.
    pub internal: bool,
    /// Records changed this recently (before the check started) are not findings.
    pub grace: Duration,
    /// Timeout of one read-back request.
    pub timeout: Duration,
    /// Records per read-back page.
    pub page_size: u32,
    /// Findings stored per target and check; more are counted (and repaired) only.
    pub max_findings: u32,
    /// How far back the internal check looks for events without tasks
    /// (the sync engine's retention: older tasks are purged).
    pub history: Duration,
}

/// Why a check cannot start.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The request is not one a check can run (`field` names what to fix).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] plat_store::StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CheckError {
    CheckError::Invalid { field, message: message.into() }
}
use plat_sync::kinds::{self, ReadBackError, ReadBackSupport, Reader, ReaderCtx};

/// A failure on plat's side of a check, in the words a report may show:
/// the error's kind for the user, the cause in the log.
fn internal(e: impl Into<CheckFailure>) -> String {
    match e.into() {
        CheckFailure::Store(e) => {
            tracing::warn!(error = %e, "check: plat's store failed");
            e.public()
        }
        CheckFailure::ReadBack(e) => e.to_string(),
    }
}

/// What a check step can fail with.
enum CheckFailure {
    Store(plat_store::StoreError),
    ReadBack(ReadBackError),
}

impl From<plat_store::StoreError> for CheckFailure {
    fn from(e: plat_store::StoreError) -> Self {
        CheckFailure::Store(e)
    }
}

impl From<ReadBackError> for CheckFailure {
    fn from(e: ReadBackError) -> Self {
        CheckFailure::ReadBack(e)
    }
}

/// How long a runner's lease on its check lasts; renewed at a third of it.
const LEASE: Duration = Duration::from_secs(30);
/// Differing buckets fetched one by one at most; beyond, an HTTP target is paged.
const MAX_BUCKET_FETCHES: usize = 16;
/// Records of differing buckets held at once (Redis reads more in passes).
const BUCKET_RECORDS_BUDGET: u64 = 200_000;
/// Differences handled (excluded, stored, repaired) per batch.
const DIFF_BATCH: usize = 1000;
/// Progress is written at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Buckets for `records` records: about 64 records a bucket, a power of two
/// between 64 and 65,536.
pub fn bucket_count(records: u64) -> u32 {
    (records / 64).clamp(64, 65_536).next_power_of_two().min(65_536) as u32
}

/// One difference between plat and a target.
#[derive(Debug, Clone)]
struct Diff {
    id: String,
    kind: FindingKind,
    plat: Option<u64>,
    target: Option<u64>,
}

/// Merge two id-sorted runs, calling `out` for each difference.
fn diff_sorted(plat: &[VersionedId], target: &[VersionedId], out: &mut Vec<Diff>) {
    let (mut i, mut j) = (0, 0);
    while i < plat.len() || j < target.len() {
        let order = match (plat.get(i), target.get(j)) {
            (Some(p), Some(t)) => p.id.as_bytes().cmp(t.id.as_bytes()),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                out.push(Diff {
                    id: plat[i].id.clone(),
                    kind: FindingKind::Missing,
                    plat: Some(plat[i].version),
                    target: None,
                });
                i += 1;
            }
            Ordering::Greater => {
                out.push(Diff {
                    id: target[j].id.clone(),
                    kind: FindingKind::Orphan,
                    plat: None,
                    target: Some(target[j].version),
                });
                j += 1;
            }
            Ordering::Equal => {
                if plat[i].version != target[j].version {
                    out.push(Diff {
                        id: plat[i].id.clone(),
                        kind: FindingKind::Stale,
                        plat: Some(plat[i].version),
                        target: Some(target[j].version),
                    });
                }
                i += 1;
                j += 1;
            }
        }
    }
}

/// What can be said about a target before checking it: why it is skipped, if it is.
pub fn skip_reason(target: &TargetRow) -> Option<String> {
    if let ReadBackSupport::Never(why) = kinds::of(target.kind).read_back() {
        return Some(why.into());
    }
    if !target.read_back.supported {
        return Some("read-back is not enabled for it (read_back.supported)".into());
    }
    // Repairs arrive as user.updated and user.deleted.
    let wants_users =
        target.events.iter().any(|p| plat_domain::glob_matches(p, plat_proto::catalog::USER_UPDATED.name));
    if !wants_users {
        return Some("it does not subscribe to user events".into());
    }
    if target.compiled.as_ref().is_some_and(|r| r.filters_events()) {
        return Some("its rules.filter chooses events by content, so which users it should hold is unknown".into());
    }
    None
}

/// The checks of one `platd` process.
pub struct Checker {
    store: Store,
    drivers: Arc<Drivers>,
    config: Settings,
    metrics: CheckMetrics,
    owner: String,
    shutdown: CancellationToken,
}

/// A check being run: where to write, what was asked.
struct Run {
    id: String,
    request: CreateCheck,
    ctx: Ctx,
    started: i64,
    /// The trace the check continues: each read-back request is a child.
    trace: TraceContext,
}

impl Checker {
    pub fn new(store: Store, drivers: Arc<Drivers>, config: Settings, metrics: CheckMetrics) -> Checker {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "platd".into());
        Checker {
            store,
            drivers,
            config,
            metrics,
            owner: format!("{host}/{}/{}", std::process::id(), uuid::Uuid::now_v7().simple()),
            shutdown: CancellationToken::new(),
        }
    }

    /// Stop running checks (they end as failed, "platd stopped").
    pub fn stop(&self) {
        self.shutdown.cancel();
    }

    /// Validate a request, create the check and start running it here,
    /// continuing `trace` (the request's, or a new one for the scheduler).
    pub async fn start(
        self: &Arc<Self>,
        ctx: Ctx,
        request: CreateCheck,
        trace: TraceContext,
    ) -> Result<Check, CheckError> {
        if request.target.is_some() && request.all {
            return Err(invalid("target", "give a target or all, not both"));
        }
        if request.target.is_none() && !request.all && !request.internal {
            return Err(invalid("target", "give a target, all: true, or internal: true"));
        }
        if request.dry_run && !request.repair {
            return Err(invalid("dry_run", "a dry run shows what a repair would do: add repair: true"));
        }
        if matches!(request.mode, CheckMode::Redis | CheckMode::Internal) {
            return Err(invalid("mode", "choose auto, digest or paging"));
        }
        let mut reports = Vec::new();
        if let Some(name) = &request.target {
            let row = self.store.get_target(name).await?;
            if let Some(reason) = skip_reason(&row) {
                return Err(invalid("target", format!("{name} cannot be checked: {reason}")));
            }
            reports.push(CheckTarget::new(name.clone(), CheckTargetStatus::Pending));
        }
        if request.all {
            for row in self.store.list_targets().await? {
                let mut report = CheckTarget::new(row.name.clone(), CheckTargetStatus::Pending);
                if let Some(reason) = skip_reason(&row) {
                    report.status = CheckTargetStatus::Skipped;
                    report.error = Some(reason);
                    report.progress.phase = "skipped".into();
                }
                reports.push(report);
            }
        }
        if request.internal {
            reports.push(CheckTarget::new(INTERNAL_TARGET, CheckTargetStatus::Pending));
        }
        let lease_until = now_ms() + LEASE.as_millis() as i64;
        let check = self.store.create_check(&ctx, &request, &reports, &self.owner, lease_until).await?;
        let run = Run { id: check.id.clone(), request, ctx, started: now_ms(), trace };
        let me = self.clone();
        tokio::spawn(async move { me.run(run, reports).await });
        Ok(check)
    }

    async fn run(self: Arc<Self>, run: Run, reports: Vec<CheckTarget>) {
        let began = Instant::now();
        let renew = {
            let (store, id, owner) = (self.store.clone(), run.id.clone(), self.owner.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE / 3).await;
                    let until = now_ms() + LEASE.as_millis() as i64;
                    match store.renew_check(&id, &owner, until).await {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => tracing::warn!(check = %id, error = %e, "cannot renew the check's lease"),
                    }
                }
            })
        };
        let mut failures = Vec::new();
        for mut report in reports {
            if report.status != CheckTargetStatus::Pending {
                continue;
            }
            if self.shutdown.is_cancelled() {
                failures.push("platd stopped".to_owned());
                break;
            }
            let target_began = Instant::now();
            report.status = CheckTargetStatus::Running;
            let result = if report.target == INTERNAL_TARGET {
                self.check_internal(&run, &mut report).await
            } else {
                self.check_target(&run, &mut report).await
            };
            report.duration_ms = Some(target_began.elapsed().as_millis() as u64);
            match result {
                Ok(()) => {
                    report.status = CheckTargetStatus::Succeeded;
                    report.progress.phase = "done".into();
                }
                Err(message) => {
                    tracing::warn!(check = %run.id, target = %report.target, error = %message, "check failed");
                    failures.push(format!("{}: {message}", report.target));
                    report.status = CheckTargetStatus::Failed;
                    report.error = Some(message);
                }
            }
            self.metrics.observe(&report);
            if let Err(e) = self.store.save_check_target(&run.id, &report).await {
                tracing::error!(check = %run.id, error = %e, "cannot store a check report");
            }
        }
        renew.abort();
        let (status, error) = if failures.is_empty() {
            (CheckStatus::Succeeded, None)
        } else {
            (CheckStatus::Failed, Some(failures.join("; ")))
        };
        match self.store.finish_check(&run.id, status, error.as_deref()).await {
            Ok(check) => tracing::info!(
                check = %check.id, status = check.status.as_str(), findings = check.summary.findings(),
                repaired = check.summary.repaired, took_ms = began.elapsed().as_millis() as u64, "check finished"
            ),
            Err(e) => tracing::error!(check = %run.id, error = %e, "cannot finish the check"),
        }
    }

    /// Save progress, at most every [`PROGRESS_EVERY`].
    async fn progress(&self, run: &Run, report: &CheckTarget, last: &mut Instant) {
        if last.elapsed() >= PROGRESS_EVERY {
            *last = Instant::now();
            if let Err(e) = self.store.save_check_target(&run.id, report).await {
                tracing::warn!(check = %run.id, error = %e, "cannot store check progress");
            }
        }
    }

    async fn check_internal(&self, run: &Run, report: &mut CheckTarget) -> Result<(), String> {
        report.mode = Some(CheckMode::Internal);
        report.progress = CheckProgress { phase: "comparing".into(), done: 0, total: 0 };
        let since = now_ms() - self.config.history.as_millis() as i64;
        let repair = run.request.repair && !run.request.dry_run;
        let findings = self
            .store
            .internal_findings(&run.ctx, u64::from(self.config.max_findings), repair, since)
            .await
            .map_err(internal)?;
        report.counts.internal = findings.len() as u64;
        // Events without tasks are repaired by checking their target, not here.
        let repairable = |f: &&Finding| f.repaired || (run.request.dry_run && f.kind != FindingKind::EventWithoutTask);
        report.counts.repaired = if run.request.repair { findings.iter().filter(repairable).count() as u64 } else { 0 };
        self.store.add_findings(&run.id, &findings).await.map_err(internal)?;
        Ok(())
    }

    async fn check_target(&self, run: &Run, report: &mut CheckTarget) -> Result<(), String> {
        let target = self.store.get_target(&report.target).await.map_err(internal)?;
        let ctx = ReaderCtx { drivers: self.drivers.clone(), timeout: self.config.timeout, trace: run.trace };
        let remote = kinds::of(target.kind).reader(&target, ctx)?;
        let remote = remote.as_ref();
        let mut diffs = Diffs::new(self, run, &target);
        let result = self.compare(run, &target, remote, report, &mut diffs).await;
        report.bytes = remote.bytes();
        result?;
        diffs.flush(report).await.map_err(internal)?;
        Ok(())
    }

    async fn compare(
        &self,
        run: &Run,
        target: &TargetRow,
        remote: &dyn Reader,
        report: &mut CheckTarget,
        diffs: &mut Diffs<'_>,
    ) -> Result<(), String> {
        let scope = UserScope::of(target);
        let plat_count = self.store.count_live_users(&scope).await.map_err(internal)?;
        report.plat_records = plat_count;
        let mut last = Instant::now();
        let redis = remote.local();
        let mode = match (redis, run.request.mode) {
            (true, _) => CheckMode::Redis,
            (false, CheckMode::Paging) => CheckMode::Paging,
            (false, _) => CheckMode::Digest,
        };
        report.mode = Some(mode);
        if mode == CheckMode::Paging {
            return self.compare_paged(run, remote, report, diffs, &mut last).await;
        }
        // Digests of both sides at once.
        let buckets = bucket_count(plat_count);
        report.buckets = buckets;
        report.progress = CheckProgress { phase: "reading".into(), done: 0, total: plat_count };
        self.progress(run, report, &mut last).await;
        let (ours, theirs) = tokio::join!(self.plat_digest(&scope, buckets), remote.digest(buckets));
        let ours = ours?;
        let theirs = match theirs {
            Ok(digest) => digest,
            Err(ReadBackError::NoDigest(status)) if run.request.mode == CheckMode::Auto => {
                tracing::info!(target = %target.name, status, "no digest; paging the target instead");
                report.mode = Some(CheckMode::Paging);
                report.buckets = 0;
                return self.compare_paged(run, remote, report, diffs, &mut last).await;
            }
            Err(e) => return Err(e.to_string()),
        };
        report.target_records = theirs.buckets.iter().map(|b| b.count).sum();
        let differing: Vec<u32> =
            (0..buckets).filter(|b| ours.buckets[*b as usize] != theirs.buckets[*b as usize]).collect();
        report.mismatched_buckets = differing.len() as u32;
        if differing.is_empty() {
            return Ok(());
        }
        if !redis && differing.len() > MAX_BUCKET_FETCHES && run.request.mode == CheckMode::Auto {
            // Fetching each bucket costs the target a scan: one paged pass is cheaper.
            report.mode = Some(CheckMode::Paging);
            return self.compare_paged(run, remote, report, diffs, &mut last).await;
        }
        // Read the differing buckets from both sides, in passes of bounded size.
        report.progress = CheckProgress { phase: "comparing".into(), done: 0, total: differing.len() as u64 };
        let mut pass: Vec<u32> = Vec::new();
        let mut expected = 0u64;
        let mut passes = Vec::new();
        for b in differing {
            let size = ours.buckets[b as usize].count.max(theirs.buckets[b as usize].count);
            if !pass.is_empty() && expected + size > BUCKET_RECORDS_BUDGET {
                passes.push(std::mem::take(&mut pass));
                expected = 0;
            }
            pass.push(b);
            expected += size;
        }
        passes.push(pass);
        for pass in passes {
            let (mut mine, mut theirs) = tokio::try_join!(self.plat_records_in(&scope, &pass, buckets), async {
                remote.records_in(&pass, buckets).await.map_err(internal)
            })?;
            mine.sort_unstable();
            theirs.sort_unstable();
            let mut found = Vec::new();
            diff_sorted(&mine, &theirs, &mut found);
            diffs.push_all(found, report).await.map_err(internal)?;
            report.progress.done += pass.len() as u64;
            report.bytes = remote.bytes();
            self.progress(run, report, &mut last).await;
        }
        Ok(())
    }

    /// plat's digest over `buckets`, hashing while the store streams.
    async fn plat_digest(&self, scope: &UserScope, buckets: u32) -> Result<Digest, String> {
        let mut rx = self.store.stream_user_versions(scope, false);
        let mut digest = Digest::new(buckets);
        while let Some(batch) = rx.recv().await {
            for record in batch.map_err(internal)? {
                digest.add(&record.id, record.version);
            }
        }
        Ok(digest)
    }

    /// plat's records in the given buckets.
    async fn plat_records_in(
        &self,
        scope: &UserScope,
        wanted: &[u32],
        buckets: u32,
    ) -> Result<Vec<VersionedId>, String> {
        let set: std::collections::HashSet<u32> = wanted.iter().copied().collect();
        let mut rx = self.store.stream_user_versions(scope, false);
        let mut out = Vec::new();
        while let Some(batch) = rx.recv().await {
            let batch = batch.map_err(internal)?;
            out.extend(batch.into_iter().filter(|r| set.contains(&plat_domain::readback::bucket_of(&r.id, buckets))));
        }
        Ok(out)
    }

    /// Merge plat's records in id order with the target's pages.
    async fn compare_paged(
        &self,
        run: &Run,
        remote: &dyn Reader,
        report: &mut CheckTarget,
        diffs: &mut Diffs<'_>,
        last: &mut Instant,
    ) -> Result<(), String> {
        report.progress = CheckProgress { phase: "comparing".into(), done: 0, total: report.plat_records };
        report.target_records = 0;
        let ours = self.store.stream_user_versions(&UserScope::of(diffs.target), true);
        // Prefetch the target's pages while merging.
        let (page_tx, pages) = mpsc::channel::<Result<Vec<VersionedId>, String>>(2);
        let page_size = self.config.page_size.max(1);
        let fetch = async {
            // Owned here, so the merge sees the end of the pages when this ends.
            let page_tx = page_tx;
            let mut cursor: Option<String> = None;
            let mut order = plat_domain::readback::AscendingIds::default();
            loop {
                let (items, next) = match remote.page(cursor.as_deref(), page_size).await {
                    Ok(page) => page,
                    Err(e) => {
                        let _ = page_tx.send(Err(e.to_string())).await;
                        return;
                    }
                };
                // The merge needs pages in byte order of id.
                if let Err(e) = order.check(items.iter().map(|item| item.id.as_str())) {
                    let _ = page_tx.send(Err(e)).await;
                    return;
                }
                let end = next.is_none() || items.is_empty();
                if page_tx.send(Ok(items)).await.is_err() || end {
                    return;
                }
                cursor = next;
            }
        };
        let merge = async {
            // Owned here, so an early error drops them and stops both producers.
            let (mut ours, mut pages) = (ours, pages);
            let mut mine: Vec<VersionedId> = Vec::new();
            let mut theirs: Vec<VersionedId> = Vec::new();
            let (mut mine_done, mut theirs_done) = (false, false);
            while !(mine_done && theirs_done && mine.is_empty() && theirs.is_empty()) {
                if mine.is_empty() && !mine_done {
                    match ours.recv().await {
                        Some(batch) => mine = batch.map_err(internal)?,
                        None => mine_done = true,
                    }
                    continue;
                }
                if theirs.is_empty() && !theirs_done {
                    match pages.recv().await {
                        Some(page) => {
                            theirs = page?;
                            report.target_records += theirs.len() as u64;
                        }
                        None => theirs_done = true,
                    }
                    continue;
                }
                // Both runs are complete up to the lower of their last ids
                // (a side that has ended is complete everywhere).
                let bound = match (mine.last(), theirs.last()) {
                    (Some(m), Some(t)) if !mine_done && !theirs_done => Some(m.id.clone().min(t.id.clone())),
                    _ => None,
                };
                let upto = |run: &[VersionedId]| match &bound {
                    Some(b) => run.partition_point(|r| r.id.as_bytes() <= b.as_bytes()),
                    None => run.len(),
                };
                let (m, t) = (upto(&mine), upto(&theirs));
                let mut found = Vec::new();
                diff_sorted(&mine[..m], &theirs[..t], &mut found);
                mine.drain(..m);
                theirs.drain(..t);
                report.progress.done += m as u64;
                diffs.push_all(found, report).await.map_err(internal)?;
                if last.elapsed() >= PROGRESS_EVERY {
                    report.bytes = remote.bytes();
                    self.progress(run, report, last).await;
                }
            }
            Ok::<(), String>(())
        };
        let (_, merged) = tokio::join!(fetch, merge);
        merged
    }
}

/// Differences on their way to findings: excluded when moving, stored,
/// repaired, counted.
struct Diffs<'a> {
    checker: &'a Checker,
    run: &'a Run,
    target: &'a TargetRow,
    pending: Vec<Diff>,
    stored: u64,
}

impl<'a> Diffs<'a> {
    fn new(checker: &'a Checker, run: &'a Run, target: &'a TargetRow) -> Diffs<'a> {
        Diffs { checker, run, target, pending: Vec::new(), stored: 0 }
    }

    async fn push_all(&mut self, found: Vec<Diff>, report: &mut CheckTarget) -> plat_store::Result<()> {
        self.pending.extend(found);
        if self.pending.len() >= DIFF_BATCH { self.flush(report).await } else { Ok(()) }
    }

    async fn flush(&mut self, report: &mut CheckTarget) -> plat_store::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let store = &self.checker.store;
        let cutoff = self.run.started - self.checker.config.grace.as_millis() as i64;
        let ids: Vec<String> = batch.iter().map(|d| d.id.clone()).collect();
        let moving = store.moving_records(Some(&self.target.id), &ids, cutoff).await?;
        let (kept, left): (Vec<Diff>, Vec<Diff>) = batch.into_iter().partition(|d| !moving.contains(&d.id));
        report.counts.excluded += left.len() as u64;
        let mut findings: Vec<Finding> = kept
            .iter()
            .map(|d| Finding {
                target: self.target.name.clone(),
                kind: d.kind,
                aggregate_kind: "user".into(),
                aggregate_id: d.id.clone(),
                plat_version: d.plat,
                target_version: d.target,
                detail: None,
                repair_task: None,
                repaired: false,
            })
            .collect();
        if self.run.request.repair && !self.run.request.dry_run {
            let requests: Vec<RepairRequest> =
                kept.iter().map(|d| RepairRequest { id: d.id.clone(), target_version: d.target }).collect();
            let outcomes = store.enqueue_repairs(&self.run.ctx, &self.run.id, &self.target.id, &requests).await?;
            let mut still = Vec::with_capacity(findings.len());
            for (mut finding, outcome) in findings.into_iter().zip(outcomes) {
                match outcome {
                    RepairOutcome::Task(seq) => {
                        finding.repair_task = Some(seq);
                        finding.repaired = true;
                        still.push(finding);
                    }
                    // A task opened since the comparison: the record is moving after all.
                    RepairOutcome::Moving => report.counts.excluded += 1,
                }
            }
            findings = still;
            report.counts.repaired += findings.len() as u64;
        } else if self.run.request.repair {
            report.counts.repaired += findings.len() as u64;
        }
        for f in &findings {
            match f.kind {
                FindingKind::Missing => report.counts.missing += 1,
                FindingKind::Orphan => report.counts.orphan += 1,
                FindingKind::Stale => report.counts.stale += 1,
                _ => report.counts.internal += 1,
            }
        }
        let room = u64::from(self.checker.config.max_findings).saturating_sub(self.stored) as usize;
        findings.truncate(room);
        self.stored += findings.len() as u64;
        store.add_findings(&self.run.id, &findings).await
    }
}

/// The scheduler: every `checks.interval`, the leader (the holder of the
/// `scheduler` lease) runs `--all` (and the internal check when
/// `checks.internal`). The turn, a compare-and-set in the database, keeps it
/// to once per interval even across a change of leader.
pub fn spawn_scheduler(
    checker: Arc<Checker>,
    leading: tokio::sync::watch::Receiver<bool>,
    shutdown: CancellationToken,
) {
    let interval = checker.config.interval;
    if interval.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let tick = interval.min(Duration::from_secs(30)).max(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(tick) => {}
            }
            if !*leading.borrow() {
                continue;
            }
            match checker.store.take_schedule_turn("checks_scheduled_at", interval.as_millis() as i64).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot take the check scheduler's turn");
                    continue;
                }
            }
            let request = CreateCheck {
                all: true,
                internal: checker.config.internal,
                repair: checker.config.repair,
                ..CreateCheck::default()
            };
            let ctx = Ctx { actor: "scheduler".into(), ..Ctx::system() };
            match checker.start(ctx, request, plat_telemetry::new_trace()).await {
                Ok(check) => tracing::info!(check = %check.id, "scheduled check started"),
                Err(e) => tracing::warn!(error = %e, "scheduled check not started"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, version: u64) -> VersionedId {
        VersionedId { id: id.into(), version }
    }

    #[test]
    fn sorted_runs_diff_into_missing_orphan_and_stale() {
        let plat = [v("a", 1), v("b", 2), v("d", 4)];
        let target = [v("b", 3), v("c", 1), v("d", 4)];
        let mut out = Vec::new();
        diff_sorted(&plat, &target, &mut out);
        let got: Vec<(&str, FindingKind, Option<u64>, Option<u64>)> =
            out.iter().map(|d| (d.id.as_str(), d.kind, d.plat, d.target)).collect();
        assert_eq!(
            got,
            [
                ("a", FindingKind::Missing, Some(1), None),
                ("b", FindingKind::Stale, Some(2), Some(3)),
                ("c", FindingKind::Orphan, None, Some(1)),
            ]
        );
    }

    #[test]
    fn buckets_grow_with_the_records() {
        assert_eq!(bucket_count(0), 64);
        assert_eq!(bucket_count(100_000), 2048);
        assert_eq!(bucket_count(1_000_000), 16_384);
        assert_eq!(bucket_count(u64::MAX), 65_536);
    }
}
