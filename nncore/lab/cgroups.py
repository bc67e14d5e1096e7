"""What the machine really gives this process: its CPU quota and memory limit from Linux cgroups.

A container (Streamlit Community Cloud, Docker, Kubernetes) limits a process through its cgroup,
not through what ``os.cpu_count()`` or ``/proc/meminfo`` report, which are the host's. The limits
are read at the process's own cgroup, named in ``/proc/self/cgroup``, and at each of its
ancestors up to the mount point (a parent's limit holds for its children too); the smallest
wins. Both cgroup versions are read: v2 (``cpu.max``, ``memory.max``) and v1
(``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, ``memory.limit_in_bytes``).

``root`` is the file system root the files are read under ("/" on a real machine; a folder of
fake files in the tests). Every reader returns None when there is no limit or nothing to read
(not Linux, no cgroup file system).
"""

from pathlib import Path

V1_NO_MEMORY_LIMIT = 2**62  # v1 writes "no limit" as a huge number (PAGE_COUNTER_MAX in bytes, ~9.2e18)


def _groups(root):
    """{controller: path} from ``/proc/self/cgroup``: 'cpu', 'memory', ... for v1, '' for v2."""
    try:
        text = (Path(root) / "proc/self/cgroup").read_text()
    except OSError:
        return {}
    groups = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                groups[controller] = parts[2]
    return groups


def _folders(root, controller):
    """The cgroup folders whose limits hold for this process, its own first, then each parent up
    to the mount point. A v1 controller is mounted at /sys/fs/cgroup/<controllers>, v2 at
    /sys/fs/cgroup (or /sys/fs/cgroup/unified beside v1). A path that is not there under the mount
    (a container that mounts only its own cgroup) is searched for from its deepest existing part."""
    groups, base = _groups(root), Path(root) / "sys/fs/cgroup"
    mounts = []
    if controller in groups and base.is_dir():  # v1: a folder named for the controller (maybe 'cpu,cpuacct')
        mounts += [(folder, groups[controller]) for folder in sorted(base.iterdir())
                   if controller in folder.name.split(",") and folder.is_dir()]
    if "" in groups:  # v2
        mounts += [(folder, groups[""]) for folder in (base, base / "unified")
                   if (folder / "cgroup.controllers").is_file()]
    for mount, path in mounts:
        folder = mount / path.strip("/")
        while not folder.is_dir() and folder != mount:
            folder = folder.parent
        chain = [folder]
        while chain[-1] != mount:
            chain.append(chain[-1].parent)
        yield from chain


def own_folder(controller, root="/"):
    """The folder of this process's own cgroup for a v1 ``controller`` ('cpu', 'memory'), or None."""
    for folder in _folders(root, controller):
        if folder.name and (folder / "cgroup.procs").is_file() and not (folder / "cgroup.controllers").exists():
            return folder
    return None


def _read(folder, name):
    try:
        return (folder / name).read_text().split()
    except OSError:
        return None


def cpu_quota(root="/"):
    """CPUs the cgroup quota allows this process, as a float (0.5 for half a CPU), or None when no
    quota limits it."""
    quotas = []
    for folder in _folders(root, "cpu"):
        v2 = _read(folder, "cpu.max")  # 'max 100000' or '50000 100000'
        if v2 and len(v2) == 2 and v2[0] != "max":
            quotas.append(int(v2[0]) / int(v2[1]))
        quota, period = _read(folder, "cpu.cfs_quota_us"), _read(folder, "cpu.cfs_period_us")
        if quota and period and int(quota[0]) > 0 and int(period[0]) > 0:  # -1: no quota
            quotas.append(int(quota[0]) / int(period[0]))
    return min(quotas, default=None)


def memory_limit(root="/"):
    """Bytes of memory the cgroup allows this process (with its children), or None without a limit."""
    limits = []
    for folder in _folders(root, "memory"):
        v2 = _read(folder, "memory.max")  # 'max' or bytes
        if v2 and v2[0] != "max":
            limits.append(int(v2[0]))
        v1 = _read(folder, "memory.limit_in_bytes")
        if v1 and int(v1[0]) < V1_NO_MEMORY_LIMIT:
            limits.append(int(v1[0]))
    return min(limits, default=None)
