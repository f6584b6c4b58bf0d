"""JupyterHub for a class: `make hub` starts it with this file (docs/class-server.md says how to run it for real).

Every student gets a Unix user of their own (made when they first start, once the teacher let them in), a
JupyterLab of the repository's one environment (.venv: the pinned versions, lab-settings/) running as that user,
their own home that only they can open, with their own copy of the lessons, the datasets from one read-only
folder, and limits on memory, CPU and processes (class_spawner.py). The teacher is the admin. The hub runs as root;
its database and secrets are in a folder only root can open.

Everything a teacher may want to change comes from the environment, so that the same file serves `make hub`,
the load test (bench/class_server_load.py) and the browser test (tests/browser/test_hub.py):

    GAN_HUB_STATE       folder for the hub's database and secrets (in hub/, root's only) and the students' homes
                        (in homes/) (default class-server/state/, git-ignored: back it up)
    GAN_HUB_IP          address to listen on (default 127.0.0.1; 0.0.0.0 on a real server behind HTTPS)
    GAN_HUB_PORT        the port students open (default 8000); the hub's own and the proxy's API ports follow it
    GAN_HUB_TEACHER     the teacher's user name, the admin (default teacher)
    GAN_HUB_STUDENTS    user names let in as soon as they sign up, comma-separated; or one a line in
                        class-server/students.txt (git-ignored). Anybody else who signs up waits for the
                        teacher's approval at /hub/authorize
    GAN_HUB_NOTEBOOKS   the lessons to hand out (default notebooks/; `make student` writes the student edition to
                        build/student/)
    GAN_HUB_THREADS     PyTorch threads per student (default 1: docs/class-server.md, the sizing table)
    GAN_HUB_CPUS        cores per student at most (default GAN_HUB_THREADS), a cgroup CPU quota
    GAN_HUB_MEMORY      memory per student (default 3G), a cgroup limit (without cgroups: per process)
    GAN_HUB_TASKS       processes and threads per student at most (default 512)
    GAN_HUB_USER_PREFIX the student <name>'s Unix user is <prefix><name> (default jupyter-); user names may have
                        32 characters minus the prefix's
    GAN_HUB_CULL_AFTER  seconds without activity after which a student's server is stopped (default 3600)
    GAN_HUB_ADMIN_TOKEN when set, an API token with admin rights (the load test creates its students with it)
    GAN_DATA_DIR        the datasets (default data/ in the repository; `make data` first, then make it read-only)
"""

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))  # first_start.py, beside this file

from class_auth import ClassAuthenticator, name_pattern, name_rule  # noqa: E402
from class_spawner import UNIX_NAME, ClassSpawner, reachable  # noqa: E402
from first_start import copy_lessons  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub defines it when it reads this file)

STATE = Path(os.environ.get("GAN_HUB_STATE") or HERE / "state").resolve()
# The hub's database, cookie secret and proxy's pid in hub/ (root's only: 0700, files 0600); the homes in homes/,
# each its student's only (0700). The students may pass through the state folder and homes/ to reach their own
# home (0711), not list them.
HUB = STATE / "hub"
HOMES = STATE / "homes"
for folder, mode in ((STATE, 0o711), (HUB, 0o700), (HOMES, 0o711)):
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(mode)
for name in ("jupyterhub.sqlite", "jupyterhub_cookie_secret"):  # a state folder of before: the hub's files into hub/
    if (STATE / name).is_file() and not (HUB / name).exists():
        (STATE / name).rename(HUB / name)
(HUB / "jupyterhub.sqlite").touch(mode=0o600)  # sqlite takes an empty file for an empty database
for path in HUB.iterdir():
    if path.is_file():
        path.chmod(0o600)
PORT = int(os.environ.get("GAN_HUB_PORT") or 8000)
IP = os.environ.get("GAN_HUB_IP") or "127.0.0.1"
DATA = (REPO / (os.environ.get("GAN_DATA_DIR") or "data")).resolve()
LESSONS = (REPO / (os.environ.get("GAN_HUB_NOTEBOOKS") or "notebooks")).resolve()
THREADS = os.environ.get("GAN_HUB_THREADS") or "1"
BIN = Path(sys.executable).parent  # the hub runs in .venv: so do the students' servers and kernels

# --- the hub, its proxy and its state ------------------------------------------------------------------------
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"  # the hub's own API: only the proxy and the students' servers talk to it
c.JupyterHub.hub_port = PORT + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
# configurable-http-proxy, the npm package, installed by `make hub` into class-server/node (package-lock.json)
c.ConfigurableHTTPProxy.command = [str(HERE / "node" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(HUB / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{HUB / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HUB / "jupyterhub_cookie_secret")  # JupyterHub writes it 0600
# The proxy's token is made at each start and handed to the proxy in its environment (root's: no student reads it)
# A restart of the hub (an update, a crash) must not stop the class: the students' servers and kernels run on
# and the restarted hub finds them again (their process ids are in its database).
c.JupyterHub.cleanup_servers = False
# Thirty students pressing "Start" at once on a small machine: each server takes seconds of CPU to start
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300

# --- accounts: students sign up with a password, the teacher is the admin -----------------------------------
# NativeAuthenticator (class_auth.py: user names that can be Unix users, pages that say why)
c.JupyterHub.authenticator_class = ClassAuthenticator
PREFIX = os.environ.get("GAN_HUB_USER_PREFIX", "jupyter-")
if not UNIX_NAME.fullmatch(PREFIX + "a") or len(PREFIX) > 24:
    sys.exit(f"class-server: GAN_HUB_USER_PREFIX={PREFIX!r}: lowercase letters, digits, - and _, at most 24")
c.ClassAuthenticator.name_length = 32 - len(PREFIX)  # useradd's limit: 32 characters with the prefix
c.Authenticator.username_pattern = name_pattern(32 - len(PREFIX))
TEACHER = os.environ.get("GAN_HUB_TEACHER") or "teacher"
c.Authenticator.admin_users = {TEACHER}
class_list = HERE / "students.txt"
names = os.environ.get("GAN_HUB_STUDENTS", "").replace(",", "\n")
names += "\n" + (class_list.read_text() if class_list.is_file() else "")
names = {name.strip().lower() for name in names.splitlines() if name.strip()}  # as the hub normalises them
valid = re.compile(name_pattern(32 - len(PREFIX)))
for name in sorted(name for name in names | {TEACHER} if not valid.match(name)):
    print(f"class-server: {name!r} cannot be a user name here, left out: {name_rule(32 - len(PREFIX))}")
# NativeAuthenticator lets these in as soon as they sign up (pre-authorised); anybody else waits for the teacher
c.Authenticator.allowed_users = {name for name in names if valid.match(name)}
# ... and whoever the teacher approves at /hub/authorize may log in too: NativeAuthenticator's approval is the gate
c.Authenticator.allow_all = True
c.NativeAuthenticator.open_signup = False
c.NativeAuthenticator.minimum_password_length = 8
c.NativeAuthenticator.allowed_failed_logins = 5  # then 10 minutes' wait: guessing a classmate's password is slow
c.NativeAuthenticator.seconds_before_next_try = 600

# --- each student's server ------------------------------------------------------------------------------------
# As the student's own Unix user (<prefix><name>, made on their first start), home <state>/homes/<name> (0700),
# in their own cgroups where this machine has them (class_spawner.py; docs/class-server.md, "Students apart")
c.JupyterHub.spawner_class = ClassSpawner
c.ClassSpawner.unix_prefix = PREFIX
c.ClassSpawner.homes = str(HOMES)
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/notebooks"
c.Spawner.mem_limit = os.environ.get("GAN_HUB_MEMORY") or "3G"  # also MEM_LIMIT in the server's environment
c.Spawner.cpu_limit = float(os.environ.get("GAN_HUB_CPUS") or THREADS)
c.ClassSpawner.tasks_limit = int(os.environ.get("GAN_HUB_TASKS") or 512)
# A student who opens another's server is told it is not theirs and sent to their own (templates/)
c.JupyterHub.template_paths = [str(HERE / "templates")]


def student_home(spawner):
    return Path(spawner.home)


c.Spawner.environment = {
    # One student's training may use THREADS cores and no more: PyTorch, OpenMP and MKL read these at start
    "OMP_NUM_THREADS": THREADS,
    "MKL_NUM_THREADS": THREADS,
    "GAN_DATA_DIR": str(DATA),  # one read-only copy of the datasets for the whole class
    # each student's checkpoints in their home (gan_utils.CHECKPOINT_DIR), never in the shared repository
    "GAN_CHECKPOINT_DIR": lambda spawner: str(student_home(spawner) / "checkpoints"),
    "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
}
# The teacher can set the lessons' own switches for everybody by starting the hub with them (GAN_MINUTES=1, say)
c.Spawner.env_keep = [
    "LANG",
    "LC_ALL",
    "GAN_SMOKE",
    "GAN_TRAIN",
    "GAN_MINUTES",
    "GAN_SEED",
    "GAN_DATASET",
    "GAN_BFLOAT16",
]


def first_start(spawner):
    """Each student's own copy of the lessons, on every start: only the files they do not have yet, theirs."""
    home = student_home(spawner)
    copied = copy_lessons(home, LESSONS, REPO / "docs" / "images", (spawner.uid, spawner.gid))
    spawner.log.info("%s: %d lesson files copied into %s", spawner.user.name, len(copied), home)


c.Spawner.pre_spawn_hook = first_start

# --- idle servers stopped (a kernel that trains counts as active) ---------------------------------------------
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={int(os.environ.get('GAN_HUB_CULL_AFTER') or 3600)}",
            "--cull-every=300",
        ],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
if os.environ.get("GAN_HUB_ADMIN_TOKEN"):
    c.JupyterHub.services.append({"name": "class-admin", "api_token": os.environ["GAN_HUB_ADMIN_TOKEN"]})
    c.JupyterHub.load_roles.append(
        {"name": "class-admin", "scopes": ["admin:users", "admin:servers", "tokens"], "services": ["class-admin"]}
    )

if os.geteuid() != 0:
    print("class-server: the hub must run as root (sudo make hub) to start each student as their own user")
for needed in (HOMES, BIN, LESSONS):
    if reachable(needed):
        print(f"class-server: students cannot reach {needed}: {reachable(needed)} needs chmod o+x", file=sys.stderr)
if not DATA.is_dir():
    print(f"class-server: no datasets at {DATA}: run `make data` (or set GAN_DATA_DIR) first", file=sys.stderr)
elif DATA.stat().st_mode & 0o222:  # any write bit (root could write anyway: the bits say what the teacher meant)
    print(f"class-server: {DATA} is writable: make it read-only (docs/class-server.md)", file=sys.stderr)
