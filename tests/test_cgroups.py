"""nncore/lab/cgroups.py and nncore.lab.pools.available_cpus: the CPUs and memory a process really has,
read from fake cgroup v1 and v2 trees (a folder given as ``root``) and from a real cgroup v1
made on this machine where it lets the test make one."""

import math
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from nncore.lab import cgroups, pools

ROOT = Path(__file__).resolve().parents[1]
AFFINITY = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def tree(root, cgroup_lines, files):
    """A fake root: proc/self/cgroup with ``cgroup_lines``, and each of ``files`` (path under
    sys/fs/cgroup -> text)."""
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text("\n".join(cgroup_lines) + "\n")
    for path, text in files.items():
        (root / "sys/fs/cgroup" / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "sys/fs/cgroup" / path).write_text(text + "\n")
    return root


V1_LINES = ["4:memory:/app/web", "2:cpu,cpuacct:/app/web", "0::/"]


def v1(root, quota="-1", period="100000", limit="9223372036854771712", parent_quota="-1", parent_limit=None):
    return tree(root, V1_LINES, {
        "cpu,cpuacct/cpu.cfs_quota_us": "-1", "cpu,cpuacct/cpu.cfs_period_us": "100000",
        "cpu,cpuacct/app/cpu.cfs_quota_us": parent_quota, "cpu,cpuacct/app/cpu.cfs_period_us": "100000",
        "cpu,cpuacct/app/web/cpu.cfs_quota_us": quota, "cpu,cpuacct/app/web/cpu.cfs_period_us": period,
        "memory/memory.limit_in_bytes": "9223372036854771712",
        "memory/app/memory.limit_in_bytes": parent_limit or "9223372036854771712",
        "memory/app/web/memory.limit_in_bytes": limit,
    })


def v2(root, cpu_max="max 100000", memory_max="max", path="/app/web"):
    return tree(root, [f"0::{path}"], {
        "cgroup.controllers": "cpu memory", "cpu.max": "max 100000", "memory.max": "max",
        "app/web/cgroup.controllers": "cpu memory", "app/web/cpu.max": cpu_max, "app/web/memory.max": memory_max,
    })


def test_v1_quota_is_read_at_the_process_own_cgroup_not_only_the_root(tmp_path):
    root = v1(tmp_path, quota="150000")
    assert cgroups.cpu_quota(root) == 1.5
    assert pools.available_cpus(root) == min(AFFINITY, 2)


def test_v1_half_a_cpu_rounds_up_to_one(tmp_path):
    assert pools.available_cpus(v1(tmp_path, quota="50000")) == 1


def test_v1_no_quota_leaves_the_affinity(tmp_path):
    root = v1(tmp_path)
    assert cgroups.cpu_quota(root) is None
    assert pools.available_cpus(root) == AFFINITY


def test_a_parent_cgroup_quota_holds_for_its_children(tmp_path):
    assert cgroups.cpu_quota(v1(tmp_path, quota="300000", parent_quota="100000")) == 1.0


def test_v1_memory_limit_below_the_no_limit_value_is_a_limit(tmp_path):
    assert cgroups.memory_limit(v1(tmp_path, limit=str(690 * 2**20))) == 690 * 2**20


def test_v1_memory_no_limit_value_is_none(tmp_path):
    assert cgroups.memory_limit(v1(tmp_path)) is None


def test_v1_memory_the_smaller_of_a_cgroup_and_its_parent(tmp_path):
    root = v1(tmp_path, limit=str(2**31), parent_limit=str(2**30))
    assert cgroups.memory_limit(root) == 2**30


def test_v2_cpu_max_and_memory_max(tmp_path):
    root = v2(tmp_path, cpu_max="250000 100000", memory_max=str(2700 * 2**20))
    assert cgroups.cpu_quota(root) == 2.5
    assert cgroups.memory_limit(root) == 2700 * 2**20
    assert pools.available_cpus(root) == min(AFFINITY, 3)


def test_v2_max_means_no_limit(tmp_path):
    root = v2(tmp_path)
    assert cgroups.cpu_quota(root) is None and cgroups.memory_limit(root) is None
    assert pools.available_cpus(root) == AFFINITY


def test_v2_a_tiny_quota_is_still_one_cpu(tmp_path):
    assert pools.available_cpus(v2(tmp_path, cpu_max="7800 100000")) == 1  # Community Cloud's 0.078 CPU


def test_a_path_missing_under_the_mount_is_read_from_its_deepest_existing_part(tmp_path):
    # A container that mounts only its own cgroup still names the host's path in /proc/self/cgroup.
    root = v2(tmp_path, cpu_max="50000 100000", path="/app/web/host/only")
    assert cgroups.cpu_quota(root) == 0.5


def test_no_cgroup_files_at_all_is_no_limit(tmp_path):
    assert cgroups.cpu_quota(tmp_path) is None and cgroups.memory_limit(tmp_path) is None
    assert pools.available_cpus(tmp_path) == AFFINITY


CPU_MOUNT = Path("/sys/fs/cgroup/cpu")


def _real_v1_cpu_writable():
    if not (CPU_MOUNT / "cpu.cfs_quota_us").is_file():
        return "no cgroup v1 cpu controller mounted at /sys/fs/cgroup/cpu"
    if not os.access(CPU_MOUNT, os.W_OK):
        return "cannot create a cgroup under /sys/fs/cgroup/cpu (needs root and a writable cgroup mount)"
    return None


@pytest.mark.skipif(_real_v1_cpu_writable() is not None, reason=str(_real_v1_cpu_writable()))
@pytest.mark.parametrize("quota, period", [(50000, 100000), (150000, 100000)])
def test_a_real_v1_cgroup_quota_is_what_a_child_process_in_it_sees(quota, period):
    folder = CPU_MOUNT / f"digits-test-{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot create a cgroup at {folder}: {exc}")
    script = "import sys; sys.stdin.readline(); from nncore import pools; print(pools.available_cpus())"
    child = subprocess.Popen(  # waits for a line (until it is in the cgroup), then says what it may use
        [sys.executable, "-c", script],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        (folder / "cpu.cfs_period_us").write_text(str(period))
        (folder / "cpu.cfs_quota_us").write_text(str(quota))
        (folder / "cgroup.procs").write_text(str(child.pid))
        out, _ = child.communicate("go\n", timeout=120)
        assert int(out) == min(AFFINITY, math.ceil(quota / period))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        folder.rmdir()  # empty once the child has exited
