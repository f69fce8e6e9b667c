//! org create | list | get | tree | update | move | delete | add-member |
//! remove-member | members | grant | revoke | roles (docs/organizations.md).

use std::collections::HashMap;

use clap::Subcommand;
use plat_proto::{CreateOrganization, Member, OrgRole, Organization, UpdateOrganization};

use crate::cmd::role::context_pair;
use crate::error::Failure;
use crate::output::{Format, Row, ago, emit, plural};
use crate::prompt;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum OrgCmd {
    /// Create an organization: `acme` (a root) or `acme/engineering` (under acme).
    Create {
        /// The new organization's path of names; its last name is its own.
        path: String,
        /// `company`, `department`, `team` (default), or any name of that form.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Metadata `KEY=VALUE` (VALUE as JSON when it parses); repeat for several.
        #[arg(long = "meta", value_name = "K=V", value_parser = context_pair)]
        metadata: Vec<(String, serde_json::Value)>,
    },
    /// List organizations in tree order: all, the children of --parent, or those --member belongs to.
    List {
        #[arg(long, value_name = "ORG", conflicts_with = "member")]
        parent: Option<String>,
        /// The organizations this user is a member of.
        #[arg(long, value_name = "USER")]
        member: Option<String>,
    },
    /// Show one organization (by id or path).
    Get { org: String },
    /// Draw the tree below an organization (default: every tree of the tenant).
    Tree { org: Option<String> },
    /// Rename an organization or change its display name, type or metadata.
    Update {
        org: String,
        /// New name (its path changes; its id does not).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// Replace the metadata: `KEY=VALUE`; repeat for several.
        #[arg(long = "meta", value_name = "K=V", value_parser = context_pair)]
        metadata: Vec<(String, serde_json::Value)>,
    },
    /// Move an organization with everything below it.
    Move {
        org: String,
        /// The new parent.
        #[arg(long, value_name = "ORG", required_unless_present = "root", conflicts_with = "root")]
        to: Option<String>,
        /// Make it a root.
        #[arg(long)]
        root: bool,
    },
    /// Delete an organization (asks first); refused while it has sub-organizations or members.
    Delete {
        org: String,
        /// Delete everything below it and every membership too.
        #[arg(long)]
        cascade: bool,
    },
    /// Make users members of an organization.
    AddMember {
        org: String,
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Remove a user from an organization.
    RemoveMember { org: String, user: String },
    /// List members (with --recursive: of everything below too, each user once).
    Members {
        org: String,
        #[arg(long, short = 'r')]
        recursive: bool,
        /// At most this many (default: all, fetched in pages of 500).
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Grant a user a role on an organization: it holds there and below (`org-admin`, or any role).
    Grant { org: String, user: String, role: String },
    /// Revoke a role granted on an organization.
    Revoke { org: String, user: String, role: String },
    /// Roles that reach an organization: granted on it or above it.
    Roles { org: String },
}

impl Row for OrgRole {
    const COLUMNS: &'static [&'static str] = &["USERNAME", "ROLE", "ON", "GRANTED"];
    const WIDE: &'static [&'static str] = &["USER ID", "ORG ID"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells =
            vec![self.username.clone(), self.role.clone(), self.organization.clone(), ago(&self.granted_at)];
        if wide {
            cells.extend([self.user_id.clone(), self.org_id.clone()]);
        }
        cells
    }
    fn name(&self) -> String {
        format!("{} {} on {}", self.username, self.role, self.organization)
    }
}

impl Row for Organization {
    const COLUMNS: &'static [&'static str] = &["PATH", "TYPE", "MEMBERS", "DISPLAY NAME", "AGE"];
    const WIDE: &'static [&'static str] = &["ID", "VERSION"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![
            self.path.clone(),
            self.kind.clone(),
            self.members.to_string(),
            self.display_name.clone(),
            ago(&self.created_at),
        ];
        if wide {
            cells.extend([self.id.clone(), self.version.to_string()]);
        }
        cells
    }
    fn name(&self) -> String {
        self.path.clone()
    }
}

impl Row for Member {
    const COLUMNS: &'static [&'static str] = &["USERNAME", "EMAIL", "ORGANIZATION", "ADDED"];
    const WIDE: &'static [&'static str] = &["USER ID"];
    fn cells(&self, wide: bool) -> Vec<String> {
        let mut cells = vec![self.username.clone(), self.email.clone(), self.organization.clone(), ago(&self.added_at)];
        if wide {
            cells.push(self.user_id.clone());
        }
        cells
    }
    fn name(&self) -> String {
        self.username.clone()
    }
}

/// The tree of `items` (in tree order) as box-drawing lines, as `tree(1)` draws.
pub fn draw(items: &[Organization]) -> String {
    let ids: HashMap<&str, usize> = items.iter().enumerate().map(|(i, o)| (o.id.as_str(), i)).collect();
    let mut children: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (i, org) in items.iter().enumerate() {
        let parent = org.parent.as_deref().and_then(|p| ids.get(p).copied());
        children.entry(parent).or_default().push(i);
    }
    let mut out = String::new();
    let label = |org: &Organization, full: bool| {
        let name = if full { org.path.as_str() } else { org.name.as_str() };
        let members =
            if org.members > 0 { format!(", {}", plural(org.members, "member", "members")) } else { String::new() };
        format!("{name} ({}{members})\n", org.kind)
    };
    fn walk(
        i: usize,
        prefix: &str,
        items: &[Organization],
        children: &HashMap<Option<usize>, Vec<usize>>,
        out: &mut String,
        label: &dyn Fn(&Organization, bool) -> String,
    ) {
        let kids = children.get(&Some(i)).map(Vec::as_slice).unwrap_or_default();
        for (n, &kid) in kids.iter().enumerate() {
            let last = n + 1 == kids.len();
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(&label(&items[kid], false));
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            walk(kid, &deeper, items, children, out, label);
        }
    }
    for &top in children.get(&None).map(Vec::as_slice).unwrap_or_default() {
        out.push_str(&label(&items[top], true));
        walk(top, "", items, &children, &mut out, &label);
    }
    out
}

/// `acme/engineering` → (`Some("acme")`, `engineering`).
fn split_path(path: &str) -> (Option<String>, String) {
    let path = path.trim_matches('/');
    match path.rsplit_once('/') {
        Some((parent, name)) => (Some(parent.to_owned()), name.to_owned()),
        None => (None, path.to_owned()),
    }
}

fn metadata(pairs: Vec<(String, serde_json::Value)>) -> Option<serde_json::Map<String, serde_json::Value>> {
    (!pairs.is_empty()).then(|| pairs.into_iter().collect())
}

pub async fn run(cmd: OrgCmd, s: &mut Session) -> Result<(), Failure> {
    let org = match cmd {
        OrgCmd::Create { path, kind, display_name, metadata: meta } => {
            let (parent, name) = split_path(&path);
            let req = CreateOrganization { name, parent, display_name, kind, metadata: metadata(meta) };
            s.api(async |c| c.create_org(&req).await).await?
        }
        OrgCmd::List { parent, member } => {
            let list = match member {
                Some(user) => s.api(async |c| c.user_orgs(&user).await).await?,
                None => s.api(async |c| c.list_orgs(parent.as_deref()).await).await?,
            };
            if list.truncated {
                eprintln!("Showing the first {} organizations.", list.items.len());
            }
            return s.out.list(&list.items, "organizations");
        }
        OrgCmd::Get { org } => s.api(async |c| c.get_org(&org).await).await?,
        OrgCmd::Tree { org } => {
            let list = match org {
                Some(org) => s.api(async |c| c.org_tree(&org).await).await?,
                None => s.api(async |c| c.list_orgs(None).await).await?,
            };
            if list.truncated {
                eprintln!("Showing the first {} organizations.", list.items.len());
            }
            return match s.out.format {
                Format::Table | Format::Wide => {
                    if list.items.is_empty() {
                        eprintln!("No organizations found.");
                        return Ok(());
                    }
                    emit(&draw(&list.items))
                }
                _ => s.out.list(&list.items, "organizations"),
            };
        }
        OrgCmd::Update { org, name, display_name, kind, metadata: meta } => {
            let req = UpdateOrganization { name, display_name, kind, metadata: metadata(meta) };
            if req == UpdateOrganization::default() {
                return Err(Failure::usage("nothing to update: give --name, --display-name, --type or --meta"));
            }
            s.api(async |c| c.update_org(&org, &req).await).await?
        }
        OrgCmd::Move { org, to, root: _ } => s.api(async |c| c.move_org(&org, to.as_deref()).await).await?,
        OrgCmd::Delete { org, cascade } => {
            let what = if cascade {
                format!("delete organization {org} with everything below it and its memberships")
            } else {
                format!("delete organization {org}")
            };
            prompt::confirm(&what, s.global.yes)?;
            let gone = s.api(async |c| c.delete_org(&org, cascade).await).await?;
            eprintln!("Deleted {}.", plural(gone.count, "organization", "organizations"));
            return Ok(());
        }
        OrgCmd::AddMember { org, users } => {
            let mut last = None;
            for user in &users {
                last = Some(s.api(async |c| c.add_org_member(&org, user).await).await?);
            }
            last.ok_or_else(|| Failure::usage("name at least one user"))?
        }
        OrgCmd::RemoveMember { org, user } => s.api(async |c| c.remove_org_member(&org, &user).await).await?,
        OrgCmd::Members { org, recursive, limit } => {
            let mut members = Vec::new();
            let mut cursor = None;
            loop {
                let want = limit.map_or(500, |l| (l - members.len() as u64).min(500));
                let page = s.api(async |c| c.org_members(&org, recursive, cursor.as_deref(), want).await).await?;
                members.extend(page.items);
                cursor = page.next_cursor;
                if cursor.is_none() || limit.is_some_and(|l| members.len() as u64 >= l) {
                    break;
                }
            }
            return s.out.list(&members, "members");
        }
        OrgCmd::Grant { org, user, role } => {
            let granted = s.api(async |c| c.grant_org_role(&org, &user, &role).await).await?;
            return s.out.one(&granted);
        }
        OrgCmd::Revoke { org, user, role } => {
            let revoked = s.api(async |c| c.revoke_org_role(&org, &user, &role).await).await?;
            eprintln!("Revoked {} of {} on {}.", revoked.role, revoked.username, revoked.organization);
            return Ok(());
        }
        OrgCmd::Roles { org } => {
            let list = s.api(async |c| c.org_roles(&org).await).await?;
            if list.truncated {
                eprintln!("Showing the first {} grants.", list.items.len());
            }
            return s.out.list(&list.items, "role grants");
        }
    };
    s.out.one(&org)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, parent: Option<&str>, path: &str, members: u64) -> Organization {
        Organization {
            id: id.into(),
            tenant: "acme".into(),
            name: path.rsplit('/').next().unwrap_or(path).into(),
            path: path.into(),
            parent: parent.map(str::to_owned),
            depth: path.split('/').count() as u32,
            display_name: path.into(),
            kind: "team".into(),
            metadata: Default::default(),
            members,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn trees_are_drawn_like_tree_draws_them() {
        let items = [
            org("a", None, "acme", 1),
            org("e", Some("a"), "acme/engineering", 0),
            org("m", Some("e"), "acme/engineering/mobile", 2),
            org("p", Some("e"), "acme/engineering/platform", 0),
            org("s", Some("a"), "acme/sales", 0),
        ];
        assert_eq!(
            draw(&items),
            "acme (team, 1 member)\n\
             ├── engineering (team)\n\
             │   ├── mobile (team, 2 members)\n\
             │   └── platform (team)\n\
             └── sales (team)\n"
        );
        // A subtree's top keeps its full path.
        assert_eq!(draw(&items[1..2]), "acme/engineering (team)\n");
        assert_eq!(split_path("acme/engineering"), (Some("acme".into()), "engineering".into()));
        assert_eq!(split_path("acme"), (None, "acme".into()));
    }
}
