"""Every student a Unix user of their own: the spawner of `make hub` (jupyterhub_config.py uses it).

JupyterHub runs as root. Before a student's server first starts (they can only log in once the teacher approved
them, or they are on the class list), ``ClassSpawner`` creates their Unix user, ``<prefix><name>``
(``jupyter-ada``, as The Littlest JupyterHub names them), with no password and no login shell, and their home,
``<homes>/<name>``, that only they can open (0700). Their server and everything it starts (kernels, terminals)
runs as that user, never as root, inside limits:

- cgroups (v1), where the hub may make them: a memory limit (``Spawner.mem_limit``; the kernel that goes over
  it is killed, the others go on), a CPU quota (``Spawner.cpu_limit`` cores) and a number of tasks
  (``tasks_limit``, against a fork bomb), one group per student under the hub's own;
- resource limits (setrlimit, what ``prlimit`` sets), always: ``RLIMIT_NPROC`` (``tasks_limit`` processes
  and threads for the student's uid), no core dumps; and where there is no memory cgroup, ``RLIMIT_DATA``
  (``mem_limit`` for each of the student's processes).

When the server stops, whatever the student left running (a ``nohup`` in a terminal) is stopped with it.
"""

import asyncio
import os
import pwd
import re
import resource
import signal
import subprocess
import time
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import maybe_future
from traitlets import Integer, Unicode

# What useradd accepts (Debian's NAME_REGEX, without the $ for machine accounts), at most 32 characters
UNIX_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
CGROUPS = Path("/sys/fs/cgroup")
CGROUP_PARENT = "gan-class"  # the students' cgroups: <the hub's cgroup>/gan-class/<unix name>
NOLOGIN = next((shell for shell in ("/usr/sbin/nologin", "/sbin/nologin") if Path(shell).exists()), "/bin/false")
_useradd = asyncio.Lock()  # one useradd at a time: thirty students pressing Start together


def cgroup_dirs(unix_name):
    """{controller: folder} of a student's v1 cgroups (memory, cpu, pids) under the hub's own cgroups, for the
    controllers mounted here. Empty on a machine with cgroup v2 only."""
    dirs = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            mount = CGROUPS / controller
            if controller in ("memory", "cpu", "pids") and (mount / "cgroup.procs").is_file():
                dirs[controller] = mount / path.lstrip("/") / CGROUP_PARENT / unix_name
    return dirs


def make_cgroups(unix_name, memory, cpus, tasks):
    """The student's cgroups with their limits; returns ({controller: folder} made, [what could not be made])."""
    wanted = {
        "memory": {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory},
        "cpu": {"cpu.cfs_period_us": 100_000, "cpu.cfs_quota_us": int(cpus * 100_000) if cpus else -1},
        "pids": {"pids.max": tasks},
    }
    made, failed = {}, []
    for controller, folder in cgroup_dirs(unix_name).items():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, value in wanted[controller].items():
                if value and (folder / name).exists():
                    try:
                        (folder / name).write_text(str(value))
                    except OSError:
                        if name != "memory.memsw.limit_in_bytes":  # memory and swap: only where swap is accounted
                            raise
            made[controller] = folder
        except OSError as error:
            failed.append(f"{controller} cgroup ({error.strerror or error})")
    return made, failed


def processes_of(uid):
    """Process ids of every process of ``uid`` (its real uid), from /proc."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                status = (proc / "status").read_text()
            except OSError:
                continue  # gone meanwhile
            uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()
            if int(uids[1]) == uid:
                pids.append(int(proc.name))
    return pids


def stop_processes_of(uid, timeout=5):
    """SIGTERM, then SIGKILL, to every process of the student's ``uid`` (never 0: root's processes are not ours)."""
    if uid == 0:
        raise ValueError("refusing to stop root's processes")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = processes_of(uid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while pids and time.monotonic() < deadline:
            pids = processes_of(uid)
            time.sleep(0.1)
        if not pids:
            return


def remove_cgroups(unix_name):
    for folder in cgroup_dirs(unix_name).values():
        for empty in (folder, folder.parent):  # the student's, then gan-class/ once no student is left in it
            try:
                empty.rmdir()
            except OSError:
                pass  # never made, or still in use


def remove_unix_users(prefix):
    """Delete every Unix user whose name starts with ``prefix`` (the tests' and the load test's students, with a
    prefix of their own), after stopping their processes; their homes are left to whoever made the state."""
    if len(prefix) < 8 or not UNIX_NAME.fullmatch(prefix.rstrip("-_")):
        raise ValueError(f"{prefix!r}: too short a prefix to delete users by")
    removed = []
    for entry in pwd.getpwall():
        if entry.pw_name.startswith(prefix) and entry.pw_uid != 0:
            stop_processes_of(entry.pw_uid)
            subprocess.run(["userdel", entry.pw_name], check=True, capture_output=True)
            remove_cgroups(entry.pw_name)
            removed.append(entry.pw_name)
    return removed


def reachable(path):
    """None if every folder down to ``path`` can be passed through by other users (the x bit), else the first
    folder that cannot."""
    path = Path(path).resolve()
    for folder in reversed([path, *path.parents]):
        if folder.exists() and not folder.stat().st_mode & 0o001:
            return folder
    return None


def rlimits(memory, tasks, memory_cgroup):
    """The resource limits of a student's processes: [(RLIMIT_*, value)]."""
    limits = [(resource.RLIMIT_CORE, 0)]  # no core dumps filling the disk
    if tasks:
        limits.append((resource.RLIMIT_NPROC, tasks))
    if memory and not memory_cgroup:
        limits.append((resource.RLIMIT_DATA, memory))
    return limits


def preexec_for(uid, gid, home, cgroups=(), limits=()):
    """The function that runs after fork, before exec, still as root: the process into the student's ``cgroups``
    (folders), under ``limits`` (``rlimits()``), then the student's uid and gid, never root again."""
    if uid == 0 or gid == 0:
        raise ValueError("never a student's process as root")
    groups = os.getgrouplist(pwd.getpwuid(uid).pw_name, gid)
    procs = [str(Path(folder) / "cgroup.procs") for folder in cgroups]
    home = str(home)

    def preexec():
        for path in procs:
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        for which, value in limits:
            resource.setrlimit(which, (value, value))
        os.setgid(gid)
        os.setgroups(groups)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid or os.getegid() != gid:
            raise PermissionError("could not drop root")
        os.umask(0o077)
        os.chdir(home)

    return preexec


def own_home(home, uid, gid):
    """The student's home, made if missing, theirs and only theirs (0700). A home from before (files of another
    owner: the old spawner's root, or a deleted and re-created user) is given to them, symbolic links untouched."""
    home = Path(home)
    home.mkdir(exist_ok=True)
    if home.is_symlink() or not home.is_dir():
        raise RuntimeError(f"{home} is not a folder")
    if home.lstat().st_uid != uid:
        for folder, subfolders, files in os.walk(home):
            os.lchown(folder, uid, gid)
            for name in subfolders + files:
                os.lchown(os.path.join(folder, name), uid, gid)
    os.chmod(home, 0o700)


class ClassSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with a Unix user per student, created on their first start, and limits."""

    unix_prefix = Unicode(
        "jupyter-", help="the Unix user of the hub's user <name> is <prefix><name> (The Littlest JupyterHub's)"
    ).tag(config=True)
    homes = Unicode(help="the folder of the students' homes: <homes>/<name>").tag(config=True)
    tasks_limit = Integer(512, help="processes and threads a student may run at once (0: no limit)").tag(config=True)
    cgroups = {}  # {controller: folder} of this start's cgroups, made before each start

    @property
    def unix_name(self):
        return self.unix_prefix + self.user.name

    @property
    def home(self):
        return Path(self.homes) / self.user.name

    async def run_pre_spawn_hook(self):
        """Before every start: the student's Unix user (made on the first), their home, their cgroups; then
        jupyterhub_config.py's hook (the lessons into the home)."""
        if os.geteuid() != 0:
            raise RuntimeError(
                "the class hub must run as root (sudo make hub): it starts each student's server as their own Unix user"
            )
        if not UNIX_NAME.fullmatch(self.unix_name):  # the authenticator's username_pattern keeps these out
            raise ValueError(f"{self.unix_name!r} cannot be a Unix user name: lowercase letters, digits, - and _")
        blocked = reachable(self.homes)
        if blocked:
            raise RuntimeError(f"students cannot reach their homes in {self.homes}: {blocked} needs chmod o+x")
        entry = await self.ensure_unix_user()
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        if self.uid == 0:
            raise RuntimeError(f"{self.unix_name} has uid 0: never a student's server as root")
        own_home(self.home, self.uid, self.gid)
        self.cgroups, failed = make_cgroups(self.unix_name, self.mem_limit, self.cpu_limit, self.tasks_limit)
        self.log.info(
            "%s: Unix user %s (uid %d), limits: %s",
            self.user.name,
            self.unix_name,
            self.uid,
            ", ".join(self.limits_said(failed)),
        )
        if self.pre_spawn_hook:
            await maybe_future(self.pre_spawn_hook(self))

    def limits_said(self, failed=()):
        said = [f"{controller} cgroup" for controller in self.cgroups]
        said += [f"RLIMIT_NPROC {self.tasks_limit}"] if self.tasks_limit else []
        said += [f"RLIMIT_DATA {self.mem_limit}"] if self.mem_limit and "memory" not in self.cgroups else []
        return said + [f"no {reason}" for reason in failed]

    async def ensure_unix_user(self):
        async with _useradd:
            try:
                return pwd.getpwnam(self.unix_name)
            except KeyError:
                pass
            process = await asyncio.create_subprocess_exec(
                *["useradd", "--home-dir", str(self.home), "--no-create-home", "--user-group", "--shell", NOLOGIN],
                *["--comment", f"gan-notebooks student {self.user.name}", self.unix_name],
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await process.communicate()
            if process.returncode:
                raise RuntimeError(f"useradd {self.unix_name} failed ({process.returncode}): {out.decode().strip()}")
            self.log.info("%s: created the Unix user %s", self.user.name, self.unix_name)
            return pwd.getpwnam(self.unix_name)

    def user_env(self, env):
        env["USER"] = env["LOGNAME"] = self.unix_name
        env["HOME"] = str(self.home)
        env["SHELL"] = "/bin/bash"  # JupyterLab's terminals (the account itself has no login shell)
        return env

    def make_preexec_fn(self, name):
        limits = rlimits(self.mem_limit, self.tasks_limit, "memory" in self.cgroups)
        return preexec_for(self.uid, self.gid, self.home, self.cgroups.values(), limits)

    async def stop(self, now=False):
        await super().stop(now=now)
        try:
            uid = pwd.getpwnam(self.unix_name).pw_uid
        except KeyError:
            return
        if uid:
            await asyncio.get_running_loop().run_in_executor(None, stop_processes_of, uid)
        remove_cgroups(self.unix_name)
