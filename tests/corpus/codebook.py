"""Corpus cases: codebook."""

from __future__ import annotations

from . import case, write  # noqa: F401
