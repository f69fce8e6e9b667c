//! Repair tasks: the current snapshot of each drifted record, as a priority task for its target.

use super::*;
use plat_proto::catalog;

impl Store {
    /// Enqueue a repair task for each request: the current snapshot as
    /// `user.updated` when plat has the user, else `user.deleted`; priority 0,
    /// metadata `{repair: true, check_id}`. A record with an open task for
    /// the target gets none (that task brings the copy up to date, and a
    /// repair must not overtake it). On PostgreSQL the users are locked
    /// first, so no change of theirs can commit between snapshot and task.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.enqueue_repairs", skip_all)]
    pub async fn enqueue_repairs(
        &self,
        ctx: &Ctx,
        check_id: &str,
        target_id: &str,
        requests: &[RepairRequest],
    ) -> Result<Vec<RepairOutcome>> {
        let mut outcomes = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(200) {
            let now = now_ms();
            let mut tx = self.begin(ctx).await?;
            let ids: Vec<String> = chunk.iter().map(|r| r.id.clone()).collect();
            let users: HashMap<String, UserRecord> =
                users_by_ids(&mut tx, &ids, true).await?.into_iter().map(|u| (u.user.id.clone(), u)).collect();
            let open = records_with_tasks(&mut tx, target_id, &ids, None).await?;
            let mut metadata = serde_json::Map::new();
            metadata.insert("repair".into(), true.into());
            metadata.insert("check_id".into(), check_id.into());
            let mut offers = Vec::new();
            for request in chunk {
                if open.contains(&request.id) {
                    outcomes.push(RepairOutcome::Moving);
                    continue;
                }
                let live = users.get(&request.id).filter(|u| u.stored_status != "deleted");
                let (event_type, tenant, version, data) = match (live, users.get(&request.id)) {
                    (Some(record), _) => (
                        catalog::USER_UPDATED,
                        record.user.tenant.clone(),
                        record.user.version,
                        json_value(&record.user)?,
                    ),
                    (None, Some(deleted)) => {
                        let mut user = deleted.user.clone();
                        user.status = "deleted".into();
                        user.version = user.version.max(request.target_version.unwrap_or(0));
                        (catalog::USER_DELETED, user.tenant.clone(), user.version, json_value(&user)?)
                    }
                    (None, None) => (
                        catalog::USER_DELETED,
                        String::new(),
                        request.target_version.unwrap_or(0),
                        serde_json::json!({"id": request.id, "status": "deleted"}),
                    ),
                };
                let event = build_event(
                    ctx,
                    EventDraft {
                        event_type,
                        tenant: &tenant,
                        aggregate_id: &request.id,
                        aggregate_version: version,
                        data,
                        extra_metadata: Some(metadata.clone()),
                    },
                    now,
                );
                let payload = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let sql = format!(
                    "INSERT INTO sync_tasks (target_id, event_seq, event_id, event_type, tenant, aggregate_kind, \
                     aggregate_id, aggregate_version, status, priority, payload, attempts, next_attempt_at, \
                     created_at, updated_at) \
                     VALUES ($1, 0, $2, $3, $4, 'user', $5, $6, 'pending', 0, $7, 0, $8, $8, $8) \
                     RETURNING {}",
                    crate::sync::OFFER_COLUMNS
                );
                let row = sqlx::query(&sql)
                    .bind(target_id.to_owned())
                    .bind(event.id.clone())
                    .bind(event_type.name)
                    .bind(tenant.clone())
                    .bind(request.id.clone())
                    .bind(version as i64)
                    .bind(payload)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                outcomes.push(RepairOutcome::Task(get_i64(&row, "seq")? as u64));
                offers.extend(crate::sync::offers_of(std::slice::from_ref(&row))?);
            }
            if !offers.is_empty() {
                crate::sync::offer_heads(&mut tx, &offers).await?;
                crate::sync::announce(&mut tx).await?;
            }
            tx.commit().await?;
        }
        Ok(outcomes)
    }
}
