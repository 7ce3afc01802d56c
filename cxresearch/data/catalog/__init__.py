"""The touchpoint catalog: 19 touchpoints before, during and after the purchase.

Each entry (``touchpoints.yaml`` beside this module) brings a touchpoint's
label and stage, the experience to deliver, staff behaviours (do, don't, do
differently), resources and measures, from the source articles on CX. A
codebook may name a catalog touchpoint by its id alone and override any of it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=1)
def touchpoint_catalog() -> dict[str, dict[str, Any]]:
    """The default touchpoint library (``touchpoints.yaml`` beside this module) by id."""
    text = resources.files(__package__).joinpath("touchpoints.yaml").read_text("utf-8")
    return {tp["id"]: tp for tp in yaml.safe_load(text)["touchpoints"]}
