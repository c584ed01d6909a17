//! Docker clients other than the CLI for the API service's interop tests (`175_api_compose`,
//! `176_api_python`): wrapper scripts that run a client with `DOCKER_HOST` at a test's
//! service inside its network namespace ([`client_wrapper`]), and a Python virtualenv with
//! packages from PyPI, made once per set of pins and cached ([`python_venv`]).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::api::Api;
use crate::cmd;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// One venv build at a time in this process (tests of one file run on threads).
static BUILDING: Mutex<()> = Mutex::new(());

/// Debian's Python with its `venv` module (a `python3` on PATH may be a pyenv shim).
pub const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// Where cached virtualenvs live: `<target dir>/tmp/berth-e2e-venv-<hash of the pins>`
/// (the build's own scratch area, next to the test binary, so `cargo clean` removes them).
pub fn venv_cache() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // <target>/debug/deps/<test binary>
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    target.join("tmp").join("berth-e2e-venv")
}

/// Deadline for each step of making a virtualenv (pip downloads from PyPI).
const VENV_TIMEOUT: Duration = Duration::from_secs(600);

/// Writes the script `<test dir>/<name>` that runs `program` inside the test's network
/// namespace with `DOCKER_HOST` at the service, the test's private `DOCKER_CONFIG`, Debian's
/// tools first on `PATH` (a client that runs `docker` gets /usr/bin/docker) and `env`;
/// returns its path.
pub fn client_wrapper(api: &Api, name: &str, program: &Path, env: &[(&str, &str)]) -> PathBuf {
    let mut script = format!(
        "#!/bin/sh\nexport DOCKER_HOST=unix://{} DOCKER_CONFIG={} PATH=/usr/bin:/bin:/usr/sbin:/sbin\n",
        api.socket.display(),
        api.berth.dir.join("docker-config").display(),
    );
    for (k, v) in env {
        script += &format!("export {k}={}\n", shell_quote(v));
    }
    script += &format!(
        "exec nsenter --net={} {} \"$@\"\n",
        api.berth.netns.display(),
        shell_quote(&program.display().to_string())
    );
    let path = api.berth.dir.join(name);
    fs::write(&path, script).expect("write a client wrapper");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod wrapper");
    path
}

/// `s` in single quotes for sh.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A virtualenv of [`SYSTEM_PYTHON`] with `pins` (pip requirement specifiers) installed,
/// cached under [`venv_cache`]`-<hash of the pins>` so later runs reuse it. It is built in a
/// temporary dir and renamed into place, so tests running at once never see half of one
/// (the loser of a race throws its copy away). Use it through `bin/python` only: the `#!`
/// lines of its scripts name the temporary dir. `Err` says why it could not be made (no
/// python3-venv, PyPI unreachable, ...).
pub fn python_venv(pins: &[&str]) -> Result<PathBuf, String> {
    let dir = PathBuf::from(format!(
        "{}-{:016x}",
        venv_cache().display(),
        fnv1a(&pins.join("\n"))
    ));
    if dir.join("ready").exists() {
        return Ok(dir);
    }
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join("ready").exists() {
        return Ok(dir);
    }
    let unique = format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let tmp = PathBuf::from(format!("{}.tmp-{unique}", dir.display()));
    let scratch = std::env::temp_dir().join(format!("berth-e2e-venv-out-{unique}"));
    let _ = fs::remove_dir_all(&tmp);
    if let Some(parent) = dir.parent() {
        let _ = fs::create_dir_all(parent);
    }
    let result = build_venv(&tmp, &scratch, pins).and_then(|()| match fs::rename(&tmp, &dir) {
        Ok(()) => Ok(()),
        // Another test finished first: use its venv.
        Err(_) if dir.join("ready").exists() => Ok(()),
        Err(e) => Err(format!(
            "rename {} to {}: {e}",
            tmp.display(),
            dir.display()
        )),
    });
    let _ = fs::remove_dir_all(&tmp);
    let _ = fs::remove_dir_all(&scratch);
    result.map(|()| dir)
}

/// Makes the venv in `tmp` and installs `pins`; writes `ready` last.
fn build_venv(tmp: &Path, scratch: &Path, pins: &[&str]) -> Result<(), String> {
    let run = |program: &Path, args: Vec<String>| {
        let o = cmd::run(program, &args, scratch, VENV_TIMEOUT);
        if o.success() {
            Ok(())
        } else {
            Err(format!("making a Python virtualenv failed:\n{o}"))
        }
    };
    run(
        Path::new(SYSTEM_PYTHON),
        vec!["-m".into(), "venv".into(), tmp.display().to_string()],
    )?;
    let mut args: Vec<String> = [
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "--no-cache-dir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(pins.iter().map(|s| s.to_string()));
    run(&tmp.join("bin/python"), args)?;
    fs::write(tmp.join("ready"), pins.join("\n")).map_err(|e| format!("write ready: {e}"))
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust versions (for cache names).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// [`python_venv`], or `None` after printing why when test `test` must be skipped (a
/// failure under CI or `BERTH_E2E_REQUIRE`, as every skip).
pub fn python_venv_or_skip(test: &str, pins: &[&str]) -> Option<PathBuf> {
    match python_venv(pins) {
        Ok(dir) => Some(dir),
        Err(e) => {
            crate::skipped(test, Some(e));
            None
        }
    }
}

/// The directory of the API interop fixtures (tests/e2e/fixtures/api).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/api")
}
