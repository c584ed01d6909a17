//! `pull`, `push`, `login`, `logout`, and the implicit pull of `run`/`create`, with Docker's
//! output.

use std::io::{self, BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use berth_engine::containers::ContainerRecord;
use berth_engine::images::connect::RegistryOptions;
use berth_engine::images::implicit::PullPolicy;
use berth_engine::images::login;
use berth_engine::images::pull::PullOptions;
use berth_engine::reference::Reference;
use berth_engine::spec::RunOptions;
use berth_engine::Engine;
use berth_registry::credentials::StoredIn;

use super::args::{Globals, LoginArgs, LogoutArgs, PullArgs, PushArgs};
use super::engine;
use super::registry_args::RegistryFlags;
use super::transfer_progress::{Direction, TransferProgress};

fn registry_options(f: &RegistryFlags) -> RegistryOptions {
    RegistryOptions {
        cert_dir: f.cert_dir.clone(),
        credential: None,
        insecure: f.tls_verify == Some(false),
        secure_only: f.tls_verify == Some(true),
    }
}

/// `pull [-a] [-q] [--platform P] NAME`.
pub fn pull(g: &Globals, a: PullArgs) -> anyhow::Result<i32> {
    let mut e = engine(g)?;
    let reference = Reference::parse(&a.name)?;
    let opts = PullOptions {
        platform: a.platform.clone(),
        jobs: 0,
        registry: registry_options(&a.registry),
    };
    if a.all_tags {
        if reference.digest.is_some() || a.name.rsplit('/').next().is_some_and(|l| l.contains(':'))
        {
            bail!("tag can't be used with --all-tags/-a");
        }
        let tags = e.remote_tags(&a.name, &opts.registry)?;
        let repo = reference.familiar_name();
        for t in &tags {
            pull_one(
                &mut e,
                &format!("{}:{t}", reference.name()),
                &opts,
                a.quiet,
                false,
                false,
            )?;
        }
        if !a.quiet {
            println!("{}", reference.name());
        } else {
            let _ = repo;
        }
        return Ok(0);
    }
    let defaulted =
        reference.digest.is_none() && !a.name.rsplit('/').next().is_some_and(|l| l.contains(':'));
    pull_one(&mut e, &a.name, &opts, a.quiet, defaulted, false)?;
    Ok(0)
}

/// Pulls one reference with Docker's output: to stdout, or to stderr for an implicit pull.
pub(crate) fn pull_one(
    e: &mut Engine,
    name: &str,
    opts: &PullOptions,
    quiet: bool,
    defaulted_tag: bool,
    implicit: bool,
) -> anyhow::Result<()> {
    let reference = Reference::parse(name)?;
    let progress = TransferProgress::new(Direction::Pull, quiet, implicit);
    if defaulted_tag {
        progress.line("Using default tag: latest");
    }
    let what = reference
        .tag
        .clone()
        .or_else(|| reference.digest.clone())
        .unwrap_or_default();
    progress.line(&format!("{what}: Pulling from {}", reference.repository));
    let outcome = e.pull(name, opts, &progress);
    progress.finish();
    let outcome = outcome?;
    progress.line(&format!("Digest: {}", outcome.digest));
    progress.line(&format!(
        "Status: {} for {}",
        if outcome.up_to_date {
            "Image is up to date"
        } else {
            "Downloaded newer image"
        },
        outcome.reference.familiar()
    ));
    if !implicit {
        println!("{}", outcome.reference);
    }
    Ok(())
}

/// Creates the container `run` (`to_start`: overlay left mounted) or `create` asked for, pulling its image as `--pull` says:
/// `always` pulls first; `missing` (the default) pulls only when the store has no such image,
/// so a stored image costs the run path nothing more than the create; `never` never pulls.
pub fn create_pulling(
    e: &mut Engine,
    to_start: bool,
    image: &str,
    opts: &RunOptions,
    policy: Option<&str>,
    platform: Option<&str>,
) -> anyhow::Result<ContainerRecord> {
    let policy = match policy {
        Some(p) => PullPolicy::parse(p)?,
        None => PullPolicy::Missing,
    };
    let pull_opts = PullOptions {
        platform: platform.map(String::from),
        ..Default::default()
    };
    if policy == PullPolicy::Always && e.needs_pull(image, policy)? {
        pull_one(e, image, &pull_opts, false, false, true)?;
    }
    let create = |e: &mut Engine| match to_start {
        true => e.create_container_to_start(image, opts),
        false => e.create_container(image, opts),
    };
    match create(e) {
        Err(berth_engine::Error::NoSuchImage(_))
            if policy == PullPolicy::Missing && e.needs_pull(image, policy)? =>
        {
            let shown = Reference::parse(image)
                .map(|r| r.familiar())
                .unwrap_or_else(|_| image.to_string());
            eprintln!("Unable to find image '{shown}' locally");
            pull_one(e, image, &pull_opts, false, false, true)?;
            Ok(create(e)?)
        }
        other => Ok(other?),
    }
}

/// `push [-a] [-q] NAME[:TAG]`.
pub fn push(g: &Globals, a: PushArgs) -> anyhow::Result<i32> {
    let mut e = engine(g)?;
    let reference = Reference::parse(&a.name)?;
    let names = if a.all_tags {
        let tags = e.local_tags_of_repository(&a.name)?;
        if tags.is_empty() {
            bail!(
                "An image does not exist locally with the tag: {}",
                reference.familiar_name()
            );
        }
        tags
    } else {
        vec![reference.to_string()]
    };
    push_with(
        &mut e,
        &names,
        &registry_options(&a.registry),
        a.quiet,
        false,
    )?;
    if a.quiet {
        println!("{}", reference);
    }
    Ok(0)
}

/// Pushes local names with Docker's output (to stderr for a build's push).
pub fn push_names(
    e: &mut Engine,
    names: &[String],
    quiet: bool,
    to_stderr: bool,
) -> anyhow::Result<()> {
    push_with(e, names, &RegistryOptions::default(), quiet, to_stderr)
}

fn push_with(
    e: &mut Engine,
    names: &[String],
    opts: &RegistryOptions,
    quiet: bool,
    to_stderr: bool,
) -> anyhow::Result<()> {
    let progress = TransferProgress::new(Direction::Push, quiet, to_stderr);
    if let Some(first) = names.first() {
        progress.line(&format!(
            "The push refers to repository [{}]",
            Reference::parse(first)?.name()
        ));
    }
    for n in names {
        let outcome = e.push(n, opts, &progress);
        progress.finish();
        let outcome = outcome?;
        progress.line(&format!(
            "{}: digest: {} size: {}",
            outcome.tag, outcome.digest, outcome.size
        ));
    }
    Ok(())
}

/// `login [-u U] [-p P | --password-stdin] [SERVER]`.
pub fn login(g: &Globals, a: LoginArgs) -> anyhow::Result<i32> {
    let _ = g;
    let server = login::login_server(a.server.as_deref())?;
    if a.password.is_some() && a.password_stdin {
        bail!("--password and --password-stdin are mutually exclusive");
    }
    if a.password.is_some() {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
    }
    let username = match a.username.clone() {
        Some(u) => u,
        None if a.password_stdin => bail!("Must provide --username with --password-stdin"),
        None => prompt("Username: ")?,
    };
    let password = match (a.password.clone(), a.password_stdin) {
        (Some(p), _) => p,
        (None, true) => {
            let mut line = String::new();
            io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
        (None, false) => prompt("Password: ")?,
    };
    if username.is_empty() || password.is_empty() {
        bail!("Error: Cannot perform an interactive login from a non TTY device");
    }
    let stored = login::login(
        &server,
        &username,
        &password,
        &registry_options(&a.registry),
    )?;
    match stored {
        StoredIn::File(path) => eprintln!(
            "WARNING! Your password will be stored unencrypted in {}.\n\
             Configure a credential helper to remove this warning. See\n\
             https://docs.docker.com/engine/reference/commandline/login/#credential-stores\n",
            path.display()
        ),
        StoredIn::Helper(_) => {}
    }
    println!("Login Succeeded");
    Ok(0)
}

/// `logout [SERVER]`.
pub fn logout(g: &Globals, a: LogoutArgs) -> anyhow::Result<i32> {
    let _ = g;
    let server = login::login_server(a.server.as_deref())?;
    let shown = if server == berth_engine::reference::DEFAULT_REGISTRY {
        "https://index.docker.io/v1/".to_string()
    } else {
        server.clone()
    };
    if login::logout(&server)? {
        println!("Removing login credentials for {shown}");
    } else {
        println!("Not logged in to {shown}");
    }
    Ok(0)
}

/// Reads one line from a terminal after `label`; an error when stdin is not a terminal.
fn prompt(label: &str) -> anyhow::Result<String> {
    if !io::stdin().is_terminal() {
        bail!("Cannot perform an interactive login from a non TTY device");
    }
    eprint!("{label}");
    io::stderr().flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}
