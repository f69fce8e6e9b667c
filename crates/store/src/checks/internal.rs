//! plat's own invariants (target `plat:internal`), and the repairs plat can make itself.

use super::*;
use plat_proto::catalog;

impl Store {
    /// `plat:internal`). With `repair`, fixes what plat can fix itself.
    #[tracing::instrument(target = "plat::span", level = "trace", name = "store.internal_findings", skip_all)]
    pub async fn internal_findings(
        &self,
        ctx: &Ctx,
        limit: u64,
        repair: bool,
        events_since: i64,
    ) -> Result<Vec<Finding>> {
        let mut findings = Vec::new();
        let finding = |kind: FindingKind, aggregate_kind: &str, id: String, detail: String| Finding {
            target: plat_proto::INTERNAL_TARGET.into(),
            kind,
            aggregate_kind: aggregate_kind.into(),
            aggregate_id: id,
            plat_version: None,
            target_version: None,
            detail: Some(detail),
            repair_task: None,
            repaired: false,
        };
        let limit = limit as i64;
        // Users without their profile or stats row.
        for (kind, table) in [(FindingKind::MissingProfile, "user_profiles"), (FindingKind::MissingStats, "user_stats")]
        {
            let rows = sqlx::query(&format!(
                "SELECT u.id, t.slug FROM users u JOIN tenants t ON t.id = u.tenant_id \
                 WHERE NOT EXISTS (SELECT 1 FROM {table} x WHERE x.user_id = u.id) ORDER BY u.id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
            for row in rows {
                findings.push(finding(
                    kind,
                    "user",
                    get_str(&row, "id")?,
                    format!("tenant {}: no {table} row", get_str(&row, "slug")?),
                ));
            }
        }
        // Grants of roles that are neither built in nor defined in the user's tenant.
        let builtin: Vec<&str> = plat_domain::BUILTIN_ROLES.iter().map(|b| b.name).collect();
        {
            let mut conn = self.read.acquire().await?;
            let mut p = Params::for_conn(&conn);
            let list = p.list(builtin.len());
            let limit_p = p.next();
            let sql = format!(
                "SELECT r.user_id, r.role, t.slug FROM user_roles r JOIN users u ON u.id = r.user_id \
                 JOIN tenants t ON t.id = u.tenant_id WHERE r.role NOT IN ({list}) \
                 AND NOT EXISTS (SELECT 1 FROM roles x WHERE x.tenant_id = u.tenant_id AND x.name = r.role) \
                 ORDER BY r.user_id, r.role LIMIT {limit_p}"
            );
            let mut query = sqlx::query(&sql);
            for name in &builtin {
                query = query.bind(*name);
            }
            for row in query.bind(limit).fetch_all(&mut *conn).await? {
                let role = get_str(&row, "role")?;
                findings.push(finding(
                    FindingKind::DanglingGrant,
                    "role_grant",
                    format!("{}:{role}", get_str(&row, "user_id")?),
                    format!("tenant {}: grant of role {role:?}, which does not exist", get_str(&row, "slug")?),
                ));
            }
        }
        // Tenant user counters.
        let rows = sqlx::query(
            "SELECT t.id, t.slug, t.user_count, (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id) AS actual \
             FROM tenants t WHERE t.user_count <> (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id) \
             ORDER BY t.slug LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        for row in rows {
            let (count, actual) = (get_i64(&row, "user_count")?, get_i64(&row, "actual")?);
            let mut f = finding(
                FindingKind::UsageMismatch,
                "tenant",
                get_str(&row, "slug")?,
                format!("usage.users is {count}, the tenant has {actual} users"),
            );
            f.plat_version = Some(actual.max(0) as u64);
            f.target_version = Some(count.max(0) as u64);
            findings.push(f);
        }
        // Events within the task retention that a subscribed target never got a task for.
        let rows = sqlx::query(
            "SELECT e.seq, e.id, e.type, e.aggregate_id, t.name FROM events e \
             JOIN sync_targets t ON t.state <> 'disabled' AND e.created_at >= t.created_at \
             WHERE e.created_at > $1 AND EXISTS (SELECT 1 FROM sync_subscriptions s \
               WHERE s.target_id = t.id AND e.type LIKE s.pattern ESCAPE '\\') \
             AND NOT EXISTS (SELECT 1 FROM sync_tasks k WHERE k.target_id = t.id AND k.event_seq = e.seq) \
             ORDER BY e.seq LIMIT $2",
        )
        .bind(events_since)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        for row in rows {
            findings.push(finding(
                FindingKind::EventWithoutTask,
                "event",
                get_str(&row, "id")?,
                format!(
                    "{} of {} has no task for target {}",
                    get_str(&row, "type")?,
                    get_str(&row, "aggregate_id")?,
                    get_str(&row, "name")?
                ),
            ));
        }
        if repair {
            self.repair_internal(ctx, &mut findings).await?;
        }
        Ok(findings)
    }

    /// Fix what plat can fix in itself: missing profile and stats rows (a new
    /// version and `user.updated`, so copies get the user), dangling grants
    /// (revoked, `user.roles_changed`), and user counters. Events without
    /// tasks are left to a check of their target.
    async fn repair_internal(&self, ctx: &Ctx, findings: &mut [Finding]) -> Result<()> {
        let mut tx = self.begin(ctx).await?;
        let mut users_changed: Vec<(String, &'static catalog::EventType)> = Vec::new();
        for f in findings.iter_mut() {
            match f.kind {
                FindingKind::MissingProfile | FindingKind::MissingStats => {
                    users_changed.push((f.aggregate_id.clone(), catalog::USER_UPDATED));
                    f.repaired = true;
                }
                FindingKind::DanglingGrant => {
                    if let Some((user_id, role)) = f.aggregate_id.split_once(':') {
                        sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
                            .bind(user_id.to_owned())
                            .bind(role.to_owned())
                            .execute(&mut *tx)
                            .await?;
                        users_changed.push((user_id.to_owned(), catalog::USER_ROLES_CHANGED));
                        f.repaired = true;
                    }
                }
                FindingKind::UsageMismatch => {
                    sqlx::query(
                        "UPDATE tenants SET user_count = (SELECT COUNT(*) FROM users u WHERE u.tenant_id = tenants.id) \
                         WHERE slug = $1",
                    )
                    .bind(f.aggregate_id.clone())
                    .execute(&mut *tx)
                    .await?;
                    f.repaired = true;
                }
                _ => {}
            }
        }
        users_changed.sort_by(|a, b| (&a.0, a.1.name).cmp(&(&b.0, b.1.name)));
        users_changed.dedup_by(|a, b| a.0 == b.0);
        for (user_id, event_type) in users_changed {
            // Both rows must exist before the user can be read whole.
            for (table, columns) in [
                ("user_profiles", "user_id, nickname, avatar_url, bio) VALUES ($1, '', '', ''"),
                ("user_stats", "user_id, login_count) VALUES ($1, 0"),
            ] {
                let exists = sqlx::query(&format!("SELECT 1 FROM {table} WHERE user_id = $1"))
                    .bind(user_id.clone())
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if !exists {
                    sqlx::query(&format!("INSERT INTO {table} ({columns})"))
                        .bind(user_id.clone())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            user_changed(
                &mut tx,
                ctx,
                &user_id,
                (event_type, Some("check.repair")),
                serde_json::json!({"internal": true}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
