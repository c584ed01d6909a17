//! `cp` (both directions, stopped containers, volumes, symlink escapes, tar streams),
//! `stats`, and `exec -i`/`-t` and `run -it` with a real terminal (util-linux `script`).

use std::fs;
use std::path::Path;
use std::time::Duration;

use berth_e2e::Berth;

fn setup(name: &str) -> Option<Berth> {
    let b = Berth::new(name)?;
    b.busybox_image_with_data("bb");
    Some(b)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What a command under `script` did.
struct Scripted {
    code: Option<i32>,
    out: String,
}

impl std::fmt::Display for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}, output {:?}", self.code, self.out)
    }
}

/// Runs a berth command under `script` (a pty as its stdin/stdout/stderr); killed (by
/// pid, with the process group we made for it) after 60 s.
fn under_script(b: &Berth, args: &[&str]) -> Scripted {
    use std::os::unix::process::CommandExt;
    let mut line = format!("{} --root {}", s(&b.bin), s(&b.root));
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let out_path = b
        .dir
        .join(format!("script-{}.out", args.join("_").replace('/', "_")));
    let mut child = std::process::Command::new("/usr/bin/script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start script");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Scripted {
        code: status.and_then(|s| s.code()),
        out: fs::read_to_string(&out_path).unwrap_or_default(),
    }
}

#[test]
fn cp_files_and_directories_both_ways() {
    let Some(b) = setup("cp-both") else { return };
    b.cmd(&["run", "-d", "--name", "c1", "bb", "sleep", "1000"])
        .ok();
    let h = b.host_dir("src");
    fs::write(h.join("one.txt"), "one\n").unwrap();
    fs::create_dir_all(h.join("tree/sub")).unwrap();
    fs::write(h.join("tree/sub/two.txt"), "two\n").unwrap();

    // A file into an existing directory keeps its name; onto a new name takes that name.
    b.cmd(&["cp", s(&h.join("one.txt")), "c1:/tmp/"]).ok();
    b.cmd(&["cp", s(&h.join("one.txt")), "c1:/tmp/renamed.txt"])
        .ok();
    assert_eq!(
        b.cmd(&["exec", "c1", "cat", "/tmp/one.txt", "/tmp/renamed.txt"])
            .ok()
            .out(),
        "one\none"
    );
    // Copied in as root unless -a.
    assert_eq!(
        b.cmd(&["exec", "c1", "stat", "-c", "%u", "/tmp/one.txt"])
            .ok()
            .out(),
        "0"
    );
    // A directory onto a missing path creates it; into an existing one nests it.
    b.cmd(&["cp", s(&h.join("tree")), "c1:/tmp/t2"]).ok();
    b.cmd(&["cp", s(&h.join("tree")), "c1:/tmp"]).ok();
    assert_eq!(
        b.cmd(&[
            "exec",
            "c1",
            "cat",
            "/tmp/t2/sub/two.txt",
            "/tmp/tree/sub/two.txt"
        ])
        .ok()
        .out(),
        "two\ntwo"
    );
    // A file into a missing directory (trailing slash) is an error.
    b.cmd(&["cp", s(&h.join("one.txt")), "c1:/nonexistent/"])
        .fails();

    // Out of the container.
    let out = b.host_dir("out");
    b.cmd(&[
        "exec",
        "c1",
        "sh",
        "-c",
        "mkdir -p /srv/d/e && echo deep > /srv/d/e/f && chown 1234:5678 /srv/d/e/f",
    ])
    .ok();
    b.cmd(&["cp", "c1:/srv/d", s(&out)]).ok();
    assert_eq!(fs::read_to_string(out.join("d/e/f")).unwrap(), "deep\n");
    b.cmd(&["cp", "c1:/srv/d/.", s(&out.join("contents"))]).ok();
    assert_eq!(
        fs::read_to_string(out.join("contents/e/f")).unwrap(),
        "deep\n"
    );
    b.cmd(&["cp", "c1:/srv/d/e/f", s(&out.join("single"))]).ok();
    assert_eq!(fs::read_to_string(out.join("single")).unwrap(), "deep\n");
    // -a keeps the owner.
    b.cmd(&["cp", "-a", "c1:/srv/d/e/f", s(&out.join("owned"))])
        .ok();
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(out.join("owned")).unwrap();
    assert_eq!((m.uid(), m.gid()), (1234, 5678));
    b.cmd(&["cp", "c1:/no/such/file", s(&out)]).fails();
    // A directory onto an existing file is refused.
    b.cmd(&["cp", "c1:/srv/d", s(&out.join("single"))]).fails();
}

#[test]
fn cp_into_a_stopped_container_and_into_volumes() {
    let Some(b) = setup("cp-stopped") else { return };
    let h = b.host_dir("src");
    fs::write(h.join("msg"), "hello stopped\n").unwrap();
    b.cmd(&["create", "--name", "s1", "bb", "cat", "/msg"]).ok();
    b.cmd(&["cp", s(&h.join("msg")), "s1:/msg"]).ok();
    assert_eq!(b.cmd(&["start", "-a", "s1"]).ok().out(), "hello stopped");
    // Exited now: copy out of it.
    let out = b.host_dir("out");
    b.cmd(&["cp", "s1:/msg", s(&out.join("back"))]).ok();
    assert_eq!(
        fs::read_to_string(out.join("back")).unwrap(),
        "hello stopped\n"
    );

    // Into a named volume through a running container: the container sees it in the mount.
    let vol = format!("cpvol{}", std::process::id());
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "v1",
        "-v",
        &format!("{vol}:/data"),
        "bb",
        "sleep",
        "1000",
    ])
    .ok();
    b.cmd(&["cp", s(&h.join("msg")), "v1:/data/in-volume"]).ok();
    assert_eq!(
        b.cmd(&["exec", "v1", "cat", "/data/in-volume"]).ok().out(),
        "hello stopped"
    );
    // Another container with the volume sees it too: it is in the volume, not the rootfs.
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "-v",
            &format!("{vol}:/data"),
            "bb",
            "cat",
            "/data/in-volume",
        ])
        .ok();
    assert_eq!(o.out(), "hello stopped");
    // And out of the volume, seeded file included.
    b.cmd(&["cp", "v1:/data", s(&out.join("vol"))]).ok();
    assert_eq!(
        fs::read_to_string(out.join("vol/seed.txt")).unwrap(),
        "from image\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("vol/in-volume")).unwrap(),
        "hello stopped\n"
    );
    // A bind mount too.
    let bind = b.host_dir("bind");
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "bd",
        "-v",
        &format!("{}:/mnt", s(&bind)),
        "bb",
        "sleep",
        "1000",
    ])
    .ok();
    b.cmd(&["cp", s(&h.join("msg")), "bd:/mnt/x"]).ok();
    assert_eq!(
        fs::read_to_string(bind.join("x")).unwrap(),
        "hello stopped\n"
    );
    b.cmd(&["rm", "-f", "v1", "bd"]).ok();
    b.cmd(&["volume", "rm", &vol]).ok();
}

#[test]
fn cp_never_follows_container_symlinks_to_the_host() {
    let Some(b) = setup("cp-escape") else { return };
    let secret_dir = b.host_dir("secret");
    fs::write(secret_dir.join("secret"), "host secret\n").unwrap();
    let sd = s(&secret_dir).to_string();
    b.cmd(&["run", "-d", "--name", "c1", "bb", "sleep", "1000"])
        .ok();
    let script = format!(
        "ln -s / /tmp/root; ln -s ../../../../../../../../.. /tmp/up; ln -s {sd} /tmp/abs; ln -s {sd}/secret /tmp/sec; ln -s ../../../../../..{sd}/secret /tmp/relsec"
    );
    b.cmd(&["exec", "c1", "sh", "-c", &script]).ok();
    let h = b.host_dir("src");
    fs::write(h.join("evil"), "evil\n").unwrap();
    let out = b.host_dir("out");

    // Writes through symlinks land inside the container.
    b.cmd(&["cp", s(&h.join("evil")), "c1:/tmp/abs/evil1"])
        .fails(); // no such dir in the container
    b.cmd(&["cp", s(&h.join("evil")), "c1:/tmp/up/tmp/evil2"])
        .ok();
    b.cmd(&["cp", s(&h.join("evil")), "c1:/tmp/root/tmp/evil3"])
        .ok();
    b.cmd(&["cp", s(&h.join("evil")), "c1:/tmp/sec"]).fails(); // its target's directory is not in the container
    assert!(!secret_dir.join("evil1").exists());
    assert!(!Path::new("/tmp/evil2").exists() && !Path::new("/tmp/evil3").exists());
    assert_eq!(
        fs::read_to_string(secret_dir.join("secret")).unwrap(),
        "host secret\n"
    );
    assert_eq!(
        b.cmd(&["exec", "c1", "cat", "/tmp/evil2", "/tmp/evil3"])
            .ok()
            .out(),
        "evil\nevil"
    );

    // Reads through symlinks never see the host's files.
    b.cmd(&["cp", "-L", "c1:/tmp/relsec", s(&out.join("r1"))])
        .fails();
    b.cmd(&["cp", "c1:/tmp/up/etc/../..", s(&out.join("r2"))])
        .ok();
    assert!(!out
        .join("r2")
        .join(secret_dir.strip_prefix("/").unwrap())
        .exists());
    b.cmd(&["cp", "c1:/tmp/abs/", s(&out.join("r3"))]).fails();
    // Without -L a symlink is copied as a symlink.
    b.cmd(&["cp", "c1:/tmp/relsec", s(&out.join("r4"))]).ok();
    assert!(fs::symlink_metadata(out.join("r4"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(!out.join("r1").exists());
}

#[test]
fn cp_tar_streams_and_hostile_tars() {
    let Some(b) = setup("cp-tar") else { return };
    b.cmd(&["run", "-d", "--name", "c1", "bb", "sleep", "1000"])
        .ok();
    let guard = b.host_dir("guard");
    let gd = s(&guard).to_string();

    // A good tar from stdin lands in the destination directory.
    let good = b.dir.join("good.tar");
    {
        let mut t = tar::Builder::new(fs::File::create(&good).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(6);
        h.set_mode(0o640);
        h.set_cksum();
        t.append_data(&mut h, "dir/hello.txt", &b"hello\n"[..])
            .unwrap();
        t.finish().unwrap();
    }
    b.cmd_stdin(&["cp", "-", "c1:/tmp"], &good).ok();
    assert_eq!(
        b.cmd(&["exec", "c1", "cat", "/tmp/dir/hello.txt"])
            .ok()
            .out(),
        "hello"
    );
    b.cmd_stdin(&["cp", "-", "c1:/tmp/dir/hello.txt"], &good)
        .fails(); // not a directory

    // `..` entries are refused.
    let dots = b.dir.join("dots.tar");
    {
        let mut t = tar::Builder::new(fs::File::create(&dots).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        let name = format!("../../../../../../../../..{gd}/pwned");
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        t.append(&h, &b"evil\n"[..]).unwrap();
        t.finish().unwrap();
    }
    b.cmd_stdin(&["cp", "-", "c1:/tmp"], &dots).fails();
    assert!(!guard.join("pwned").exists());

    // A symlink to a host path, then a file through it: stays in the container.
    let link = b.dir.join("link.tar");
    {
        let mut t = tar::Builder::new(fs::File::create(&link).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        t.append_link(&mut h, "lnk", &gd).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, "lnk/pwned2", &b"evil\n"[..]).unwrap();
        t.finish().unwrap();
    }
    b.cmd_stdin(&["cp", "-", "c1:/tmp"], &link).ok();
    assert!(
        !guard.join("pwned2").exists(),
        "a tar symlink let cp write on the host"
    );
    b.cmd(&["exec", "c1", "cat", &format!("{gd}/pwned2")]).ok();

    // Out as a tar stream.
    let o = b.cmd(&["cp", "c1:/tmp/dir", "-"]).ok();
    let mut names = Vec::new();
    let mut ar = tar::Archive::new(o.stdout.as_bytes());
    for e in ar.entries().unwrap() {
        names.push(e.unwrap().path().unwrap().display().to_string());
    }
    assert!(names.iter().any(|n| n == "dir/hello.txt"), "{names:?}");
}

#[test]
fn stats_shows_usage_and_the_memory_limit() {
    let Some(b) = setup("stats") else { return };
    b.cmd(&[
        "run", "-d", "--name", "stats1", "--memory", "64m", "bb", "sleep", "1000",
    ])
    .ok();
    let o = b.cmd(&["stats", "--no-stream"]).ok();
    let text = o.out();
    assert!(text.starts_with("CONTAINER ID"), "{o}");
    for col in [
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET I/O",
        "BLOCK I/O",
        "PIDS",
    ] {
        assert!(text.contains(col), "missing {col}: {o}");
    }
    let line = text
        .lines()
        .find(|l| l.contains("stats1"))
        .unwrap_or_else(|| panic!("no row: {o}"));
    assert!(line.contains("/ 64MiB"), "{o}");
    let o = b
        .cmd(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.PIDs}}",
            "stats1",
        ])
        .ok();
    assert_eq!(o.out().trim(), "stats1 1");
    b.cmd(&["stats", "--no-stream", "nosuch"]).fails();
}

#[test]
fn exec_interactive_and_with_a_terminal() {
    let Some(b) = setup("exec-tty") else { return };
    b.cmd(&["run", "-d", "--name", "c1", "bb", "sleep", "1000"])
        .ok();
    let input = b.dir.join("input.txt");
    fs::write(&input, "line one\nline two").unwrap();
    assert_eq!(
        b.cmd_stdin(&["exec", "-i", "c1", "cat"], &input).ok().out(),
        "line one\nline two"
    );
    assert_eq!(
        b.cmd_stdin(&["exec", "c1", "cat"], &input).ok().out(),
        "",
        "no -i: no stdin"
    );
    b.cmd_stdin(&["exec", "-i", "c1", "sh", "-c", "read x; exit 7"], &input)
        .code_is(7);

    let o = under_script(&b, &["exec", "-t", "c1", "tty"]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(o.out.contains("/dev/pts/"), "{o}");
    let o = under_script(&b, &["exec", "-it", "c1", "sh", "-c", "tty; exit 3"]);
    assert_eq!(o.code, Some(3), "{o}");
}

#[test]
fn run_it_gets_a_terminal() {
    let Some(b) = setup("run-it") else { return };
    let o = under_script(&b, &["run", "-it", "--rm", "bb", "tty"]);
    assert_eq!(o.code, Some(0), "{o}");
    assert!(
        o.out.contains("/dev/pts/") || o.out.contains("/dev/console"),
        "{o}"
    );
}

fn mounted(path: &Path) -> bool {
    let want = s(path).to_string();
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}

#[test]
fn cp_mounts_an_unmounted_rootfs_and_leaves_it_unmounted() {
    let Some(b) = setup("cp-unmounted") else {
        return;
    };
    let id = b
        .cmd(&["create", "--name", "u1", "bb", "cat", "/m"])
        .ok()
        .out()
        .to_string();
    let rootfs = b.root.join("containers").join(&id).join("rootfs");
    assert!(!mounted(&rootfs), "create leaves the rootfs unmounted");
    let h = b.host_dir("src");
    fs::write(h.join("m"), "while unmounted\n").unwrap();
    b.cmd(&["cp", s(&h.join("m")), "u1:/m"]).ok();
    assert!(!mounted(&rootfs), "cp leaves the rootfs as it found it");
    let out = b.host_dir("out");
    b.cmd(&["cp", "u1:/m", s(&out)]).ok();
    assert!(!mounted(&rootfs));
    assert_eq!(
        fs::read_to_string(out.join("m")).unwrap(),
        "while unmounted\n"
    );
    assert_eq!(b.cmd(&["start", "-a", "u1"]).ok().out(), "while unmounted");
    // Finished: the monitor unmounts it (right after it records the exit).
    assert!(berth_e2e::wait_until(Duration::from_secs(10), || !mounted(
        &rootfs
    )));
}
