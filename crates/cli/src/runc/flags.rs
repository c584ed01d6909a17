//! runc's commands and flags as data: names, whether a flag takes a value, and the help text
//! `--help` prints (worded as runc words it, so scripts and people find what they know).

/// One flag: its names (long without dashes, or one letter), whether it takes a value, and
/// its help line.
pub struct Flag(pub &'static [&'static str], pub bool, pub &'static str);

/// One command: its name, other names, one-line summary, the arguments after the options,
/// a longer description (may be empty) and its own flags.
pub struct CommandSpec {
    /// The command's name.
    pub name: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// One line for the command list.
    pub summary: &'static str,
    /// What follows `[command options]` in the usage line.
    pub args: &'static str,
    /// Extra paragraphs after the usage line (may be empty).
    pub description: &'static str,
    /// Its flags (the global flags are accepted too).
    pub flags: &'static [Flag],
}

/// The global flags.
pub const GLOBAL: &[Flag] = &[
    Flag(&["debug"], false, "enable debug logging"),
    Flag(
        &["log"],
        true,
        "set the log file to write runtime errors to (default is '/dev/stderr')",
    ),
    Flag(
        &["log-format"],
        true,
        "set the log format ('text' (default), or 'json') (default: \"text\")",
    ),
    Flag(
        &["root"],
        true,
        "root directory for storage of container state (this should be located in tmpfs) (default: \"/run/berth/runc\")",
    ),
    Flag(
        &["criu"],
        true,
        "path to the criu binary used for checkpoint and restore (default: \"criu\")",
    ),
    Flag(
        &["systemd-cgroup"],
        false,
        "enable systemd cgroup support (accepted; berth manages cgroupfs directly)",
    ),
    Flag(
        &["rootless"],
        true,
        "ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")",
    ),
];

const BUNDLE: Flag = Flag(
    &["bundle", "b"],
    true,
    "path to the root of the bundle directory, defaults to the current directory",
);
const CONSOLE_SOCKET: Flag = Flag(
    &["console-socket"],
    true,
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
);
const PID_FILE: Flag = Flag(
    &["pid-file"],
    true,
    "specify the file to write the process id to",
);
const NO_PIVOT: Flag = Flag(
    &["no-pivot"],
    false,
    "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk",
);
const NO_NEW_KEYRING: Flag = Flag(
    &["no-new-keyring"],
    false,
    "do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key",
);
const PRESERVE_FDS: Flag = Flag(
    &["preserve-fds"],
    true,
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) (default: 0)",
);
const DETACH: Flag = Flag(
    &["detach", "d"],
    false,
    "detach from the container's process",
);
const NO_SUBREAPER: Flag = Flag(
    &["no-subreaper"],
    false,
    "disable the use of the subreaper used to reap reparented processes",
);
const FORMAT: Flag = Flag(
    &["format", "f"],
    true,
    "select one of: table or json (default: \"table\")",
);
const IMAGE_PATH: Flag = Flag(&["image-path"], true, "path for the criu image files");
const WORK_PATH: Flag = Flag(&["work-path"], true, "path for saving work files and logs");
const TCP_ESTABLISHED: Flag = Flag(&["tcp-established"], false, "allow open tcp connections");
const EXT_UNIX_SK: Flag = Flag(&["ext-unix-sk"], false, "allow external unix sockets");
const SHELL_JOB: Flag = Flag(&["shell-job"], false, "allow shell jobs");
const FILE_LOCKS: Flag = Flag(&["file-locks"], false, "handle file locks, for safety");
const MANAGE_CGROUPS: Flag = Flag(
    &["manage-cgroups-mode"],
    true,
    "cgroups mode: 'soft' (default), 'full' and 'strict'",
);

const CREATE_FLAGS: &[Flag] = &[
    BUNDLE,
    CONSOLE_SOCKET,
    PID_FILE,
    NO_PIVOT,
    NO_NEW_KEYRING,
    PRESERVE_FDS,
];
const RUN_FLAGS: &[Flag] = &[
    BUNDLE,
    CONSOLE_SOCKET,
    DETACH,
    Flag(
        &["keep"],
        false,
        "do not delete the container after it exits",
    ),
    PID_FILE,
    NO_SUBREAPER,
    NO_PIVOT,
    NO_NEW_KEYRING,
    PRESERVE_FDS,
];
const EXEC_FLAGS: &[Flag] = &[
    CONSOLE_SOCKET,
    Flag(&["cwd"], true, "current working directory in the container"),
    Flag(&["env", "e"], true, "set environment variables"),
    Flag(&["tty", "t"], false, "allocate a pseudo-TTY"),
    Flag(&["user", "u"], true, "UID (format: <uid>[:<gid>])"),
    Flag(&["additional-gids", "g"], true, "additional gids"),
    Flag(&["process", "p"], true, "path to the process.json"),
    DETACH,
    PID_FILE,
    Flag(
        &["process-label"],
        true,
        "set the asm process label for the process commonly used with selinux",
    ),
    Flag(
        &["apparmor"],
        true,
        "set the apparmor profile for the process",
    ),
    Flag(
        &["no-new-privs"],
        false,
        "set the no new privileges value for the process",
    ),
    Flag(
        &["cap", "c"],
        true,
        "add a capability to the bounding set for the process",
    ),
    PRESERVE_FDS,
    Flag(
        &["cgroup"],
        true,
        "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
    ),
    Flag(
        &["ignore-paused"],
        false,
        "allow exec in a paused container",
    ),
];
const UPDATE_FLAGS: &[Flag] = &[
    Flag(
        &["resources", "r"],
        true,
        "path to the file containing the resources to update or '-' to read from the standard input",
    ),
    Flag(
        &["blkio-weight"],
        true,
        "Specifies per cgroup weight, range is from 10 to 1000 (default: 0)",
    ),
    Flag(
        &["cpu-period"],
        true,
        "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default",
    ),
    Flag(
        &["cpu-quota"],
        true,
        "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period",
    ),
    Flag(
        &["cpu-share"],
        true,
        "CPU shares (relative weight vs. other containers)",
    ),
    Flag(
        &["cpu-rt-period"],
        true,
        "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
    ),
    Flag(
        &["cpu-rt-runtime"],
        true,
        "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period",
    ),
    Flag(&["cpuset-cpus"], true, "CPU(s) to use"),
    Flag(&["cpuset-mems"], true, "Memory node(s) to use"),
    Flag(&["memory"], true, "Memory limit (in bytes)"),
    Flag(
        &["memory-reservation"],
        true,
        "Memory reservation or soft_limit (in bytes)",
    ),
    Flag(
        &["memory-swap"],
        true,
        "Total memory usage (memory + swap); set '-1' to enable unlimited swap",
    ),
    Flag(
        &["pids-limit"],
        true,
        "Maximum number of pids allowed in the container (default: 0)",
    ),
    Flag(&["l3-cache-schema"], true, "The string of Intel RDT/CAT L3 cache schema"),
    Flag(&["mem-bw-schema"], true, "The string of Intel RDT/MBA memory bandwidth schema"),
];
const CHECKPOINT_FLAGS: &[Flag] = &[
    IMAGE_PATH,
    WORK_PATH,
    Flag(
        &["parent-path"],
        true,
        "path for previous criu image files in pre-dump",
    ),
    Flag(
        &["leave-running"],
        false,
        "leave the process running after checkpointing",
    ),
    TCP_ESTABLISHED,
    EXT_UNIX_SK,
    SHELL_JOB,
    Flag(
        &["lazy-pages"],
        false,
        "use userfaultfd to lazily restore memory pages",
    ),
    Flag(
        &["status-fd"],
        true,
        "criu writes \\0 to this FD once lazy-pages is ready (default: -1)",
    ),
    Flag(&["page-server"], true, "ADDRESS:PORT of the page server"),
    FILE_LOCKS,
    Flag(
        &["pre-dump"],
        false,
        "dump container's memory information only, leave the container running after this",
    ),
    MANAGE_CGROUPS,
    Flag(
        &["empty-ns"],
        true,
        "create a namespace, but don't restore its properties",
    ),
    Flag(
        &["auto-dedup"],
        false,
        "enable auto deduplication of memory images",
    ),
];
const RESTORE_FLAGS: &[Flag] = &[
    CONSOLE_SOCKET,
    IMAGE_PATH,
    WORK_PATH,
    TCP_ESTABLISHED,
    EXT_UNIX_SK,
    SHELL_JOB,
    FILE_LOCKS,
    MANAGE_CGROUPS,
    Flag(
        &["bundle", "b"],
        true,
        "path to the root of the bundle directory",
    ),
    DETACH,
    PID_FILE,
    NO_SUBREAPER,
    NO_PIVOT,
    Flag(
        &["empty-ns"],
        true,
        "create a namespace, but don't restore its properties",
    ),
    Flag(
        &["auto-dedup"],
        false,
        "enable auto deduplication of memory images",
    ),
    Flag(
        &["lazy-pages"],
        false,
        "use userfaultfd to lazily restore memory pages",
    ),
    Flag(
        &["lsm-profile"],
        true,
        "Specify an LSM profile to be used during restore in the form of TYPE:NAME.",
    ),
    Flag(
        &["lsm-mount-context"],
        true,
        "Specify an LSM mount context to be used during restore.",
    ),
];

const ID_TEXT: &str = "Where \"<container-id>\" is your name for the instance of the container.";

/// Every command, in the order `--help` lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "checkpoint",
        aliases: &[],
        summary: "checkpoint a running container",
        args: "<container-id>",
        description: "The checkpoint command saves the state of the container instance with CRIU (the\n`criu` program must be installed).",
        flags: CHECKPOINT_FLAGS,
    },
    CommandSpec {
        name: "create",
        aliases: &[],
        summary: "create a container",
        args: "<container-id>",
        description: "Where \"<container-id>\" is your name for the instance of the container that you\nare starting. The name you provide for the container instance must be unique on\nyour host.\n\nDESCRIPTION:\n   The create command creates an instance of a container for a bundle. The bundle\nis a directory with a specification file named \"config.json\" and a root\nfilesystem.",
        flags: CREATE_FLAGS,
    },
    CommandSpec {
        name: "delete",
        aliases: &["rm"],
        summary: "delete any resources held by the container often used with detached container",
        args: "<container-id>",
        description: ID_TEXT,
        flags: &[Flag(
            &["force", "f"],
            false,
            "Forcibly deletes the container if it is still running (uses SIGKILL)",
        )],
    },
    CommandSpec {
        name: "events",
        aliases: &[],
        summary: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
        args: "<container-id>",
        description: "",
        flags: &[
            Flag(&["interval"], true, "set the stats collection interval (default: 5s)"),
            Flag(&["stats"], false, "display the container's stats then exit"),
        ],
    },
    CommandSpec {
        name: "exec",
        aliases: &[],
        summary: "execute new process inside the container",
        args: "<container-id> <command> [command options]  || -p process.json <container-id>",
        description: "Where \"<container-id>\" is the name for the instance of the container and\n\"<command>\" is the command to be executed in the container.",
        flags: EXEC_FLAGS,
    },
    CommandSpec {
        name: "features",
        aliases: &[],
        summary: "show the enabled features",
        args: "",
        description: "",
        flags: &[],
    },
    CommandSpec {
        name: "kill",
        aliases: &[],
        summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
        args: "<container-id> [signal]",
        description: "Where \"<container-id>\" is the name for the instance of the container and\n\"[signal]\" is the signal to be sent to the init process.",
        flags: &[Flag(
            &["all", "a"],
            false,
            "send the specified signal to all processes inside the container",
        )],
    },
    CommandSpec {
        name: "list",
        aliases: &["ls"],
        summary: "lists containers started by berth-runc with the given root",
        args: "",
        description: "",
        flags: &[FORMAT, Flag(&["quiet", "q"], false, "display only container IDs")],
    },
    CommandSpec {
        name: "pause",
        aliases: &[],
        summary: "pause suspends all processes inside the container",
        args: "<container-id>",
        description: ID_TEXT,
        flags: &[],
    },
    CommandSpec {
        name: "ps",
        aliases: &[],
        summary: "ps displays the processes running inside a container",
        args: "<container-id> [ps options]",
        description: "",
        flags: &[FORMAT],
    },
    CommandSpec {
        name: "restore",
        aliases: &[],
        summary: "restore a container from a previous checkpoint",
        args: "<container-id>",
        description: "Where \"<container-id>\" is the name for the instance of the container to be\nrestored.",
        flags: RESTORE_FLAGS,
    },
    CommandSpec {
        name: "resume",
        aliases: &[],
        summary: "resumes all processes that have been previously paused",
        args: "<container-id>",
        description: ID_TEXT,
        flags: &[],
    },
    CommandSpec {
        name: "run",
        aliases: &[],
        summary: "create and run a container",
        args: "<container-id>",
        description: "Where \"<container-id>\" is your name for the instance of the container that you\nare starting. The name you provide for the container instance must be unique on\nyour host.",
        flags: RUN_FLAGS,
    },
    CommandSpec {
        name: "spec",
        aliases: &[],
        summary: "create a new specification file",
        args: "",
        description: "The spec command creates the new specification file named \"config.json\" for\nthe bundle.",
        flags: &[
            Flag(&["bundle", "b"], true, "path to the root of the bundle directory"),
            Flag(
                &["rootless"],
                false,
                "generate a configuration for a rootless container",
            ),
        ],
    },
    CommandSpec {
        name: "start",
        aliases: &[],
        summary: "executes the user defined process in a created container",
        args: "<container-id>",
        description: ID_TEXT,
        flags: &[],
    },
    CommandSpec {
        name: "state",
        aliases: &[],
        summary: "output the state of a container",
        args: "<container-id>",
        description: ID_TEXT,
        flags: &[],
    },
    CommandSpec {
        name: "update",
        aliases: &[],
        summary: "update container resource constraints",
        args: "<container-id>",
        description: "",
        flags: UPDATE_FLAGS,
    },
];

/// The command called `name` (or one of its aliases).
pub fn command(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}
