//! A build RUN step: an OCI bundle made with Docker's defaults (capabilities, seccomp,
//! masked paths) for the step's command, run by berth's runtime in a child process whose
//! combined stdout and stderr stream back to the build's progress.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use berth_build::runner::{RunStep, StepMount};
use berth_store::journal::{Entry, Journal};
use berth_store::oci::ContainerConfig;

use crate::containers::create::{cap_rlimit, keep_grantable_caps};
use crate::error::{io_err, Error, Result};
use crate::network::build_step::StepNet;
use crate::spec::{self, MountKind, MountSpec, NetworkMode, ResolvedMount, RunOptions};

/// The hostname RUN steps see, as in BuildKit.
const BUILD_HOSTNAME: &str = "buildkitsandbox";

/// Runs `step` with the runtime whose state lives in `runtime_root`; returns the exit code.
/// The step's container is recorded in `journal` before it is made (a killed build's
/// containers are deleted by the next command).
pub fn run(
    runtime_root: &Path,
    step: &RunStep,
    net: Option<&StepNet>,
    journal: Option<&Journal>,
    output: &mut dyn FnMut(&[u8]),
) -> Result<i32> {
    let bundle = step.work.join("bundle");
    fs::create_dir_all(&bundle).map_err(io_err("create", &bundle))?;
    let id = format!("berth-build-{}", berth_store::blobs::unique_suffix());
    write_config(&bundle, &id, step, net)?;
    if let Some(j) = journal {
        j.record(&Entry::other(crate::txn::kind::CONTAINER, id.clone()))?;
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let (mut reader, writer) = std::io::pipe().map_err(io_err("pipe for", &bundle))?;
    let writer2 = writer.try_clone().map_err(io_err("pipe for", &bundle))?;
    let mut child = Command::new(&exe)
        .arg("runtime")
        .arg("--root")
        .arg(runtime_root)
        .arg("run")
        .arg("--bundle")
        .arg(&bundle)
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .spawn()
        .map_err(io_err("start the runtime", &exe))?;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => output(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let status = child.wait().map_err(io_err("wait for the runtime", &exe))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

fn write_config(bundle: &Path, id: &str, step: &RunStep, net: Option<&StepNet>) -> Result<()> {
    let opts = RunOptions {
        network: match (step.network.as_str(), net) {
            ("none", _) => NetworkMode::None,
            (_, Some(_)) => NetworkMode::Default,
            _ => NetworkMode::Host,
        },
        ..Default::default()
    };
    let user = spec::users::resolve_user(&step.rootfs, &step.user, &[])?;
    let etc = write_etc_files(&step.work, &opts.network, net)?;
    let image = ContainerConfig {
        env: Some(step.env.clone()),
        cmd: Some(step.args.clone()),
        working_dir: Some(step.cwd.clone()),
        ..Default::default()
    };
    let mounts = step
        .mounts
        .iter()
        .map(|m| match m {
            StepMount::Bind {
                source,
                target,
                readonly,
            } => ResolvedMount {
                source: source.clone(),
                spec: MountSpec {
                    kind: MountKind::Bind,
                    source: source.display().to_string(),
                    target: target.clone(),
                    read_only: *readonly,
                    ..Default::default()
                },
            },
            StepMount::Tmpfs { target, size } => ResolvedMount {
                source: PathBuf::new(),
                spec: MountSpec {
                    kind: MountKind::Tmpfs,
                    target: target.clone(),
                    tmpfs_size: (*size > 0).then_some(*size as i64),
                    ..Default::default()
                },
            },
        })
        .collect();
    let input = spec::SpecInput {
        id: id.to_string(),
        image,
        opts,
        rootfs: step.rootfs.clone(),
        user,
        mounts,
        etc_files: etc,
        cgroups_path: format!("/berth/{id}"),
        init_binary: None,
        hostname: BUILD_HOSTNAME.into(),
        netns_path: net.map(|n| n.netns.clone()),
        cgroup_v2: Path::new("/sys/fs/cgroup/cgroup.controllers").exists(),
        devices: Vec::new(),
        host_devices: Vec::new(),
        rlimit_hook: Some(cap_rlimit),
    };
    let oci = spec::build_spec(&input)?;
    let mut value = serde_json::to_value(&oci)
        .map_err(|e| Error::Invalid(format!("serialise config.json: {e}")))?;
    keep_grantable_caps(&mut value);
    let path = bundle.join("config.json");
    let json = serde_json::to_vec(&value)
        .map_err(|e| Error::Invalid(format!("serialise config.json: {e}")))?;
    fs::write(&path, json).map_err(io_err("write", &path))
}

/// /etc/hosts, /etc/hostname and /etc/resolv.conf for a step: the host's for host
/// networking; on the bridge the step's address in hosts and the network's DNS server
/// (which forwards to the host's resolvers) in resolv.conf.
fn write_etc_files(
    work: &Path,
    network: &NetworkMode,
    net: Option<&StepNet>,
) -> Result<spec::EtcFiles> {
    let files = spec::EtcFiles {
        hosts: work.join("hosts"),
        hostname: work.join("hostname"),
        resolv_conf: work.join("resolv.conf"),
    };
    let hosts = if *network == NetworkMode::Host {
        fs::read_to_string("/etc/hosts").unwrap_or_default()
    } else {
        let addresses: Vec<std::net::IpAddr> = net.map(|n| n.ip.into()).into_iter().collect();
        spec::files::hosts_file(&spec::files::HostsInput {
            hostname: BUILD_HOSTNAME,
            addresses: &addresses,
            ..Default::default()
        })?
    };
    let resolv = match net {
        Some(n) => format!("nameserver {}\n", n.gateway),
        None => fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
    };
    for (path, text) in [
        (&files.hosts, hosts),
        (&files.hostname, spec::files::hostname_file(BUILD_HOSTNAME)),
        (&files.resolv_conf, resolv),
    ] {
        fs::write(path, text).map_err(io_err("write", path))?;
    }
    Ok(files)
}
