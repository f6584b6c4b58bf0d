"""Declared dependencies: what the code imports is declared in pyproject.toml, and locked in constraints.txt.

The package (gan_utils/) may import only its own `dependencies`; the notebooks, tests, benchmarks and tools may
also import the optional extras. constraints.txt pins every installed distribution at the version the tests ran
with, so that a fresh install next year gets the same numpy and Pillow.
"""

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
# The project's declared requirements, as installed from pyproject.toml (make reinstalls it when that file changes):
# ['torch==2.14.1', ..., 'jupyterlab>=4.2; extra == "notebooks"', ...]
REQUIRES = importlib.metadata.requires("gan-utils")
# The repository's own packages, and the class hub's modules (class-server/*.py, which its tests import by path).
LOCAL = {"gan_utils", "bench", "tools"} | {p.stem for p in (ROOT / "class-server").glob("*.py")}


def distribution_name(requirement):
    """'torch==2.14.1' -> 'torch'; 'jupyterhub-idle-culler>=1' -> 'jupyterhub-idle-culler'."""
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def extra_of(requirement):
    """'jupyterlab>=4.2; extra == "notebooks"' -> 'notebooks'; 'torch==2.14.1' -> None (always needed)."""
    match = re.search(r'extra == "([^"]+)"', requirement)
    return match.group(1) if match else None


EXTRAS = sorted({extra_of(r) for r in REQUIRES} - {None})


def declared(*extras):
    """The distributions the package always needs, with those of the given extras."""
    return {distribution_name(r) for r in REQUIRES if extra_of(r) in {None, *extras}}


def top_level_imports(source):
    """The top-level module names a piece of Python source imports (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def third_party_imports(paths):
    """{module: first file importing it} for the imports that are neither the standard library nor local code."""
    found = {}
    for path in paths:
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            # Notebook cells may use IPython's magics (%matplotlib): drop those lines before parsing.
            source = "\n".join(
                "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
                for cell in cells
                if cell.cell_type == "code"
            )
        else:
            source = path.read_text()
        for name in top_level_imports(source):
            local = name in LOCAL or (path.parent / f"{name}.py").exists() or (path.parent / name).is_dir()
            if name not in sys.stdlib_module_names and not local:
                found.setdefault(name, path.relative_to(ROOT))
    return found


def undeclared(paths, allowed):
    """The imports of ``paths`` whose distribution is not among ``allowed``, as readable lines."""
    providers = importlib.metadata.packages_distributions()  # import name -> the distributions that provide it
    missing = []
    for module, where in sorted(third_party_imports(paths).items()):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists:
            missing.append(f"{where} imports {module}, which no installed distribution provides")
        elif not dists & allowed:
            missing.append(f"{where} imports {module} (from {', '.join(sorted(dists))}), not declared")
    return missing


def python_files(*folders):
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py")) if ".venv" not in p.parts]


def test_the_package_imports_only_its_own_dependencies():
    missing = undeclared(python_files("gan_utils"), declared())
    assert not missing, "add these to [project].dependencies in pyproject.toml:\n" + "\n".join(missing)


def test_notebooks_tests_benchmarks_and_tools_import_only_declared_extras():
    paths = python_files("tests", "bench", "tools") + sorted((ROOT / "notebooks").rglob("*.ipynb"))
    missing = undeclared(paths, declared(*EXTRAS))
    assert not missing, "add these to an extra in pyproject.toml:\n" + "\n".join(missing)


def locked():
    """{distribution: version} from constraints.txt."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[distribution_name(name)] = version.strip()
    return pins


def test_every_declared_distribution_is_locked():
    unlocked = sorted(declared(*EXTRAS) - set(locked()))
    assert not unlocked, f"not pinned in constraints.txt (regenerate it: see its first lines): {unlocked}"


def test_requirements_installs_the_project_with_its_extras_under_the_lock():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert "-c constraints.txt" in lines, "requirements.txt must apply the lock: -c constraints.txt"
    project = [line for line in lines if line.startswith("-e .")]
    assert project, "requirements.txt must install the project itself: -e .[...]"
    named = set(re.search(r"\[(.*)\]", project[0]).group(1).split(","))
    assert named == set(EXTRAS), "requirements.txt must name every extra"


@pytest.mark.parametrize("name", ["torch", "torchvision", "numpy", "pillow", "matplotlib"])
def test_this_environment_has_the_locked_versions(name):
    installed = importlib.metadata.version(name).split("+")[0]
    assert installed == locked()[name], (
        f"{name} {installed} is installed but constraints.txt locks {locked()[name]}: "
        "rebuild the environment with `make clean && make`"
    )
