"""A class on one server, load-tested: N students start their servers and run notebook 02 at the same time.

    python -m bench.class_server_load --students 2 5 10 20 --minutes 1 --restart-with 5
    python -m bench.class_server_load --sizing --seconds 20

For each N it starts the class hub (class-server/jupyterhub_config.py, as `make hub` does, with a state folder and
ports of its own), creates N students with an admin API token, starts all their servers at once and then, through
each student's own Jupyter server behind the hub's proxy, runs every code cell of notebook 02 (the student's copy
in their home) in a kernel over a websocket, as a class pressing Run All together: first in smoke mode, then with
GAN_MINUTES of real training. It records the servers started and the time each took, the runs that finished
without an error (every one must), the training steps and legibility each student got, and the memory used.
With --restart-with N the hub is restarted in the middle of that N's training: the students' kernels must run
on, their servers come back behind the restarted hub, and nothing in their homes may be lost.

--sizing measures what the sizing table of docs/class-server.md is made of: training steps a second of each
lesson's recipe for k students sharing c cores (processes pinned with taskset, one PyTorch thread each).

Results go to build/class-server/ as JSON, and a table is printed. Other work on the machine slows every
number: each measurement records the load average (`uptime`) next to it.
"""

import argparse
import contextlib
import datetime
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import requests
import websocket

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "class-server" / "jupyterhub_config.py"
RUN_HUB = REPO / "class-server" / "run_hub.py"
PROXY = REPO / "class-server" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"

OUT = REPO / "build" / "class-server"
LOW_MEMORY = 1.5  # GiB: under this much memory left, the load test stops the class (never the machine's other work)
PER_STUDENT = 0.9  # GiB a student's server and kernel need (proportional set size: 0.91 each, measured with 10)
NOTEBOOK = "notebooks/02_conditional_gan.ipynb"  # in each student's home
# The last cell the load test runs in each kernel: what the student got, in one line
REPORT = (
    "import json\n"
    "print('CLASS_LOAD ' + json.dumps({'steps': trainer.step, 'legible': float(result['overall']), "
    "'checkpoint': str(CHECKPOINT)}))"
)


def load_average():
    return os.getloadavg()[0]


def free_ports(count=3):
    """``count`` consecutive free ports on 127.0.0.1 (the hub uses its port and the two after it)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for port in range(first, first + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError("no free ports")


# --- the hub: the configuration of `make hub`, with a state folder and ports of its own -----------------------
class NoProxy(RuntimeError):
    """configurable-http-proxy is not installed: the message says how to install it."""


def check_proxy():
    if not PROXY.exists():
        raise NoProxy(
            f"configurable-http-proxy is not installed at {PROXY}: run `make hub-proxy` "
            "(npm ci --prefix class-server/node; Node.js and npm from Debian: apt-get install nodejs npm)"
        )


class Hub:
    """A running hub: its public ``url`` (the proxy), its ``state`` folder, its log."""

    def __init__(self, state, port, env):
        self.state, self.port, self.env = Path(state), port, env
        self.url = f"http://127.0.0.1:{port}"
        self.log = self.state / "hub" / "jupyterhub.log"  # beside the hub's secrets: no student reads it
        self.process = None
        self.admin_token = env.get("GAN_HUB_ADMIN_TOKEN")

    def start(self, timeout=60):
        self.log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(RUN_HUB)],  # as `make hub`: jupyterhub -f class-server/jupyterhub_config.py
                env=self.env,
                cwd=self.state,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() signals the hub and the proxy it started
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with code {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterHub did not answer within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.3)

    def stop(self, timeout=30):
        """Stop the hub (and its proxy); the students' servers run on unless ``stop_servers`` was called."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def restart(self):
        self.stop()
        self.start()

    def api(self, method, path, token=None, **kwargs):
        """A call of the hub's REST API (``/hub/api`` + ``path``), as admin unless ``token`` says otherwise."""
        headers = {"Authorization": f"token {token or self.admin_token}"}
        response = requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kwargs)
        if not response.ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def stop_servers(self):
        """Stop every student's server (their processes run on after the hub otherwise)."""
        for user in self.api("GET", "/users"):
            if user.get("server") or user.get("pending"):
                with contextlib.suppress(RuntimeError):
                    self.api("DELETE", f"/users/{user['name']}/server")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(u.get("server") for u in self.api("GET", "/users")):
            time.sleep(0.5)

    def log_tail(self, lines=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


def class_server_module(name):
    """A module of class-server/ (class_spawner: the students' Unix users), as jupyterhub_config.py imports it."""
    if str(CONFIG.parent) not in sys.path:
        sys.path.insert(0, str(CONFIG.parent))
    return __import__(name)


@contextlib.contextmanager
def class_hub(state, port, admin_token=None, **env):
    """The class hub on ``port`` (and the two after it) with its state in ``state``; stopped on exit, the
    students' servers with it. ``env``: GAN_HUB_* and GAN_* settings (jupyterhub_config.py lists them).

    Every student is a Unix user (class-server/class_spawner.py): here with a prefix of this hub's own
    (``hub.user_prefix``, not the jupyter- of a real class), and deleted on exit, whatever happened."""
    check_proxy()
    state = Path(state)
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o711)  # each student passes through to their own home (mkdtemp makes it 0700)
    prefix = f"gantest{secrets.token_hex(2)}-"
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}  # plots inline
    environment.update(GAN_HUB_STATE=str(state), GAN_HUB_PORT=str(port), GAN_HUB_USER_PREFIX=prefix)
    environment.update({k: str(v) for k, v in env.items()})
    if admin_token:
        environment["GAN_HUB_ADMIN_TOKEN"] = admin_token
    hub = Hub(state, port, environment)
    hub.user_prefix = environment["GAN_HUB_USER_PREFIX"]
    try:
        hub.start()
        yield hub
    finally:
        try:
            if hub.process is not None and hub.process.poll() is None and admin_token:
                hub.stop_servers()
        finally:
            try:
                hub.stop()
            finally:
                if hub.user_prefix == prefix:  # only users of this hub's own prefix
                    class_server_module("class_spawner").remove_unix_users(prefix)


# --- one student ------------------------------------------------------------------------------------------------


class Student:
    """One student: their API token, their server behind the proxy, their kernel over a websocket."""

    def __init__(self, hub, name):
        self.hub, self.name = hub, name
        self.token = hub.api("POST", f"/users/{name}/tokens", json={"note": "load test"})["token"]
        self.headers = {"Authorization": f"token {self.token}"}
        self.server = f"{hub.url}/user/{name}"
        self.kernel = self.socket = None
        self.session = uuid.uuid4().hex
        self.training = threading.Event()  # set when the kernel starts the lesson's training cell

    def get(self, path, **kwargs):
        response = requests.get(f"{self.server}{path}", headers=self.headers, timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()

    def start_kernel(self):
        response = requests.post(
            f"{self.server}/api/kernels",
            headers=self.headers,
            json={"name": "python3", "path": "notebooks"},
            timeout=120,
        )
        response.raise_for_status()
        self.kernel = response.json()["id"]
        self.connect()

    def connect(self, timeout=180):
        """The kernel's websocket, retried while the hub or its proxy restarts."""
        url = f"{self.server.replace('http', 'ws', 1)}/api/kernels/{self.kernel}/channels?session_id={self.session}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.socket = websocket.create_connection(url, header=self.headers, timeout=30)
                return
            except (OSError, websocket.WebSocketException):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def execute(self, code, timeout=900):
        """Run ``code`` in the kernel; the outputs as text and the error, if any. A dropped connection (a hub
        restart) is reconnected, and then the run waits until the kernel is idle again."""
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "username": self.name,
                "session": self.session,
                "msg_type": "execute_request",
                "version": "5.3",
                "date": datetime.datetime.now(datetime.UTC).isoformat(),
            },
            "parent_header": {},
            "metadata": {},
            "content": {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            "channel": "shell",
            "buffers": [],
        }
        self.socket.send(json.dumps(message))
        texts, error, reconnected = [], None, False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = self.socket.recv()
            except (OSError, websocket.WebSocketException):
                self.connect()  # the proxy went away (hub restart): back in, then wait for the kernel to finish
                reconnected = True
                self.wait_idle(deadline)
                return "\n".join(texts), error, reconnected
            if isinstance(frame, bytes):  # a message with binary buffers: the widgets' pictures, not ours to read
                continue
            reply = json.loads(frame)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "execute_reply" and content["status"] != "ok":
                error = error or f"{content.get('ename')}: {content.get('evalue')}"
            elif kind == "status" and content["execution_state"] == "idle":
                return "\n".join(texts), error, reconnected
        raise TimeoutError(f"{self.name}: a cell ran longer than {timeout} s")

    def wait_idle(self, deadline):
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if self.get(f"/api/kernels/{self.kernel}")["execution_state"] == "idle":
                    return
            time.sleep(2)
        raise TimeoutError(f"{self.name}: the kernel is still busy after the restart")

    def run_notebook(self, env):
        """Every code cell of notebook 02 (the student's copy) in a fresh kernel, then REPORT."""
        notebook = nbformat.from_dict(self.get(f"/api/contents/{NOTEBOOK}")["content"])
        self.start_kernel()
        try:
            self.execute(f"import os\nos.environ.update({env!r})")  # as if the hub had set them for this class
            started, reconnects = time.monotonic(), 0
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                if "trainer.train(" in cell.source and "minutes=MINUTES" in cell.source:
                    self.training.set()
                _, error, reconnected = self.execute(cell.source)
                reconnects += reconnected
                if error:
                    return {"error": f"cell {index}: {error}", "seconds": time.monotonic() - started}
            text, error, _ = self.execute(REPORT)
            if error:
                return {"error": f"report: {error}"}
            line = next(line for line in text.splitlines() if line.startswith("CLASS_LOAD "))
            return {
                **json.loads(line.removeprefix("CLASS_LOAD ")),
                "seconds": time.monotonic() - started,
                "reconnects": reconnects,
                "error": None,
            }
        finally:
            self.socket.close()
            with contextlib.suppress(requests.RequestException):
                requests.delete(f"{self.server}/api/kernels/{self.kernel}", headers=self.headers, timeout=60)


def all_at_once(function, items):
    """``function(item)`` for every item in its own thread, all started together; the results in order."""
    results = [None] * len(items)

    def run(i):
        try:
            results[i] = function(items[i])
        except Exception as error:  # recorded: every run must finish, and the table says which did not
            results[i] = {"error": f"{type(error).__name__}: {error}"}

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def memory_of_students(state):
    """Memory (GiB) of every process whose working folder is in a student's home (servers, kernels): their
    proportional set size, so that the libraries they share (PyTorch's) count once, not once per student."""
    homes, total = str(Path(state) / "homes"), 0
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, StopIteration):
            if proc.name.isdigit() and os.readlink(proc / "cwd").startswith(homes):
                rollup = (proc / "smaps_rollup").read_text().splitlines()
                total += int(next(line for line in rollup if line.startswith("Pss:")).split()[1]) * 1024
    return total / 2**30


def memory_available():
    """GiB the machine can still give (MemAvailable)."""
    line = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemAvailable"))
    return int(line.split()[1]) / 2**20


def snapshot(state):
    """Every file in the students' homes (notebooks, checkpoints, settings) with its size: what a restart must not
    lose. Not Jupyter's runtime files (a kernel's connection file goes when the kernel is shut down)."""
    homes = Path(state) / "homes"
    files = (path for path in homes.rglob("*") if path.is_file() and "runtime" not in path.parts)
    return {str(path.relative_to(homes)): path.stat().st_size for path in files}


# --- one class --------------------------------------------------------------------------------------------------


def class_of(n, minutes, restart, data):
    """N students at once: start servers, run notebook 02 in smoke mode, then with ``minutes`` of training."""
    if memory_available() < n * PER_STUDENT + LOW_MEMORY:
        return {
            "students": n,
            "not_run": f"{memory_available():.1f} GiB available, {n} students need about "
            f"{n * PER_STUDENT + LOW_MEMORY:.0f}",
        }
    token = secrets.token_hex(32)
    state = Path(tempfile.mkdtemp(prefix=f"gan-hub-load-{n}-"))
    names = [f"student{i:02d}" for i in range(1, n + 1)]
    record = {"students": n, "minutes": minutes, "load_before": load_average()}
    with class_hub(state, free_ports(), admin_token=token, GAN_DATA_DIR=data, GAN_HUB_THREADS=1) as hub:
        hub.api("POST", "/users", json={"usernames": names})
        students = [Student(hub, name) for name in names]

        def start(student):
            began = time.monotonic()
            hub.api("POST", f"/users/{student.name}/server")
            while True:
                server = hub.api("GET", f"/users/{student.name}")["servers"].get("")
                if server and server.get("ready"):
                    return {"start_seconds": time.monotonic() - began}
                if time.monotonic() - began > 600:
                    return {"error": "not ready after 600 s"}
                time.sleep(0.5)

        starts = all_at_once(start, students)
        record["started"] = sum(1 for s in starts if s.get("start_seconds") is not None)
        record["start_seconds"] = [round(s.get("start_seconds", float("nan")), 1) for s in starts]
        print(f"N={n}: {record['started']} of {n} servers started, slowest {max(record['start_seconds']):.1f} s")

        record["load_during"] = []
        sampler_stop = threading.Event()

        def sample():
            while not sampler_stop.wait(2):
                record["load_during"].append(round(load_average(), 2))
                record["memory_gib"] = max(record.get("memory_gib", 0), round(memory_of_students(state), 2))
                if memory_available() < LOW_MEMORY:  # stop the class before the machine runs out
                    record["aborted"] = f"under {LOW_MEMORY} GiB of memory left: the students' servers were stopped"
                    hub.stop_servers()
                    return

        sampler = threading.Thread(target=sample)
        sampler.start()
        smoke = all_at_once(lambda s: s.run_notebook({"GAN_SMOKE": "1"}), students)
        record["smoke"] = smoke
        print(f"N={n}: smoke runs without error: {sum(r.get('error') is None for r in smoke)} of {n}")

        env = {"GAN_SMOKE": "0", "GAN_TRAIN": "1", "GAN_MINUTES": str(minutes)}
        restarted = {}
        if restart:

            def restart_mid_class():
                for student in students:  # every student's kernel in the training cell...
                    student.training.wait(timeout=600)
                time.sleep(60 * minutes / 2)  # ... then half-way through its budget
                restarted["files_before"] = snapshot(state)
                began = time.monotonic()
                hub.restart()
                restarted["hub_down_seconds"] = round(time.monotonic() - began, 1)

            restarter = threading.Thread(target=restart_mid_class)
            restarter.start()
        real = all_at_once(lambda s: s.run_notebook(env), students)
        sampler_stop.set()
        sampler.join()
        record["real"] = real
        if restart:
            restarter.join()
        if "hub_down_seconds" in restarted:
            after = snapshot(state)
            lost = [path for path in restarted["files_before"] if path not in after]
            servers = [hub.api("GET", f"/users/{name}")["servers"].get("", {}) for name in names]
            restarted.update(
                files_checked=len(restarted.pop("files_before")),
                files_lost=lost,
                servers_back=sum(1 for server in servers if server.get("ready")),
                checkpoints=sum(1 for name in names if (state / "homes" / name / "checkpoints").is_dir()),
            )
            record["restart"] = restarted
        print(f"N={n}: real runs without error: {sum(r.get('error') is None for r in real)} of {n}")
    record["load_after"] = load_average()
    return record


def summarise(records):
    lines = [
        "| students | servers started | start time (s), median / slowest | smoke runs OK | 1-minute runs OK "
        "| steps per student, min / median / max | legible, min / max | memory, all (GiB) | load average, max |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        if "not_run" in r:
            lines.append(f"| {r['students']} | not run: {r['not_run']} ||||||||")
            continue
        n, ok = r["students"], [x for x in r["real"] if x.get("error") is None]
        steps = sorted(x["steps"] for x in ok) or [0]
        legible = [x["legible"] for x in ok] or [0]
        starts = sorted(r["start_seconds"])
        lines.append(
            f"| {n} | {r['started']} of {n} | {starts[len(starts) // 2]:.0f} / {starts[-1]:.0f} "
            f"| {sum(x.get('error') is None for x in r['smoke'])} of {n} | {len(ok)} of {n} "
            f"| {steps[0]:,} / {steps[len(steps) // 2]:,} / {steps[-1]:,} | {min(legible):.1%} / {max(legible):.1%} "
            f"| {r.get('memory_gib', 0):.1f} | {max(r['load_during'] or [0]):.1f} |"
        )
        if "aborted" in r:
            lines.append(f"|  | aborted: {r['aborted']} ||||||||")
        if isinstance(r.get("restart"), dict):
            x = r["restart"]
            lines.append(
                f"|  | hub restarted mid-training ({x['hub_down_seconds']} s down): {x['servers_back']} of {n} "
                f"servers back, {len(x['files_lost'])} of {x['files_checked']} files lost |||||||| "
            )
    return "\n".join(lines)


# --- sizing: k students on c cores -------------------------------------------------------------------------------

SIZING_CHILD = """
import os, sys, time, torch
import gan_utils
from gan_utils import recipes
lesson, seconds, start_at = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
if lesson == "01":
    images, labels = gan_utils.load_mnist(); trainer = recipes.vanilla_gan(seed=0); labels = None
elif lesson == "02":
    images, labels = gan_utils.load_mnist(); trainer = recipes.conditional_gan(seed=0)
else:
    images = gan_utils.load_images(os.environ.get("GAN_DATASET", "cifar10"), image_size=32)  # as notebook 03
    labels, trainer = None, recipes.dcgan(seed=0)
trainer.train(images, labels, steps=20)  # warm up: PyTorch's first steps are slower
late = time.time() > start_at  # the k students must train at the same time: all start at start_at
time.sleep(max(0.0, start_at - time.time()))
start, before = time.perf_counter(), trainer.step
trainer.train(images, labels, minutes=seconds / 60)
print(trainer.precision, (trainer.step - before) / (time.perf_counter() - start), late)
"""


def sizing(seconds, combos, lessons=("01", "02", "03")):
    """Steps a second per student for each lesson with k students (processes) pinned to c cores, each with t
    PyTorch threads (``combos``: (k, c, t) triples)."""
    results = []
    for lesson in lessons:
        for k, c, t in combos:
            cores = ",".join(str(i) for i in range(c))
            load = load_average()
            start_at = time.time() + 30 + 20 * k  # time for k processes on c cores to load the data and warm up
            processes = [
                subprocess.Popen(
                    ["taskset", "-c", cores, sys.executable, "-c", SIZING_CHILD, lesson, str(seconds), str(start_at)],
                    stdout=subprocess.PIPE,
                    text=True,
                    env={**os.environ, "OMP_NUM_THREADS": str(t), "MKL_NUM_THREADS": str(t)},
                )
                for _ in range(k)
            ]
            rates, late = [], 0
            for process in processes:
                out, _ = process.communicate()
                if process.returncode:
                    raise RuntimeError(f"lesson {lesson}, k={k}, c={c}: the training process failed")
                precision, rate, was_late = out.strip().splitlines()[-1].split()
                rates.append(round(float(rate), 2))
                late += was_late == "True"
            result = {
                "lesson": lesson,
                "students": k,
                "cores": c,
                "threads": t,
                "precision": precision,
                "steps_per_second": rates,
                "late_starters": late,  # processes that started their measurement after the others: overlap not full
                "load_before": load,
                "load_after": load_average(),
            }
            print(json.dumps(result))
            results.append(result)
    return results


def default_minutes(lesson):
    """The lesson's default training budget, read from its notebook: os.environ.get("GAN_MINUTES", "2")."""
    notebook = nbformat.read(next((REPO / "notebooks").glob(f"{lesson}_*.ipynb")), as_version=4)
    sources = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return float(re.search(r'GAN_MINUTES", "([\d.]+)"', sources).group(1))


def sizing_table(results, class_size=30):
    """From the measured steps a second: what each lesson's default budget gives a student with k students on c
    cores (read off the shipped reference runs), and the cores a student needs to keep the lesson's promise."""
    from gan_utils.forecast import GOALS, reference_run, said, steps_to, value_at

    def mean(values):
        return sum(values) / len(values)

    lines = [
        "| lesson, budget | k students on c cores, threads each | steps/s per student (measured) | of a fair share "
        "| steps in the budget | quality there (reference run) | goal met | load average |",
        "|---|---|---|---|---|---|---|---|",
    ]
    needs = []
    for lesson in ("01", "02", "03"):
        rows = [r for r in results if r["lesson"] == lesson]
        alone = [r for r in rows if r["students"] == 1 and r["cores"] == 1 and r.get("threads", 1) == 1]
        if not alone:
            continue
        minutes, precision = default_minutes(lesson), rows[0]["precision"]
        run, goal = reference_run(lesson, precision), GOALS[lesson]
        one_core = mean(alone[0]["steps_per_second"])
        for r in rows:
            rate = mean(r["steps_per_second"])
            fair = one_core * min(1.0, r["cores"] / r["students"])  # k students on c cores: c/k of a core each
            steps = rate * 60 * minutes
            value = value_at(run, steps)
            met = value >= goal if run["higher_is_better"] else value <= goal
            load = (r["load_before"] + r["load_after"]) / 2
            lines.append(
                f"| {lesson}, {minutes:g} min | {r['students']} on {r['cores']}, {r.get('threads', 1)} | {rate:.1f} "
                f"| {rate / fair:.0%} | {steps:,.0f} | {said(run, value)} | {'yes' if met else 'no'} | {load:.1f} |"
            )
        needed = steps_to(run, goal)
        needs.append((lesson, minutes, needed, "measured here, under load", one_core))
        needs.append(
            (lesson, minutes, needed, f"the reference run ({run['precision']}, 1 thread)", run["steps_per_second"])
        )
    lines += [
        "",
        f"| lesson, budget | goal | steps the reference run needed | one student alone on one core: steps/s, from "
        f"| cores per student (derived) | {class_size} students at once |",
        "|---|---|---|---|---|---|",
    ]
    for lesson, minutes, needed, source, rate in needs:
        share = needed / (60 * minutes) / rate  # of one core: the steps the goal needs in the budget, at this rate
        if share <= 1:
            cores, total = f"{share:.2f}", f"{-(-class_size * share // 1):.0f} cores"
        else:  # one thread cannot do it in the budget: the minutes it needs at one core each
            cores = "1, and more minutes"
            total = f"{class_size} cores with GAN_MINUTES={math.ceil(needed / rate / 30) / 2:g}"  # whole half minutes
        lines.append(
            f"| {lesson}, {minutes:g} min | {GOALS[lesson]:g} | {needed:,} | {rate:.1f}: {source} | {cores} | {total} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[2, 5, 10, 20])
    parser.add_argument("--minutes", type=float, default=1.0, help="training budget of the real run (GAN_MINUTES)")
    parser.add_argument("--restart-with", type=int, default=5, help="restart the hub mid-training in this N's run")
    parser.add_argument("--sizing", action="store_true", help="measure steps a second for k students on c cores")
    parser.add_argument("--seconds", type=float, default=20, help="training time of each sizing measurement")
    parser.add_argument(
        "--combos", default="1x1,2x1,4x1,2x2,4x2,1x2t2", help="k students x c cores [t threads each], for --sizing"
    )
    parser.add_argument("--lessons", nargs="+", default=["01", "02", "03"], help="the lessons --sizing measures")
    parser.add_argument("--sizing-table", action="store_true", help="only print the table of the last --sizing")
    parser.add_argument("--data", default=os.environ.get("GAN_DATA_DIR") or str(REPO / "data"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.sizing:
        combos = [re.fullmatch(r"(\d+)x(\d+)(?:t(\d+))?", combo).groups() for combo in args.combos.split(",")]
        combos = [(int(k), int(c), int(t or 1)) for k, c, t in combos]
        results = sizing(args.seconds, combos, args.lessons)
        (OUT / "sizing.json").write_text(json.dumps(results, indent=1))
        print(sizing_table(results))
        return
    if args.sizing_table:
        print(sizing_table(json.loads((OUT / "sizing.json").read_text())))
        return
    records = []
    for n in args.students:
        records.append(class_of(n, args.minutes, n == args.restart_with, args.data))
        (OUT / "load.json").write_text(json.dumps(records, indent=1))  # kept as it goes: a long run
    print(summarise(records))
    failed = [
        (r["students"], x["error"]) for r in records for x in r.get("smoke", []) + r.get("real", []) if x.get("error")
    ]
    lost = [r["restart"]["files_lost"] for r in records if r.get("restart", {}).get("files_lost")]
    if failed or lost:
        sys.exit(f"FAILED: runs with errors {failed}; files lost in the restart {lost}")


if __name__ == "__main__":
    main()
