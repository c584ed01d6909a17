//! `create`: an image and `run` options become a container directory (overlay dirs, unmounted;
//! bundle config.json, /etc files, monitor.json) and a record in the state index.

mod grantable;
mod inspect;
mod monitor;
mod mounts;

pub(crate) use grantable::{cap_rlimit, keep_grantable_caps};

use std::fs;
use std::path::{Path, PathBuf};

use berth_monitor::config::MonitorConfig;
use berth_store::oci::ContainerConfig;
use serde_json::json;

use crate::containers::record::{self, ContainerRecord, MountRecord};
use crate::containers::rootfs::{mount_image_view, mount_rootfs, unmount_rootfs};
use crate::engine::Engine;
use crate::error::{io_err, Error, Result};
use crate::ids::{random_id, random_name, valid_name};
use crate::spec::{self, NetworkMode, RunOptions};

/// What writing a container's bundle resolved, for its record.
struct Bundle {
    /// The user as given (`--user`, else the image's USER).
    user_spec: String,
    hostname: String,
    /// The OCI process written to config.json.
    process: oci_spec::runtime::Process,
    mounts: Vec<MountRecord>,
    net: Option<crate::network::Attachment>,
    monitor: MonitorConfig,
}

/// Where `--init` finds its init binary (a static tini, as Docker ships `docker-init`).
const INIT_CANDIDATES: &[&str] = &[
    "/usr/bin/tini-static",
    "/usr/bin/docker-init",
    "/usr/libexec/docker/docker-init",
    "/usr/local/bin/tini-static",
];

impl Engine {
    /// Creates (but does not start) a container from the image `image_name`. Its overlay is
    /// left unmounted: `start` mounts it.
    pub fn create_container(
        &mut self,
        image_name: &str,
        opts: &RunOptions,
    ) -> Result<ContainerRecord> {
        self.create_container_with(image_name, opts, false)
    }

    /// Creates a container that is started right away (`run`): its overlay is mounted now
    /// and left so for the start (one mount instead of a read-only view, its unmount and
    /// the start's mount).
    pub fn create_container_to_start(
        &mut self,
        image_name: &str,
        opts: &RunOptions,
    ) -> Result<ContainerRecord> {
        self.create_container_with(image_name, opts, true)
    }

    fn create_container_with(
        &mut self,
        image_name: &str,
        opts: &RunOptions,
        to_start: bool,
    ) -> Result<ContainerRecord> {
        let image = self.image(image_name)?;
        crate::images::platform::check_runnable(&image, image_name)?;
        let (lowers, _) = self.ensure_layers(&image)?;
        let id = random_id()?;
        let name = match &opts.name {
            Some(n) => {
                let n = n.strip_prefix('/').unwrap_or(n);
                if !valid_name(n) {
                    return Err(Error::Invalid(format!(
                        "Invalid container name ({n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                    )));
                }
                if record::name_taken(&self.db, n)? {
                    return Err(Error::NameInUse(n.to_string()));
                }
                n.to_string()
            }
            None => self.unused_name(&id)?,
        };
        let dir = self.paths.container(&id);
        // Addresses on a bridge network are handed out under the network's lock, held
        // until the record (which holds the address) is stored.
        let network = crate::network::plan::bridge_network(self, &opts.network)?;
        let _net_lock = match &network {
            Some(n) => Some(crate::lock::Lock::exclusive(
                &self.paths.locks(),
                &format!("net-{}", n.name),
            )?),
            None => None,
        };
        fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
        let made = (|| {
            if opts.rm {
                let marker = dir.join(crate::containers::rootfs::VOLATILE_MARKER);
                fs::write(&marker, b"").map_err(io_err("write", &marker))?;
            }
            // The overlay itself is mounted only while the container runs or a `cp` uses it;
            // else the image's files are read through a read-only view of its layers.
            let (view, mounted) = if to_start {
                let rootfs = mount_rootfs(&dir, &lowers, &self.paths.skeletons())?;
                (rootfs, false)
            } else {
                mount_image_view(&dir, &lowers, &self.paths.skeletons())?
            };
            let rec = self.prepare(
                &id,
                &name,
                (image_name, &image),
                opts,
                network.as_ref(),
                &dir,
                &view,
            );
            if mounted {
                unmount_rootfs(&dir)?;
            }
            let rec = rec?;
            record::insert(&self.db, &rec)?;
            Ok(rec)
        })();
        if made.is_err() {
            let _ = unmount_rootfs(&dir);
            let _ = fs::remove_dir_all(&dir);
        }
        if let Ok(r) = &made {
            self.container_event(r, "create");
        }
        made
    }

    fn unused_name(&self, id: &str) -> Result<String> {
        for retry in 0..20 {
            let n = random_name(id, retry);
            if !record::name_taken(&self.db, &n)? {
                return Ok(n);
            }
        }
        Ok(format!("berth_{}", &id[..12]))
    }

    /// Writes the container's bundle (config.json, /etc files, monitor.json) into `dir`,
    /// reading the image's files in `rootfs`, and returns the record to store.
    #[allow(clippy::too_many_arguments)]
    fn prepare(
        &self,
        id: &str,
        name: &str,
        (image_name, image): (&str, &crate::images::Image),
        opts: &RunOptions,
        network: Option<&crate::network::NetworkRecord>,
        dir: &Path,
        rootfs: &Path,
    ) -> Result<ContainerRecord> {
        let icfg = &image.config.config;
        let b = self.write_bundle(id, icfg, opts, network, dir, rootfs)?;
        let view = inspect::ConfigView {
            opts,
            icfg,
            image_name,
            hostname: &b.hostname,
            user_spec: &b.user_spec,
            process: &b.process,
            stop_signal: &stop_signal(opts, icfg),
        };
        let argv = b.process.args().clone().unwrap_or_default();
        Ok(ContainerRecord {
            id: id.to_string(),
            name: name.to_string(),
            image_id: image.id.clone(),
            image: image_name.to_string(),
            created: berth_runtime::state::now_rfc3339(),
            path: argv.first().cloned().unwrap_or_default(),
            args: argv.iter().skip(1).cloned().collect(),
            config: inspect::config_json(&view),
            host_config: inspect::host_config_json(opts, &b.mounts, b.net.as_ref()),
            mounts: b.mounts,
            tty: opts.tty,
            stdin_open: opts.stdin_open,
            stop_signal: view.stop_signal.to_string(),
            stop_timeout: opts.stop_timeout.unwrap_or(10),
            auto_remove: opts.rm,
            network_mode: inspect::network_mode_name(&opts.network),
            monitor: b.monitor,
            net: b.net,
            extra_nets: Vec::new(),
        })
    }

    /// Resolves the user, mounts and network attachment, and writes the bundle's files:
    /// /etc files, config.json, monitor.json.
    fn write_bundle(
        &self,
        id: &str,
        icfg: &ContainerConfig,
        opts: &RunOptions,
        network: Option<&crate::network::NetworkRecord>,
        dir: &Path,
        rootfs: &Path,
    ) -> Result<Bundle> {
        let user_spec = opts
            .user
            .clone()
            .or_else(|| icfg.user.clone())
            .unwrap_or_default();
        let user = spec::users::resolve_user(rootfs, &user_spec, &opts.group_add)?;
        let hostname = opts
            .hostname
            .clone()
            .unwrap_or_else(|| id[..12].to_string());
        let (mounts, mount_records) = self.resolve_mounts(opts, icfg, rootfs)?;
        let net = network
            .map(|n| self.plan_attachment(id, n, opts, icfg))
            .transpose()?;
        let etc = self.write_etc_files(dir, &hostname, opts, net.as_ref())?;
        let input = spec::SpecInput {
            id: id.to_string(),
            image: icfg.clone(),
            opts: opts.clone(),
            rootfs: PathBuf::from("rootfs"),
            user,
            mounts,
            etc_files: etc,
            cgroups_path: format!("/berth/{id}"),
            init_binary: init_binary(opts)?,
            hostname: hostname.clone(),
            netns_path: self.join_netns_path(net.as_ref(), &opts.network)?,
            cgroup_v2: Path::new("/sys/fs/cgroup/cgroup.controllers").exists(),
            devices: resolved_devices(opts)?,
            host_devices: privileged_host_devices(opts)?,
            rlimit_hook: Some(cap_rlimit),
        };
        let process = write_bundle_config(dir, &input, opts)?;
        let monitor = self.monitor_config(id, dir, opts, icfg)?;
        monitor.save()?;
        Ok(Bundle {
            user_spec,
            hostname,
            process,
            mounts: mount_records,
            net,
            monitor,
        })
    }

    /// The network namespace to join: the attachment's, or another container's
    /// (`--network container:x`); `None` makes a new one.
    fn join_netns_path(
        &self,
        net: Option<&crate::network::Attachment>,
        mode: &NetworkMode,
    ) -> Result<Option<PathBuf>> {
        Ok(match (net, mode) {
            (Some(a), _) => Some(a.netns.clone()),
            (None, NetworkMode::Container(c)) => Some(self.container_netns(c)?),
            _ => None,
        })
    }

    /// berth's own binary (for the monitor and its exit hook).
    pub fn exe(&self) -> PathBuf {
        std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"))
    }

    /// Writes the container's /etc/hosts, /etc/hostname and /etc/resolv.conf.
    fn write_etc_files(
        &self,
        dir: &Path,
        hostname: &str,
        opts: &RunOptions,
        net: Option<&crate::network::Attachment>,
    ) -> Result<spec::EtcFiles> {
        let addresses: Vec<std::net::IpAddr> =
            net.and_then(|a| a.ip.parse().ok()).into_iter().collect();
        let aliases: Vec<String> = net.map(|a| a.aliases.clone()).unwrap_or_default();
        // On a bridge network the network's DNS server (at the gateway) answers, and
        // forwards to the host's resolvers, a loopback one included.
        let dns: Vec<String> = match net {
            Some(a) if opts.dns.is_empty() => vec![a.gateway.clone()],
            _ => opts.dns.clone(),
        };
        let files = spec::EtcFiles {
            hosts: dir.join("hosts"),
            hostname: dir.join("hostname"),
            resolv_conf: dir.join("resolv.conf"),
        };
        let host_resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let hosts = if opts.network == NetworkMode::Host {
            fs::read_to_string("/etc/hosts").unwrap_or_default()
        } else {
            spec::files::hosts_file(&spec::files::HostsInput {
                hostname,
                domainname: opts.domainname.as_deref(),
                extra: &opts.add_host,
                addresses: &addresses,
                aliases: &aliases,
                host_gateway: net.and_then(|a| a.gateway.parse().ok()),
            })?
        };
        let resolv = spec::files::resolv_conf(&spec::files::ResolvInput {
            host: &host_resolv,
            network: &opts.network,
            ipv6: false,
            dns: &dns,
            dns_search: &opts.dns_search,
            dns_options: &opts.dns_option,
        });
        for (path, text) in [
            (&files.hosts, hosts),
            (&files.hostname, spec::files::hostname_file(hostname)),
            (&files.resolv_conf, resolv),
        ] {
            fs::write(path, text).map_err(io_err("write", path))?;
        }
        Ok(files)
    }
}

/// The host's init binary for `--init`; `None` without it.
fn init_binary(opts: &RunOptions) -> Result<Option<PathBuf>> {
    if !opts.init {
        return Ok(None);
    }
    let found = INIT_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    found.map(Some).ok_or_else(|| {
        Error::Invalid(
            "--init needs a static init binary: install Debian's tini package (/usr/bin/tini-static)"
                .into(),
        )
    })
}

/// The `--device` mappings, each resolved to the host devices it names.
fn resolved_devices(opts: &RunOptions) -> Result<Vec<spec::devices::ResolvedDevice>> {
    Ok(opts
        .devices
        .iter()
        .map(spec::devices::resolve_device)
        .collect::<spec::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// All of the host's devices for `--privileged`; none otherwise.
fn privileged_host_devices(opts: &RunOptions) -> Result<Vec<spec::devices::ResolvedDevice>> {
    if opts.privileged {
        Ok(spec::devices::host_devices(Path::new("/dev"))?)
    } else {
        Ok(Vec::new())
    }
}

/// Builds the OCI spec and writes it as the bundle's config.json (capabilities cut to
/// what berth holds, the console size for a TTY); returns the spec's process.
fn write_bundle_config(
    dir: &Path,
    input: &spec::SpecInput,
    opts: &RunOptions,
) -> Result<oci_spec::runtime::Process> {
    let oci = spec::build_spec(input)?;
    let process = oci.process().clone().unwrap_or_default();
    let config_path = dir.join("config.json");
    let mut value = serde_json::to_value(&oci)
        .map_err(|e| Error::Invalid(format!("serialise config.json: {e}")))?;
    keep_grantable_caps(&mut value);
    if let (true, Some((rows, cols))) = (opts.tty, opts.console_size) {
        value["process"]["consoleSize"] = json!({"height": rows, "width": cols});
    }
    let json = serde_json::to_vec_pretty(&value)
        .map_err(|e| Error::Invalid(format!("serialise config.json: {e}")))?;
    fs::write(&config_path, json).map_err(io_err("write", &config_path))?;
    Ok(process)
}

/// The stop signal: `--stop-signal`, else the image's STOPSIGNAL, else SIGTERM.
fn stop_signal(opts: &RunOptions, icfg: &ContainerConfig) -> String {
    opts.stop_signal
        .clone()
        .or_else(|| icfg.stop_signal.clone())
        .unwrap_or_else(|| "SIGTERM".into())
}
