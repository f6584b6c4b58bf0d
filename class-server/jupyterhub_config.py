"""JupyterHub for a class: `make hub` starts it with this file (docs/class-server.md says how to run it for real).

Every student gets a JupyterLab of the repository's one environment (.venv: the pinned versions, lab-settings/),
their own home with their own copy of the lessons, the datasets from one read-only folder, and a share of the CPU
that one student's training cannot take from the others. The teacher is the admin.

Everything a teacher may want to change comes from the environment, so that the same file serves `make hub`,
the load test (bench/class_server_load.py) and the browser test (tests/browser/test_hub.py):

    GAN_HUB_STATE       folder for the hub's database, secrets and (test set-up) the students' homes
                        (default class-server/state/, git-ignored: back it up)
    GAN_HUB_IP          address to listen on (default 127.0.0.1; 0.0.0.0 on a real server behind HTTPS)
    GAN_HUB_PORT        the port students open (default 8000); the hub's own and the proxy's API ports follow it
    GAN_HUB_TEACHER     the teacher's user name, the admin (default teacher)
    GAN_HUB_STUDENTS    user names let in as soon as they sign up, comma-separated; or one a line in
                        class-server/students.txt (git-ignored). Anybody else who signs up waits for the
                        teacher's approval at /hub/authorize
    GAN_HUB_NOTEBOOKS   the lessons to hand out (default notebooks/; `make student` writes the student edition to
                        build/student/)
    GAN_HUB_THREADS     PyTorch threads per student (default 1: docs/class-server.md, the sizing table)
    GAN_HUB_MEMORY      memory per student (default 3G): enforced by SystemdSpawner on a real server, only
                        advisory with this file's test spawner
    GAN_HUB_CULL_AFTER  seconds without activity after which a student's server is stopped (default 3600)
    GAN_HUB_ADMIN_TOKEN when set, an API token with admin rights (the load test creates its students with it)
    GAN_DATA_DIR        the datasets (default data/ in the repository; `make data` first, then make it read-only)
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))  # first_start.py, beside this file

from first_start import copy_lessons  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub defines it when it reads this file)

STATE = Path(os.environ.get("GAN_HUB_STATE") or HERE / "state").resolve()
STATE.mkdir(parents=True, exist_ok=True)
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
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
# A restart of the hub (an update, a crash) must not stop the class: the students' servers and kernels run on
# and the restarted hub finds them again (their process ids are in its database).
c.JupyterHub.cleanup_servers = False
# Thirty students pressing "Start" at once on a small machine: each server takes seconds of CPU to start
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300

# --- accounts: students sign up with a password, the teacher is the admin -----------------------------------
c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
TEACHER = os.environ.get("GAN_HUB_TEACHER") or "teacher"
c.Authenticator.admin_users = {TEACHER}
class_list = HERE / "students.txt"
names = os.environ.get("GAN_HUB_STUDENTS", "").replace(",", "\n")
names += "\n" + (class_list.read_text() if class_list.is_file() else "")
# NativeAuthenticator lets these in as soon as they sign up (pre-authorised); anybody else waits for the teacher
c.Authenticator.allowed_users = {name.strip() for name in names.splitlines() if name.strip()}
# ... and whoever the teacher approves at /hub/authorize may log in too: NativeAuthenticator's approval is the gate
c.Authenticator.allow_all = True
c.NativeAuthenticator.open_signup = False
c.NativeAuthenticator.minimum_password_length = 8
c.NativeAuthenticator.allowed_failed_logins = 5  # then 10 minutes' wait: guessing a classmate's password is slow
c.NativeAuthenticator.seconds_before_next_try = 600

# --- each student's server ------------------------------------------------------------------------------------
# Test set-up: no separate Unix users (this machine runs as root without systemd), so every student's server runs
# as the hub's user with its own home under the state folder. A real server uses SystemdSpawner: one Unix user
# per student and cgroup limits on CPU and memory (docs/class-server.md, "A real server").
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
if os.getuid() == 0:
    c.Spawner.args = ["--allow-root"]  # Jupyter refuses root without it; only this test set-up runs as root
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/notebooks"
c.Spawner.mem_limit = os.environ.get("GAN_HUB_MEMORY") or "3G"  # MEM_LIMIT in the server's environment


def student_home(spawner):
    return Path(getattr(spawner, "home_dir", None) or Path("~" + spawner.user.name).expanduser())


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
    """Each student's own copy of the lessons, on every start: only the files they do not have yet."""
    home = student_home(spawner)
    owner = None
    if os.getuid() == 0 and home.is_dir() and home.stat().st_uid != 0:  # a real server: the student's own uid
        owner = (home.stat().st_uid, home.stat().st_gid)
    copied = copy_lessons(home, LESSONS, REPO / "docs" / "images", owner)
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

if not DATA.is_dir():
    print(f"class-server: no datasets at {DATA}: run `make data` (or set GAN_DATA_DIR) first", file=sys.stderr)
elif DATA.stat().st_mode & 0o222:  # any write bit (root could write anyway: the bits say what the teacher meant)
    print(f"class-server: {DATA} is writable: make it read-only (docs/class-server.md)", file=sys.stderr)
