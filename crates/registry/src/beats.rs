//! Heartbeats, kept in memory and written in batches.
//!
//! A beat of an instance this replica already knows as passing changes
//! nothing a client sees: it is answered from memory and its time written
//! with the others' at the next flush (`registry.heartbeat_flush`, 1 s), in
//! one transaction. A first beat, or one that brings an instance back from
//! critical, changes the service's answer: it waits for a flush that starts
//! at once and carries every such beat that arrived meanwhile (group
//! commit), so it is durable when answered and a burst of new instances
//! costs one clock value and one event per service and batch, not per
//! instance.
//!
//! What a replica that stops may lose: the steady beats it took since its
//! last flush (at most `heartbeat_flush` of them). The sweep that turns
//! silent instances critical (on the prober's replica) allows that much
//! beyond each TTL, so a lost flush never turns a live instance critical; an
//! instance that really stopped turns critical within TTL + flush.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plat_proto::{Instance, InstanceSource, InstanceStatus};
use plat_store::{Beat, BeatOutcome, Ctx, StoreError, format_ms, now_ms};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::hub::Hub;

type Answer = oneshot::Sender<Result<BeatOutcome, StoreError>>;

/// Beats waiting for the next flush.
#[derive(Default)]
pub(crate) struct Beats {
    pending: Mutex<Pending>,
    /// One flush at a time. A beat that waits for its answer takes its turn
    /// and flushes everything pending, unless the flush before it already
    /// carried its beat.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct Pending {
    /// The latest steady beat of each (namespace, name, instance).
    kept: HashMap<(String, String, String), Beat>,
    /// Beats that change the answer, with who sent them and who waits.
    first: Vec<(Beat, Ctx, Answer)>,
}

impl Beats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Hub {
    /// An instance of `namespace/name` says it is alive. Answers the
    /// instance as discovery will show it. `url` may be empty after the
    /// first beat; `ctx` is who is acting (the audit record of a change).
    pub async fn beat(
        self: &Arc<Self>,
        ctx: &Ctx,
        (namespace, name): (&str, &str),
        (instance_id, url): (&str, &str),
        ttl_ms: i64,
    ) -> Result<Instance, StoreError> {
        let now = now_ms();
        let beat = Beat {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            instance_id: instance_id.to_owned(),
            url: url.to_owned(),
            ttl_ms,
            at: now,
            passing: false,
        };
        let known = self.get(namespace, name).and_then(|s| s.instances.get(instance_id).map(|i| i.instance.clone()));
        // Nothing a client sees changes: a passing instance at the same URL.
        if let Some(mut instance) = known
            && instance.source == InstanceSource::Heartbeat
            && instance.status == InstanceStatus::Passing
            && (url.is_empty() || url == instance.url)
        {
            let key = (beat.namespace.clone(), beat.name.clone(), beat.instance_id.clone());
            self.beats.lock().kept.insert(key, Beat { passing: true, ..beat });
            instance.last_heartbeat_at = Some(format_ms(now));
            return Ok(instance);
        }
        let (tx, mut rx) = oneshot::channel();
        self.beats.lock().first.push((beat.clone(), ctx.clone(), tx));
        let turn = self.beats.flushing.clone().lock_owned().await;
        let carried = match rx.try_recv() {
            // The flush before this turn carried it.
            Ok(outcome) => Some(outcome),
            Err(oneshot::error::TryRecvError::Closed) => None,
            Err(oneshot::error::TryRecvError::Empty) => {
                // The flush runs on a task of its own, holding the turn: a
                // caller that goes away (a client that hangs up) cuts short
                // neither its batch-mates' answers nor the steady beats.
                let hub = self.clone();
                let _ = tokio::spawn(async move {
                    hub.flush_pending().await;
                    drop(turn);
                })
                .await;
                rx.try_recv().ok()
            }
        };
        match carried {
            Some(outcome) => {
                outcome?;
            }
            // Taken by a flush that failed midway (a panic): write it alone.
            None => {
                if self.write_alone(ctx, &beat).await? == BeatOutcome::Passing {
                    self.refresh().await?;
                }
            }
        }
        let shown = self.get(namespace, name).and_then(|s| s.instances.get(instance_id).map(|i| i.instance.clone()));
        // Another replica's hub may not have caught up with the first beat yet.
        Ok(shown.unwrap_or(Instance {
            id: instance_id.to_owned(),
            url: url.to_owned(),
            healthy: true,
            status: InstanceStatus::Passing,
            source: InstanceSource::Heartbeat,
            last_probe_at: None,
            last_heartbeat_at: Some(format_ms(now)),
            latency_ms: None,
            consecutive_successes: 1,
            consecutive_failures: 0,
        }))
    }

    async fn write_alone(&self, ctx: &Ctx, beat: &Beat) -> Result<BeatOutcome, StoreError> {
        let mut answers = self.store().record_beats(ctx, std::slice::from_ref(beat)).await?;
        answers.pop().unwrap_or(Ok(BeatOutcome::Kept))
    }

    /// Write buffered steady beats every `every` until `cancel` (then once
    /// more). Beats that wait for their answer do not wait for this.
    pub async fn run_beats(&self, every: Duration, cancel: CancellationToken) {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => {
                    self.flush_beats().await;
                    return;
                }
                _ = tokio::time::sleep(every) => {}
            }
            self.flush_beats().await;
        }
    }

    /// Write what is buffered now.
    pub async fn flush_beats(&self) {
        let _turn = self.beats.flushing.lock().await;
        self.flush_pending().await;
    }

    /// Write what is buffered (the caller holds the flushing turn): steady
    /// beats with the first group, one transaction per acting principal. A
    /// group that fails is written beat by beat, so that each caller gets
    /// its own answer.
    async fn flush_pending(&self) {
        let (kept, first) = {
            let mut pending = self.beats.lock();
            (std::mem::take(&mut pending.kept), std::mem::take(&mut pending.first))
        };
        if kept.is_empty() && first.is_empty() {
            return;
        }
        let mut groups: BTreeMap<String, (Ctx, Vec<Beat>, Vec<Answer>)> = BTreeMap::new();
        for (beat, ctx, answer) in first {
            let group = groups.entry(ctx.actor.clone()).or_insert_with(|| (ctx, Vec::new(), Vec::new()));
            group.1.push(beat);
            group.2.push(answer);
        }
        let mut steady: Vec<Beat> = kept.into_values().collect();
        if groups.is_empty() {
            groups.insert(String::new(), (Ctx { actor: "registry".into(), ..Ctx::system() }, Vec::new(), Vec::new()));
        }
        let mut changed = false;
        for (_, (ctx, waiting, answers)) in groups {
            // Steady beats go first, so that a group's answers are its tail.
            let mut beats = std::mem::take(&mut steady);
            let skip = beats.len();
            beats.extend(waiting);
            let outcomes = match self.store().record_beats(&ctx, &beats).await {
                Ok(outcomes) => outcomes,
                Err(e) => {
                    tracing::warn!(error = %e, beats = beats.len(), "registry: cannot write heartbeats together; writing them one by one");
                    let mut outcomes = Vec::with_capacity(beats.len());
                    for beat in &beats {
                        outcomes.push(self.write_alone(&ctx, beat).await);
                    }
                    outcomes
                }
            };
            changed |= outcomes.iter().any(|o| matches!(o, Ok(BeatOutcome::Passing)));
            for (answer, outcome) in answers.into_iter().zip(outcomes.into_iter().skip(skip)) {
                let _ = answer.send(outcome);
            }
        }
        if changed && let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "registry: cannot refresh discovery");
        }
    }
}
