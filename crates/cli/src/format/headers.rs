//! Default table formats and column titles of Docker's list commands.

/// The default table and column titles of one list command.
#[derive(Debug, Clone, Copy)]
pub struct ListFormat {
    /// The `table ...` template used when no `--format` is given.
    pub default_table: &'static str,
    /// Field name -> column title.
    pub headers: &'static [(&'static str, &'static str)],
}

/// `docker ps`.
pub const PS: ListFormat = ListFormat {
    default_table: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
    headers: &[
        ("ID", "CONTAINER ID"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("CreatedAt", "CREATED AT"),
        ("RunningFor", "CREATED"),
        ("Ports", "PORTS"),
        ("State", "STATE"),
        ("Status", "STATUS"),
        ("Size", "SIZE"),
        ("Names", "NAMES"),
        ("Labels", "LABELS"),
        ("Mounts", "MOUNTS"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("Networks", "NETWORKS"),
        ("Platform", "PLATFORM"),
    ],
};

/// `docker ps --size`: the default table gains a SIZE column.
pub const PS_WITH_SIZE: ListFormat = ListFormat {
    default_table: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}",
    headers: PS.headers,
};

/// `docker images`.
pub const IMAGES: ListFormat = ListFormat {
    default_table: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
    headers: &[
        ("ID", "IMAGE ID"),
        ("Repository", "REPOSITORY"),
        ("Tag", "TAG"),
        ("Digest", "DIGEST"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("Size", "SIZE"),
        ("Containers", "CONTAINERS"),
        ("VirtualSize", "VIRTUAL SIZE"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ],
};

/// `docker images --digests`.
pub const IMAGES_WITH_DIGESTS: ListFormat = ListFormat {
    default_table:
        "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
    headers: IMAGES.headers,
};

/// `docker volume ls`.
pub const VOLUMES: ListFormat = ListFormat {
    default_table: "table {{.Driver}}\t{{.Name}}",
    headers: &[
        ("Name", "VOLUME NAME"),
        ("Driver", "DRIVER"),
        ("Scope", "SCOPE"),
        ("Mountpoint", "MOUNTPOINT"),
        ("Labels", "LABELS"),
        ("Links", "LINKS"),
        ("Size", "SIZE"),
    ],
};

/// `docker network ls`.
pub const NETWORKS: ListFormat = ListFormat {
    default_table: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
    headers: &[
        ("ID", "NETWORK ID"),
        ("Name", "NAME"),
        ("Driver", "DRIVER"),
        ("Scope", "SCOPE"),
        ("IPv6", "IPV6"),
        ("Internal", "INTERNAL"),
        ("Labels", "LABELS"),
        ("CreatedAt", "CREATED AT"),
    ],
};

/// `docker stats`.
pub const STATS: ListFormat = ListFormat {
    default_table: "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
    headers: &[
        ("ID", "CONTAINER ID"),
        ("Container", "CONTAINER"),
        ("Name", "NAME"),
        ("CPUPerc", "CPU %"),
        ("MemUsage", "MEM USAGE / LIMIT"),
        ("MemPerc", "MEM %"),
        ("NetIO", "NET I/O"),
        ("BlockIO", "BLOCK I/O"),
        ("PIDs", "PIDS"),
    ],
};

/// `compose ps`.
pub const COMPOSE_PS: ListFormat = ListFormat {
    default_table: "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}",
    headers: &[
        ("ID", "CONTAINER ID"),
        ("Name", "NAME"),
        ("Names", "NAMES"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("Project", "PROJECT"),
        ("Service", "SERVICE"),
        ("CreatedAt", "CREATED AT"),
        ("RunningFor", "CREATED"),
        ("State", "STATE"),
        ("Status", "STATUS"),
        ("Health", "HEALTH"),
        ("ExitCode", "EXIT CODE"),
        ("Ports", "PORTS"),
        ("Labels", "LABELS"),
        ("Networks", "NETWORKS"),
    ],
};

/// `compose ls`.
pub const COMPOSE_LS: ListFormat = ListFormat {
    default_table: "table {{.Name}}\t{{.Status}}\t{{.ConfigFiles}}",
    headers: &[
        ("Name", "NAME"),
        ("Status", "STATUS"),
        ("ConfigFiles", "CONFIG FILES"),
    ],
};
