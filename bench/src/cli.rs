//! `cli`: wall time of platctl commands against process start alone.

use super::*;

pub(crate) async fn cli(report: &mut Report, p: &Platd) -> anyhow::Result<()> {
    let platctl = sibling_binary("platctl", None)?;
    p.admin.create_tenant(&CreateTenant { slug: "cli".into(), name: None, quotas: None }).await?;
    import(p, "cli", 0, 1000).await?;
    let home = tempfile::tempdir()?;
    let config = home.path().join("platctl.toml");
    let config = config.to_str().context("config path")?;
    let env = [("PLATCTL_CONFIG", config), ("PLATCTL_SERVER", p.base.as_str()), ("PLATCTL_TENANT", "cli")];
    let mut login = Command::new(&platctl);
    login.args(["--tenant", "system", "login", "-u", "admin", "--password-stdin"]).stdin(Stdio::piped());
    for (k, v) in env {
        login.env(k, v);
    }
    let mut child = login.stderr(Stdio::null()).spawn()?;
    std::io::Write::write_all(child.stdin.as_mut().context("stdin")?, ADMIN_PASSWORD.as_bytes())?;
    drop(child.stdin.take());
    if !child.wait()?.success() {
        bail!("platctl login failed");
    }
    let runs = 60;
    let start = median_ms(&platctl, &env, &["--version"], runs)?;
    let get = median_ms(&platctl, &env, &["user", "get", "u500"], runs)?;
    let list = median_ms(&platctl, &env, &["user", "list", "--page-size", "100"], runs)?;
    let limit = format!("platctl --version {start:.1} ms");
    report.add("cli", "platctl --version (median)".into(), start, "ms", "goal 50 ms".into(), 50.0, "well under 1.0");
    report.add("cli", "platctl user get (median)".into(), get, "ms", limit.clone(), start, "<= version + 15 ms");
    report.add("cli", "  of which beyond process start".into(), get - start, "ms", "goal 15 ms".into(), 15.0, "<= 1.0");
    report.add("cli", "platctl user list --page-size 100 (median)".into(), list, "ms", limit, start, "< 50 ms");
    report.add("cli", "  user list against 50 ms".into(), list, "ms", "goal 50 ms".into(), 50.0, "well under 1.0");
    Ok(())
}
