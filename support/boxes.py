"""A box the size of a Streamlit Community Cloud app for the load test: a cgroup v1 with a CPU quota
and a memory limit (made under this process's own cgroups, removed after), which the app server joins
before it starts (support.appserver.Server's ``cgroups``); the browsers stay outside it. Needs root
and cgroup v1's cpu and memory controllers (Linux)."""

import os
import signal
import time
import uuid
from dataclasses import dataclass

from nncore.lab import cgroups

MB = 2**20
PERIOD_US = 100_000


@dataclass(frozen=True)
class Box:
    name: str
    cpus: float
    memory_mb: int


BOXES = {box.name: box for box in (Box("1cpu-690mb", 1.0, 690), Box("2cpu-2700mb", 2.0, 2700))}


class Cgroup:
    """``with Cgroup(box) as group:`` the cpu and memory cgroups of ``box`` (``group.folders`` for
    the server to join); ``group.memory()`` reads what the kernel counted. At the end, any process
    still in them is killed (only ours can be there) and the folders are removed."""

    def __init__(self, box):
        self.box = box
        name = f"digits-box-{box.name}-{uuid.uuid4().hex[:6]}"
        parents = [cgroups.own_folder("cpu"), cgroups.own_folder("memory")]
        if None in parents:
            raise RuntimeError("no cgroup v1 cpu and memory controllers here: --box needs them (and root)")
        self.cpu, self.mem = (parent / name for parent in parents)
        self.folders = [self.cpu, self.mem]

    def __enter__(self):
        for folder in self.folders:
            folder.mkdir()
        (self.cpu / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (self.cpu / "cpu.cfs_quota_us").write_text(str(int(self.box.cpus * PERIOD_US)))
        (self.mem / "memory.limit_in_bytes").write_text(str(self.box.memory_mb * MB))
        return self

    def memory(self):
        """{limit MB, peak MB (the kernel's high-water mark of the group, page cache included),
        failcnt (times usage hit the limit), oom kills}."""
        control = dict(line.split() for line in (self.mem / "memory.oom_control").read_text().splitlines())
        return {"limit_mb": int((self.mem / "memory.limit_in_bytes").read_text()) / MB,
                "peak_mb": int((self.mem / "memory.max_usage_in_bytes").read_text()) / MB,
                "failcnt": int((self.mem / "memory.failcnt").read_text()),
                "oom_kills": int(control.get("oom_kill", 0))}

    def __exit__(self, *exc):
        deadline = time.monotonic() + 30
        for folder in self.folders:
            while folder.exists():
                for pid in (folder / "cgroup.procs").read_text().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    folder.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
