//! What `ps` lists and `inspect` shows about containers, in Docker's shapes.

use serde_json::{json, Value};

use crate::containers::brief::{self, ContainerBrief};
use crate::containers::listing;
use crate::containers::record::{self, ContainerRecord};
use crate::containers::state::{State, StatusReader};
use crate::engine::Engine;
use crate::error::Result;

impl Engine {
    /// Every container with its live state, newest first.
    pub fn containers(&self) -> Result<Vec<(ContainerRecord, State)>> {
        Ok(record::list(&self.db)?
            .into_iter()
            .map(|r| {
                let s = self.state(&r);
                (r, s)
            })
            .collect())
    }

    /// Every container's listing fields with its live state, newest first: what `ps` and
    /// the API's list show, at a fraction of the cost of full records (see `brief`).
    pub fn container_briefs(&self) -> Result<Vec<(ContainerBrief, State)>> {
        let mut out = Vec::new();
        self.each_container_brief(|b, s| {
            out.push((b, s));
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` with every container's listing fields and live state, newest first, one
    /// at a time (see [`Engine::container_briefs`]).
    ///
    /// A container known stopped for good costs no file: its final state is kept in its
    /// listing row (see `listing`), stored by the first listing that reads it.
    pub fn each_container_brief(
        &self,
        mut f: impl FnMut(ContainerBrief, State) -> Result<()>,
    ) -> Result<()> {
        let runtime = self.paths.runtime();
        let status = StatusReader::new(&self.paths.containers());
        let mut seen = Vec::new();
        brief::each(&self.db, |b, row| {
            let kept = row
                .final_state
                .and_then(|j| serde_json::from_str::<State>(j).ok());
            let s = match kept {
                Some(s) => s,
                None if row.starts == 0 => State::created(),
                None => {
                    let s = status.state(&runtime, &b.id);
                    if s.is_final() {
                        seen.push((b.id.clone(), row.starts, s.clone()));
                    }
                    s
                }
            };
            f(b, s)
        })?;
        listing::remember_final_states(&self.db, &seen);
        Ok(())
    }

    /// Docker's `inspect` object for a container.
    pub fn inspect_container(&self, r: &ContainerRecord) -> Value {
        let s = self.state(r);
        let dir = self.paths.container(&r.id);
        let health = s.health.as_ref().map(|h| {
            json!({
                "Status": h.status,
                "FailingStreak": h.failing_streak,
                "Log": h.log.iter().map(|l| json!({"Start": l.start, "End": l.end, "ExitCode": l.exit_code, "Output": l.output})).collect::<Vec<_>>(),
            })
        });
        json!({
            "Id": r.id,
            "Created": r.created,
            "Path": r.path,
            "Args": r.args,
            "State": {
                "Status": s.status,
                "Running": s.is_running(),
                "Paused": s.status == "paused",
                "Restarting": s.status == "restarting",
                "OOMKilled": s.oom_killed,
                "Dead": s.status == "dead",
                "Pid": s.pid,
                "ExitCode": s.exit_code,
                "Error": s.error,
                "StartedAt": or_zero(&s.started_at),
                "FinishedAt": or_zero(&s.finished_at),
                "Health": health,
            },
            "Image": format!("sha256:{}", r.image_id),
            "ResolvConfPath": dir.join("resolv.conf"),
            "HostnamePath": dir.join("hostname"),
            "HostsPath": dir.join("hosts"),
            "LogPath": r.monitor.log.path,
            "Name": format!("/{}", r.name),
            "RestartCount": s.restart_count,
            "Driver": "overlay",
            "Platform": "linux",
            "MountLabel": "",
            "ProcessLabel": "",
            "AppArmorProfile": "",
            "HostConfig": r.host_config,
            "GraphDriver": {
                "Name": "overlay",
                "Data": {
                    "UpperDir": dir.join("upper"),
                    "WorkDir": dir.join("work"),
                    "MergedDir": dir.join("rootfs"),
                },
            },
            "Mounts": r.mounts.iter().map(|m| json!({
                "Type": m.kind,
                "Name": m.name,
                "Source": m.source,
                "Destination": m.destination,
                "Driver": if m.kind == "volume" { "local" } else { "" },
                "Mode": m.mode,
                "RW": m.rw,
                "Propagation": m.propagation,
            })).collect::<Vec<_>>(),
            "Config": r.config,
            "NetworkSettings": network_settings(r, s.pid),
        })
    }
}

/// Docker's `NetworkSettings`: the bridge network's address, gateway, MAC and ports.
fn network_settings(r: &ContainerRecord, pid: i32) -> Value {
    let sandbox = match &r.net {
        Some(a) => a.netns.display().to_string(),
        None if pid > 0 => format!("/proc/{pid}/ns/net"),
        None => String::new(),
    };
    let Some(a) = &r.net else {
        return json!({"Networks": {}, "Ports": {}, "SandboxKey": sandbox, "IPAddress": "", "Gateway": "", "MacAddress": ""});
    };
    let mut ports = serde_json::Map::new();
    for p in &a.ports {
        let key = format!("{}/{}", p.container_port, p.proto);
        let host_ip = if p.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &p.host_ip
        };
        let entry = ports.entry(key).or_insert_with(|| json!([]));
        if let Some(list) = entry.as_array_mut() {
            list.push(json!({"HostIp": host_ip, "HostPort": p.host_port.to_string()}));
        }
    }
    let networks: serde_json::Map<String, Value> = r
        .attachments()
        .map(|n| {
            // dockerd adds the short ID as an alias on user-defined networks (compose
            // checks for it to know a container's network config is its own).
            let mut aliases = n.aliases.clone();
            let short = r.id[..12].to_string();
            if n.network != "bridge" && !aliases.contains(&short) {
                aliases.push(short);
            }
            let endpoint = json!({
                "IPAMConfig": null,
                "Aliases": aliases,
                "NetworkID": n.network_id,
                "Gateway": n.gateway,
                "IPAddress": n.ip,
                "IPPrefixLen": n.prefix,
                "MacAddress": n.mac,
                "DNSNames": [r.name.clone(), r.id[..12].to_string()],
            });
            (n.network.clone(), endpoint)
        })
        .collect();
    json!({
        "Networks": networks,
        "Ports": ports,
        "SandboxKey": sandbox,
        "IPAddress": a.ip,
        "IPPrefixLen": a.prefix,
        "Gateway": a.gateway,
        "MacAddress": a.mac,
        "Bridge": "",
    })
}

fn or_zero(t: &str) -> &str {
    if t.is_empty() {
        "0001-01-01T00:00:00Z"
    } else {
        t
    }
}
