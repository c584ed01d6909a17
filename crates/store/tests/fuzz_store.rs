//! Fuzz targets (see tests/fuzz): layer unpacking and image-archive loading of arbitrary tar
//! bytes (plain or compressed), and the OCI image documents. Every input must give `Ok` or an
//! error, and nothing may be written outside the destination: a sentinel directory next to it
//! must stay as it was.

use berth_fuzz::fuzz_target;
use berth_store::digest::Digest;
use berth_store::oci::{self, ImageConfig, Index, Manifest};
use berth_store::{archive, unpack, BlobStore};
use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Largest input: a few headers and some content are enough to reach every code path.
const MAX_LEN: usize = 64 * 1024;

const TAR_TOKENS: &[&str] = &[
    "../",
    "/",
    "./",
    ".wh.",
    ".wh..wh..opq",
    "..",
    "ustar\0",
    "ustar  \0",
    "././@LongLink",
    "PaxHeaders",
    "path=",
    "linkpath=",
    "SCHILY.xattr.",
    "GNU.sparse.",
    "security.capability",
    "/etc/passwd",
    "00000000777\0",
    "77777777777\0",
];

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "1e999",
    "-0",
    "\\u0000",
    "\\ud800",
    "\"sha256:",
    "\"mediaType\":",
    "\"digest\":",
    "\"size\":",
    "\"layers\":",
    "\"manifests\":",
    "\"rootfs\":",
    "\"diff_ids\":",
    "\"Config\":",
    "\"Layers\":",
    "\"RepoTags\":",
    "\"schemaVersion\":",
    "18446744073709551615",
    "-1",
];

/// One tar entry written without the `tar` crate's name checks (hostile names allowed).
fn raw_entry(out: &mut Vec<u8>, name: &[u8], kind: u8, link: &[u8], data: &[u8], mode: u32) {
    if name.len() > 100 {
        raw_entry(out, b"././@LongLink", b'L', b"", name, 0o644);
    }
    let mut h = tar::Header::new_gnu();
    let n = name.len().min(100);
    h.as_old_mut().name[..n].copy_from_slice(&name[..n]);
    let l = link.len().min(100);
    h.as_old_mut().linkname[..l].copy_from_slice(&link[..l]);
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(data.len() as u64);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// Ends a tar stream (two zero blocks).
fn finish(mut out: Vec<u8>) -> Vec<u8> {
    out.resize(out.len() + 1024, 0);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

/// Layers, friendly and hostile; `secret` is the sentinel file's absolute path.
fn layer_seeds(secret: &Path) -> Vec<Vec<u8>> {
    let secret = secret.as_os_str().as_encoded_bytes();
    let long = [b'n'; 180];
    let mut seeds = Vec::new();
    let mut t = Vec::new();
    raw_entry(&mut t, b"etc/", b'5', b"", b"", 0o755);
    raw_entry(
        &mut t,
        b"etc/hosts",
        b'0',
        b"",
        b"127.0.0.1 localhost\n",
        0o644,
    );
    raw_entry(&mut t, b"bin/sh", b'2', b"busybox", b"", 0o777);
    raw_entry(&mut t, b"bin/ln", b'1', b"etc/hosts", b"", 0o644);
    raw_entry(&mut t, b"usr/bin/su", b'0', b"", b"x", 0o4755);
    raw_entry(&mut t, b"var/.wh.cache", b'0', b"", b"", 0o644);
    raw_entry(&mut t, b"opt/.wh..wh..opq", b'0', b"", b"", 0o644);
    raw_entry(&mut t, &long, b'0', b"", b"long", 0o644);
    seeds.push(finish(t));
    for (name, kind, link) in [
        (&b"../outside/pwned"[..], b'0', &b""[..]),
        (b"/outside/abs", b'0', b""),
        (b"up", b'2', b"../outside"),
        (b"root", b'2', b"/"),
        (b"hard", b'1', secret),
        (b"hard2", b'1', b"../outside/secret"),
        (b".wh...", b'0', b""),
        (b"dev/null", b'3', b""),
        (b"fifo", b'6', b""),
    ] {
        let mut t = Vec::new();
        raw_entry(&mut t, name, kind, link, b"", 0o644);
        // Then write through it, as an escape would.
        raw_entry(
            &mut t,
            &[name, b"/pwned"].concat(),
            b'0',
            b"",
            b"pwned",
            0o644,
        );
        raw_entry(&mut t, name, b'0', b"", b"overwrite", 0o644);
        seeds.push(finish(t));
    }
    // A GNU sparse file of 1 MiB, all hole (once written out in full: see fuzz_regressions).
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..6].copy_from_slice(b"sparse");
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(0);
    h.set_mode(0o644);
    if let Some(gnu) = h.as_gnu_mut() {
        gnu.realsize = *b"00004000000\0";
        gnu.sparse[0].offset = *b"00004000000\0";
        gnu.sparse[0].numbytes = *b"00000000000\0";
    }
    h.set_cksum();
    seeds.push(finish(h.as_bytes().to_vec()));
    let mut pax = Vec::new();
    raw_entry(
        &mut pax,
        b"PaxHeaders/x",
        b'x',
        b"",
        b"30 path=../outside/paxpwned\n",
        0o644,
    );
    raw_entry(&mut pax, b"x", b'0', b"", b"pax", 0o644);
    seeds.push(finish(pax.clone()));
    seeds.push(gzip(&finish(pax)));
    seeds
}

/// Recomputes the checksum of every header in a plain tar stream, so that mutated headers
/// reach the code behind the checksum check.
fn fix_tar_checksums(data: &mut [u8]) {
    let mut off = 0usize;
    while off + 512 <= data.len() {
        let h = &mut data[off..off + 512];
        if h.iter().all(|&b| b == 0) {
            off += 512;
            continue;
        }
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let size = std::str::from_utf8(&h[124..136])
            .ok()
            .and_then(|s| u64::from_str_radix(s.trim_matches(|c| c == '\0' || c == ' '), 8).ok())
            .unwrap_or(0);
        let Some(next) = usize::try_from(size.div_ceil(512).saturating_mul(512))
            .ok()
            .and_then(|n| off.checked_add(512)?.checked_add(n))
        else {
            break;
        };
        off = next;
    }
}

/// The mutated input, with tar checksums fixed unless it is compressed.
fn as_tar(input: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    if !data.starts_with(&[0x1f, 0x8b]) && !data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        fix_tar_checksums(&mut data);
    }
    data
}

/// Bytes allocated on disk under `dir` (not following symlinks).
fn disk_usage(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            if let Ok(meta) = entry.path().symlink_metadata() {
                total += meta.blocks() * 512;
                if meta.is_dir() {
                    stack.push(entry.path());
                }
            }
        }
    }
    total
}

/// A temporary directory holding `dest/` (empty) and `outside/secret` (the sentinel).
struct Sandbox {
    tmp: tempfile::TempDir,
}

const SECRET: &[u8] = b"do not touch";

impl Sandbox {
    fn new() -> Sandbox {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::create_dir(tmp.path().join("dest")).expect("dest");
        fs::create_dir(tmp.path().join("outside")).expect("outside");
        fs::write(tmp.path().join("outside/secret"), SECRET).expect("secret");
        Sandbox { tmp }
    }

    fn dest(&self) -> std::path::PathBuf {
        self.tmp.path().join("dest")
    }

    fn secret(&self) -> std::path::PathBuf {
        self.tmp.path().join("outside/secret")
    }

    /// Panics when anything next to `dest/` changed.
    fn assert_untouched(&self) {
        let mut names: Vec<_> = fs::read_dir(self.tmp.path())
            .expect("read sandbox")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        let outside: Vec<_> = fs::read_dir(self.tmp.path().join("outside"))
            .expect("read outside")
            .map(|e| e.expect("entry").file_name())
            .collect();
        let meta = fs::symlink_metadata(self.secret()).expect("secret");
        let ok = names == ["dest", "outside"]
            && outside == ["secret"]
            && fs::read(self.secret()).ok().as_deref() == Some(SECRET)
            && meta.nlink() == 1
            && meta.mode() & 0o7777 == 0o644;
        assert!(
            ok,
            "written outside the destination: sandbox {names:?}, outside {outside:?}"
        );
    }
}

#[test]
fn fuzz_unpack_layer() {
    // Absolute hard links in the seeds name this sandbox's sentinel: every input is
    // unpacked into it.
    let sb = Sandbox::new();
    let seeds = layer_seeds(&sb.secret());
    fuzz_target!(
        seeds = seeds,
        max_len = MAX_LEN,
        dictionary = TAR_TOKENS,
        body = |input: &[u8]| {
            let data = as_tar(input);
            let dest = sb.dest();
            let _ = unpack::unpack_layer(&data[..], &dest);
            sb.assert_untouched();
            // No disk bomb: what a layer of at most 64 KiB puts on disk stays small.
            let used = disk_usage(&dest);
            assert!(
                used <= 16 << 20,
                "{used} bytes on disk from {} input bytes",
                input.len()
            );
            // Reset dest/ for the next input (the sentinel's path stays the same).
            fs::remove_dir_all(&dest).expect("clean dest");
            fs::create_dir(&dest).expect("dest");
        },
    );
}

/// A docker-archive and an OCI archive of one small image.
fn archive_seeds() -> Vec<Vec<u8>> {
    let mut layer = Vec::new();
    raw_entry(&mut layer, b"hello", b'0', b"", b"hi\n", 0o644);
    let layer = finish(layer);
    let diff_id = Digest::of_bytes(&layer);
    let config = format!(
        r#"{{"architecture":"{}","os":"linux","config":{{"Cmd":["/hello"]}},"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}}}}"#,
        oci::host_architecture()
    );
    let config_d = Digest::of_bytes(config.as_bytes());

    let mut docker = Vec::new();
    let manifest = format!(
        r#"[{{"Config":"{}.json","RepoTags":["fuzz:latest"],"Layers":["{}/layer.tar"]}}]"#,
        config_d.hex(),
        diff_id.hex()
    );
    raw_entry(
        &mut docker,
        b"manifest.json",
        b'0',
        b"",
        manifest.as_bytes(),
        0o644,
    );
    raw_entry(
        &mut docker,
        format!("{}.json", config_d.hex()).as_bytes(),
        b'0',
        b"",
        config.as_bytes(),
        0o644,
    );
    raw_entry(
        &mut docker,
        format!("{}/layer.tar", diff_id.hex()).as_bytes(),
        b'0',
        b"",
        &layer,
        0o644,
    );
    raw_entry(
        &mut docker,
        b"link.tar",
        b'2',
        b"../../etc/passwd",
        b"",
        0o777,
    );
    let docker = finish(docker);

    let image_manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{config_d}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{diff_id}","size":{}}}]}}"#,
        oci::MEDIA_MANIFEST,
        oci::MEDIA_CONFIG,
        config.len(),
        oci::MEDIA_LAYER_TAR,
        layer.len()
    );
    let manifest_d = Digest::of_bytes(image_manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{}","digest":"{manifest_d}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"fuzz"}}}}]}}"#,
        oci::MEDIA_MANIFEST,
        image_manifest.len()
    );
    let mut o = Vec::new();
    raw_entry(
        &mut o,
        b"oci-layout",
        b'0',
        b"",
        br#"{"imageLayoutVersion":"1.0.0"}"#,
        0o644,
    );
    raw_entry(&mut o, b"index.json", b'0', b"", index.as_bytes(), 0o644);
    for (d, body) in [
        (&manifest_d, image_manifest.as_bytes()),
        (&config_d, config.as_bytes()),
        (&diff_id, &layer[..]),
    ] {
        raw_entry(
            &mut o,
            format!("blobs/sha256/{}", d.hex()).as_bytes(),
            b'0',
            b"",
            body,
            0o644,
        );
    }
    let o = finish(o);
    vec![docker.clone(), o, gzip(&docker)]
}

#[test]
fn fuzz_archive_load() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).expect("outside");
    let root = tmp.path().join("store");
    let blobs = BlobStore::open(&root).expect("blob store");
    let names = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    // What the store may hold at its top: what `open` made, and tmp/ (made by a load).
    let mut allowed = names(&root);
    allowed.push("tmp".into());
    fuzz_target!(
        seeds = archive_seeds(),
        max_len = MAX_LEN,
        dictionary = JSON_TOKENS,
        body = |input: &[u8]| {
            let _ = archive::load(&blobs, &as_tar(input)[..]);
            let left = names(&root.join("tmp"));
            assert!(left.is_empty(), "load left {left:?} behind");
            assert_eq!(
                names(tmp.path()),
                ["outside", "store"],
                "written next to the store"
            );
            assert!(names(&outside).is_empty(), "written outside the store");
            let top = names(&root);
            assert!(
                top.iter().all(|n| allowed.contains(n)),
                "unexpected {top:?} in the store"
            );
        },
    );
}

#[test]
fn fuzz_image_documents() {
    let seeds = archive_seeds()
        .iter()
        .flat_map(|a| tar_json_members(a))
        .chain([
            br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}"#.to_vec(),
            br#"{"architecture":"amd64","os":"linux","config":{"Env":["A=b"],"ExposedPorts":{"80/tcp":{}},"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000}},"history":[{"created":"2024-01-01T00:00:00Z","empty_layer":true}],"rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec(),
        ])
        .collect();
    fuzz_target!(
        seeds = seeds,
        max_len = MAX_LEN,
        dictionary = JSON_TOKENS,
        body = |input: &[u8]| {
            if let Ok(c) = serde_json::from_slice::<ImageConfig>(input) {
                let _ = serde_json::to_vec(&c);
            }
            if let Ok(m) = serde_json::from_slice::<Manifest>(input) {
                let _ = serde_json::to_vec(&m);
            }
            if let Ok(i) = serde_json::from_slice::<Index>(input) {
                let _ = serde_json::to_vec(&i);
            }
            if let Ok(s) = std::str::from_utf8(input) {
                let _ = Digest::from_hex(s);
            }
        },
    );
}

/// The `.json` members and `index.json` of an uncompressed archive seed.
fn tar_json_members(archive: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut a = tar::Archive::new(archive);
    let Ok(entries) = a.entries() else {
        return out;
    };
    for mut e in entries.flatten() {
        let mut body = Vec::new();
        if std::io::Read::read_to_end(&mut e, &mut body).is_ok() && body.first() == Some(&b'{')
            || body.first() == Some(&b'[')
        {
            out.push(body);
        }
    }
    out
}
