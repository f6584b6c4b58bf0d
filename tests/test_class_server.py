"""The class hub's configuration (class-server/, `make hub`) without starting it: the lessons reach each student's
home without overwriting their work, and each student's server gets the limits, data and folders it should.
tests/browser/test_hub.py runs the hub itself; bench/class_server_load.py loads it with a class."""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
CLASS_SERVER = ROOT / "class-server"


def load_module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


first_start = load_module(CLASS_SERVER / "first_start.py")


def test_copy_missing_copies_new_files_and_never_overwrites_a_students_work(tmp_path):
    lessons, home = tmp_path / "lessons", tmp_path / "home"
    (lessons / "solutions").mkdir(parents=True)
    (lessons / "01.ipynb").write_text("lesson 1")
    (lessons / "02.ipynb").write_text("lesson 2")
    (lessons / "solutions" / "01s.ipynb").write_text("solution 1")
    (lessons / ".ipynb_checkpoints").mkdir()
    (lessons / ".ipynb_checkpoints" / "01-checkpoint.ipynb").write_text("old")
    (lessons / "picture.png").write_text("a figure the teacher's run saved")

    copied = first_start.copy_missing(lessons, home, skip=first_start.SKIP_LESSONS)
    assert sorted(p.relative_to(home).as_posix() for p in copied) == ["01.ipynb", "02.ipynb", "solutions/01s.ipynb"]
    assert not (home / ".ipynb_checkpoints").exists() and not (home / "picture.png").exists()

    (home / "01.ipynb").write_text("the student's work")
    (home / "02.ipynb").unlink()  # deleted by the student: back on the next start
    (lessons / "03.ipynb").write_text("lesson 3")  # added by the teacher later
    copied = first_start.copy_missing(lessons, home, skip=first_start.SKIP_LESSONS)
    assert sorted(p.name for p in copied) == ["02.ipynb", "03.ipynb"]
    assert (home / "01.ipynb").read_text() == "the student's work"


def test_copy_missing_says_what_to_do_when_the_lessons_are_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="GAN_HUB_NOTEBOOKS"):
        first_start.copy_missing(tmp_path / "nothing", tmp_path / "home")


@pytest.fixture
def hub_config(tmp_path, monkeypatch):
    """jupyterhub_config.py as JupyterHub reads it, with a class list, a state folder and settings of the test's."""
    monkeypatch.setenv("GAN_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("GAN_HUB_PORT", "18123")
    monkeypatch.setenv("GAN_HUB_STUDENTS", "ada, grace")
    monkeypatch.setenv("GAN_HUB_THREADS", "2")
    monkeypatch.setenv("GAN_HUB_CULL_AFTER", "1800")
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GAN_HUB_ADMIN_TOKEN", raising=False)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(CLASS_SERVER)).load_config()


def test_hub_config_accounts_ports_and_state(hub_config, tmp_path):
    c = hub_config
    assert c.JupyterHub.bind_url == "http://127.0.0.1:18123"
    assert c.JupyterHub.hub_port == 18124 and c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18125"
    assert Path(c.ConfigurableHTTPProxy.command[0]) == CLASS_SERVER / "node/node_modules/.bin/configurable-http-proxy"
    hub = tmp_path / "state" / "hub"  # the hub's database and secrets: root's only
    assert c.JupyterHub.db_url == f"sqlite:///{hub / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cookie_secret_file == str(hub / "jupyterhub_cookie_secret")
    assert hub.stat().st_mode & 0o777 == 0o700 and (hub / "jupyterhub.sqlite").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "state" / "homes").stat().st_mode & 0o777 == 0o711  # passed through, not listed
    assert c.JupyterHub.cleanup_servers is False  # a hub restart leaves the class's servers running
    assert c.JupyterHub.authenticator_class.__name__ == "ClassAuthenticator"
    assert c.JupyterHub.spawner_class.__name__ == "ClassSpawner" and c.ClassSpawner.unix_prefix == "jupyter-"
    assert "--allow-root" not in c.Spawner.get("args", [])
    assert c.Authenticator.admin_users == {"teacher"}
    assert c.Authenticator.allowed_users == {"ada", "grace"}
    culler = next(service for service in c.JupyterHub.services if service["name"] == "idle-culler")
    assert "--timeout=1800" in culler["command"]
    assert not any(service["name"] == "class-admin" for service in c.JupyterHub.services)  # no token, no admin API


def test_user_names_are_those_a_unix_user_can_have(hub_config):
    import re

    pattern = re.compile(hub_config.Authenticator.username_pattern)
    assert hub_config.ClassAuthenticator.name_length == 24  # 32 with the prefix jupyter-
    for name in ("ada", "ada_lovelace-2", "a" * 24):
        assert pattern.match(name), name
    for name in ("a" * 25, "a" * 300, "Ada", "1ada", "-ada", "ada.l", "ada lovelace", "ada\n", "", "ad/a", "äda"):
        assert not pattern.match(name), name


def test_hub_config_leaves_out_class_list_names_it_cannot_serve(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAN_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("GAN_HUB_STUDENTS", "Grace, ada, " + "x" * 40)
    c = PyFileConfigLoader("jupyterhub_config.py", path=str(CLASS_SERVER)).load_config()
    assert c.Authenticator.allowed_users == {"ada", "grace"}
    assert "cannot be a user name here" in capsys.readouterr().out


def test_hub_config_gives_each_student_limits_data_and_their_own_folders(hub_config, tmp_path):
    c = hub_config
    env = c.Spawner.environment
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "2"
    assert env["GAN_DATA_DIR"] == str(tmp_path / "data")
    assert c.Spawner.mem_limit == "3G" and c.Spawner.cpu_limit == 2.0 and c.ClassSpawner.tasks_limit == 512
    home = tmp_path / "state" / "homes" / "ada"
    assert c.ClassSpawner.homes == str(tmp_path / "state" / "homes")
    spawner = SimpleNamespace(
        home=home, user=SimpleNamespace(name="ada"), log=SimpleNamespace(info=print), uid=os.getuid(), gid=os.getgid()
    )
    assert env["GAN_CHECKPOINT_DIR"](spawner) == str(home / "checkpoints")
    c.Spawner.pre_spawn_hook(spawner)  # the first start: the lessons and their pictures into the home
    assert sorted(p.name for p in (home / "notebooks").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    pictures = sorted(p.name for p in (ROOT / "docs" / "images").iterdir())
    assert sorted(p.name for p in (home / "docs" / "images").iterdir()) == pictures  # the lessons show them
    assert c.Spawner.default_url == "/lab/tree/notebooks"
    assert Path(c.Spawner.cmd[0]) == Path(sys.executable).parent / "jupyterhub-singleuser"


def test_checkpoint_dir_follows_gan_checkpoint_dir(tmp_path, monkeypatch):
    # CHECKPOINT_DIR is read when the module is imported (as a student's kernel does): import it again, in-process
    import gan_utils.checkpoints

    try:
        monkeypatch.setenv("GAN_CHECKPOINT_DIR", str(tmp_path / "mine"))
        assert importlib.reload(gan_utils.checkpoints).CHECKPOINT_DIR == tmp_path / "mine"
        monkeypatch.delenv("GAN_CHECKPOINT_DIR")
        assert importlib.reload(gan_utils.checkpoints).CHECKPOINT_DIR == ROOT / "checkpoints"
    finally:
        monkeypatch.delenv("GAN_CHECKPOINT_DIR", raising=False)
        importlib.reload(gan_utils.checkpoints)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a Unix user and cgroups needs root")
def test_a_students_processes_run_as_them_within_their_limits():
    """class_spawner's preexec, as the hub runs it: a test user, 200 MB, a tenth of a core, 40 tasks."""
    sys.path.insert(0, str(CLASS_SERVER))
    try:
        import class_spawner
    finally:
        sys.path.remove(str(CLASS_SERVER))
    # a Python the test user can run (this one may lie in root's home: class-server/run_hub.py), stdlib only
    python = next(
        (p for p in (sys.executable, "/usr/bin/python3") if not class_spawner.reachable(os.path.realpath(p))), None
    )
    if python is None:
        pytest.skip("no Python here that another user can run")
    prefix = f"gantest{os.getpid() % 10000:04d}-"
    name = prefix + "lim"
    home = Path(tempfile.mkdtemp(prefix="gan-hub-test-")) / "home"  # not pytest's folders: 0700, closed to others
    home.parent.chmod(0o711)
    subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--user-group", name], check=True)
    try:
        entry = class_spawner.pwd.getpwnam(name)
        class_spawner.own_home(home, entry.pw_uid, entry.pw_gid)
        cgroups, failed = class_spawner.make_cgroups(name, 200 * 2**20, 0.1, 40)
        limits = class_spawner.rlimits(200 * 2**20, 40, "memory" in cgroups)

        def run(code):
            preexec = class_spawner.preexec_for(entry.pw_uid, entry.pw_gid, home, cgroups.values(), limits)
            return subprocess.run([python, "-c", code], preexec_fn=preexec, capture_output=True, text=True)

        assert run("import os; print(os.getuid(), os.getcwd())").stdout.split() == [str(entry.pw_uid), str(home)]
        assert home.stat().st_mode & 0o777 == 0o700 and home.stat().st_uid == entry.pw_uid
        big = run("x = bytearray(600 * 2**20); x[::4096] = b'1' * len(x[::4096]); print('kept')")
        assert "kept" not in big.stdout, "600 MB under a 200 MB limit"  # killed (cgroup) or MemoryError (rlimit)
        forks = run(
            "import os, time\nfor i in range(100):\n    try:\n        pid = os.fork()\n    except OSError:\n"
            "        print('refused at', i); break\n    if pid == 0:\n        time.sleep(2); os._exit(0)"
        )
        assert "refused at" in forks.stdout and int(forks.stdout.split()[-1]) < 40, forks
        if "cpu" in cgroups:  # a tenth of a core: one second of spinning gets about a tenth of a second
            spin = run(
                "import time, resource\nend = time.time() + 1\nwhile time.time() < end: pass\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_utime)"
            )
            assert float(spin.stdout) < 0.4, spin.stdout
    finally:
        assert class_spawner.remove_unix_users(prefix) == [name]
        shutil.rmtree(home.parent)
