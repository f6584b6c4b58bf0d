"""The class hub's configuration (class-server/, `make hub`) without starting it: the lessons reach each student's
home without overwriting their work, and each student's server gets the limits, data and folders it should.
tests/browser/test_hub.py runs the hub itself; bench/class_server_load.py loads it with a class."""

import importlib.util
import sys
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
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'state' / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cleanup_servers is False  # a hub restart leaves the class's servers running
    assert c.JupyterHub.authenticator_class == "nativeauthenticator.NativeAuthenticator"
    assert c.Authenticator.admin_users == {"teacher"}
    assert c.Authenticator.allowed_users == {"ada", "grace"}
    culler = next(service for service in c.JupyterHub.services if service["name"] == "idle-culler")
    assert "--timeout=1800" in culler["command"]
    assert not any(service["name"] == "class-admin" for service in c.JupyterHub.services)  # no token, no admin API


def test_hub_config_gives_each_student_limits_data_and_their_own_folders(hub_config, tmp_path):
    c = hub_config
    env = c.Spawner.environment
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "2"
    assert env["GAN_DATA_DIR"] == str(tmp_path / "data")
    home = tmp_path / "state" / "homes" / "ada"
    assert c.SimpleLocalProcessSpawner.home_dir_template.format(username="ada") == str(home)
    spawner = SimpleNamespace(home_dir=str(home), user=SimpleNamespace(name="ada"), log=SimpleNamespace(info=print))
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
