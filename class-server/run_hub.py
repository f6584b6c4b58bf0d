"""Start the class hub: ``jupyterhub -f class-server/jupyterhub_config.py``, as `make hub`, the tests and the load
test do (extra arguments go to jupyterhub).

Every student's server runs this environment's Python as the student's own Unix user, so the students must be
able to reach that Python. Where it lies inside a folder that only root may enter (this project's machines:
pyenv's Python under /root, 0700), the hub runs in a mount namespace of its own in which that folder is an empty
one that others may pass through (0711) holding only the way to Python: the students see nothing else of it,
and the machine's folder itself is left as it is. Elsewhere (Python in /usr or /opt) it simply runs jupyterhub.
"""

import os
import sys
from pathlib import Path

CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"
# In the namespace: the way to Python kept aside, root's folder replaced by an empty one others may pass through
INSIDE = (
    'set -e; kept=$(mktemp -d); mount --bind "$2" "$kept"; mount -t tmpfs -o mode=0711,size=1m gan-hub "$1"; '
    'mkdir "$2"; mount --move "$kept" "$2"; rmdir "$kept"; shift 2; exec "$@"'
)


def blocked_folder(path):
    """The first folder on the way to ``path`` that other users cannot pass through (no x bit), or None."""
    path = Path(path)
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def main():
    hub = [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG), *sys.argv[1:]]
    python = Path(os.path.realpath(sys.base_prefix))
    blocked = blocked_folder(python)
    if blocked is None or os.geteuid() != 0:  # nothing in the way (or not root: the hub says what it needs)
        os.execv(sys.executable, hub)
    kept = blocked / python.relative_to(blocked).parts[0]
    print(f"class-server: students cannot pass through {blocked}: the hub sees it as holding only {kept}")
    namespace = ["unshare", "--mount", "--propagation", "private"]
    os.execvp("unshare", [*namespace, "sh", "-c", INSIDE, "sh", str(blocked), str(kept), *hub])


if __name__ == "__main__":
    main()
