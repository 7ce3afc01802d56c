"""Corpus cases: data_values."""

from __future__ import annotations

from . import case, write  # noqa: F401
