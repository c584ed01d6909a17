//! Fuzz target (see tests/fuzz): a Dockerfile through the build front end without running
//! anything: parse, type every instruction and split stages (`plan`), expand each command
//! against an environment, apply it to an image config, and describe it in history. Every
//! input must give `Ok` or an error: no panic, no hang.

use berth_build::instructions::{
    apply_to_config, creates_layer, expand_command, history_created_by, parse_go_duration,
    StageFlags,
};
use berth_build::plan::plan;
use berth_dockerfile::expand::{EnvList, Lexer};
use berth_dockerfile::parser::parse;
use berth_fuzz::{fuzz_target, read_seeds};
use berth_store::oci::ImageConfig;
use std::path::Path;

const MAX_LEN: usize = 16 * 1024;

const TOKENS: &[&str] = &[
    "FROM ",
    "RUN ",
    "COPY ",
    "ADD ",
    "ENV ",
    "ARG ",
    "LABEL ",
    "ONBUILD ",
    "HEALTHCHECK ",
    "SHELL ",
    "CMD ",
    "ENTRYPOINT ",
    "EXPOSE ",
    "USER ",
    "WORKDIR ",
    "VOLUME ",
    "STOPSIGNAL ",
    "MAINTAINER ",
    " AS ",
    "--from=",
    "--mount=type=cache,target=",
    "--mount=type=bind,",
    "--mount=type=secret,id=",
    "--network=",
    "--security=",
    "--chown=",
    "--chmod=",
    "--link",
    "--exclude=",
    "--checksum=sha256:",
    "--keep-git-dir",
    "--platform=",
    "--interval=",
    "--timeout=",
    "--start-period=",
    "--retries=",
    "NONE",
    "CMD-SHELL",
    "[\"",
    "\"]",
    "${",
    ":-",
    "$A",
    "8080/tcp",
    "80-90/udp",
    "SIGKILL",
    "9",
    "1h2m3.5s",
    "-1s",
    "<<EOF\n",
    "\nEOF\n",
];

fn seeds() -> Vec<Vec<u8>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dockerfile/tests/conformance/dockerfile-parser");
    let mut seeds = read_seeds(&corpus, MAX_LEN, |p| {
        p.file_name().is_some_and(|n| n == "Dockerfile")
    });
    seeds.push(
        b"ARG BASE=busybox\nFROM ${BASE} AS a\nARG X=1 Y=${X}\nENV A=$X B=\"b c\"\nWORKDIR /w/../x\n\
RUN --mount=type=cache,target=/c,id=${A} --network=none echo $A\n\
COPY --from=a --chown=1:1 --chmod=755 a* /d/\nADD --checksum=sha256:00 http://x/y /z\n\
HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD [\"true\"]\nEXPOSE 80/tcp 90-91/udp\n\
STOPSIGNAL SIGTERM\nSHELL [\"/bin/bash\", \"-c\"]\nUSER 1000:1000\nVOLUME [\"/v\"]\n\
LABEL a=b \"c d\"=e\nONBUILD RUN x\nCMD x\nENTRYPOINT [\"e\"]\nFROM a\nCOPY <<EOF /f\nhi\nEOF\n"
            .to_vec(),
    );
    seeds
}

#[test]
fn fuzz_build_instructions() {
    let env = EnvList::from_entries(["A=a", "X=1", "EMPTY=", "PATH=/usr/bin:/bin"]);
    fuzz_target!(
        seeds = seeds(),
        max_len = MAX_LEN,
        dictionary = TOKENS,
        body = |input: &[u8]| {
            if let Ok(s) = std::str::from_utf8(input) {
                let _ = parse_go_duration(s);
            }
            let Ok(df) = parse(input) else {
                return;
            };
            let Ok(plan) = plan(&df, "Dockerfile") else {
                return;
            };
            let lexer = Lexer::new(plan.escape);
            for cmd in &plan.meta_args {
                let _ = expand_command(cmd, &lexer, &env);
            }
            for stage in &plan.stages {
                let _ = stage.display_name();
                let mut img = ImageConfig::default();
                let mut flags = StageFlags::default();
                for cmd in std::iter::once(&stage.from).chain(&stage.commands) {
                    let cmd = match expand_command(cmd, &lexer, &env) {
                        Ok((expanded, _used)) => expanded,
                        Err(_) => cmd.clone(),
                    };
                    let _ = apply_to_config(&cmd.kind, &mut img, &mut flags, &[]);
                    let _ = creates_layer(&cmd.kind);
                    let _ = history_created_by(&cmd, &[], &[("X".into(), "1".into())]);
                }
            }
        },
    );
}
