"""class-server/z2jh-values.yaml is valid for the Zero to JupyterHub chart it names (4.4.0).

Helm checks a release's values before it renders the chart: the chart's defaults (its values.yaml) with the user's
values over them, against the chart's values.schema.json, which allows no key the chart does not know. Both files
of chart 4.4.0 are vendored in class-server/z2jh-chart/ (their first lines say where they come from); this test
merges and validates as Helm does, so a misspelt option fails here instead of at `helm upgrade` on the cluster.
"""

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

CLASS_SERVER = Path(__file__).resolve().parent.parent / "class-server"
CHART = CLASS_SERVER / "z2jh-chart"
CHART_VERSION = "4.4.0"


def coalesce(defaults, values):
    """Helm's merge of a chart's defaults with a user's values: maps merge key by key, the user's value wins
    otherwise (a list replaces the default list), and a user's null removes the key."""
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def problems(values):
    """The schema's complaints about ``values`` over the chart's defaults, as 'path: message' lines."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    release = coalesce(yaml.safe_load((CHART / "values.yaml").read_text()), values)
    validator = jsonschema.Draft7Validator(schema)
    return ["/".join(map(str, e.absolute_path)) + ": " + e.message for e in validator.iter_errors(release)]


@pytest.fixture
def values():
    return yaml.safe_load((CLASS_SERVER / "z2jh-values.yaml").read_text())


def test_the_vendored_chart_files_are_the_version_the_values_name():
    assert CHART_VERSION in json.loads((CHART / "values.schema.json").read_text())["$comment"]
    assert f"version {CHART_VERSION}" in (CHART / "values.yaml").read_text().splitlines()[0]
    assert f"--version {CHART_VERSION}" in (CLASS_SERVER / "z2jh-values.yaml").read_text()


def test_the_class_values_are_valid_for_the_chart(values):
    assert problems(values) == []
    assert problems({}) == []  # the chart's own defaults pass: the merge is right


@pytest.mark.parametrize(
    "path, typo",
    [
        (["singleuser", "defaultUrl"], "defaultURL"),
        (["singleuser", "cpu", "guarantee"], "guarentee"),
        (["cull", "timeout"], "timout"),
        (["scheduling"], "schedulling"),
    ],
)
def test_a_misspelt_key_fails(values, path, typo):
    parent = values
    for key in path[:-1]:
        parent = parent[key]
    parent[typo] = parent.pop(path[-1])
    found = problems(values)
    assert len(found) == 1 and re.search(rf"\b{typo}\b", found[0]), found
    assert "Additional properties are not allowed" in found[0]


def test_a_value_of_the_wrong_type_fails(values):
    values["singleuser"]["cpu"]["limit"] = "one core"
    assert problems(values) == ["singleuser/cpu/limit: 'one core' is not of type 'number', 'null'"]
