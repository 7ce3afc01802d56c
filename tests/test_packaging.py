"""pyproject.toml and environment.yml list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _names(specs):
    """Package names of a dependency list (conda's ``pip:`` sub-list included)."""
    flat = [s for s in specs if isinstance(s, str)]
    flat += [p for s in specs if isinstance(s, dict) for p in s.get("pip", ())]
    return {re.split(r"[<>=\[ ]", s, maxsplit=1)[0].lower() for s in flat}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["dev"])
    conda = _names(yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"])
    assert wanted <= conda, wanted - conda
