"""The benchmark scripts start, make one small measurement each and write their results file.

They are not benchmarks here: nothing is timed or compared, only that each script runs end to end
(the real runs take minutes and are recorded in docs/benchmarks.md).
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gan_utils.training import GANTrainer, frozen, has_fast_bfloat16

REPO = Path(__file__).resolve().parents[1]

SMOKE_RUNS = {
    "time_to_legible": ["--budget", "1", "--every", "1"],
    "throughput": ["--seconds", "0.2", "--rounds", "1", "--models", "02 cGAN", "--matmul", "256"],
    "notebooks": ["--notebooks", "01", "--renders", "3"],
}


@pytest.mark.parametrize("script", SMOKE_RUNS)
def test_bench_script_runs_one_measurement(script, tmp_path, data_dir_env):
    docs = tmp_path / "benchmarks.md"
    result = subprocess.run(
        [sys.executable, f"bench/{script}.py", *SMOKE_RUNS[script], "--docs", str(docs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "|---" in result.stdout  # it printed its table
    written = docs.read_text()
    assert f"<!-- begin {script} -->" in written and f"<!-- end {script} -->" in written
    assert "Machine: nproc" in written and f"bench/{script}.py" in written


def load_common():
    spec = importlib.util.spec_from_file_location("bench_common", REPO / "bench" / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_results_replace_only_their_own_section(tmp_path):
    common = load_common()
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nWhat we tried: notes written by hand.\n")
    common.write_results("a", "first A", docs)
    common.write_results("b", "only B", docs)
    common.write_results("a", "second A", docs)
    text = docs.read_text()
    assert "notes written by hand" in text and "only B" in text and "second A" in text
    assert "first A" not in text and text.count("<!-- begin a -->") == 1


def test_frozen_network_gets_no_gradient_and_is_unfrozen_after_an_error():
    net = torch.nn.Linear(3, 1)
    x = torch.randn(4, 3, requires_grad=True)
    with frozen(net):
        net(x).sum().backward()
    assert net.weight.grad is None and x.grad is not None  # gradients flow through, not into, the net
    with pytest.raises(RuntimeError), frozen(net):
        raise RuntimeError("a failed update")
    assert all(p.requires_grad for p in net.parameters())


def test_bfloat16_only_where_asked_or_fast():
    assert not has_fast_bfloat16(torch.device("cuda"))
    G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    assert GANTrainer(G, D, device="cpu", bfloat16=False).bfloat16 is False
    assert GANTrainer(G, D, device="cpu", bfloat16=True).bfloat16 is True
    assert GANTrainer(G, D, device="cpu").bfloat16 == has_fast_bfloat16(torch.device("cpu"))
