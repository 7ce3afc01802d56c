"""A third-party module imported on first use, so ``import cxresearch`` stays quick.

Each of the report's chapter kernels imports cxresearch; libraries only some
analyses need (scipy.stats, scikit-learn, matplotlib, seaborn) load when one
of them first touches the module: ``_st = LazyModule("scipy.stats")`` then
``_st.wilcoxon(...)``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType


class LazyModule:
    """A stand-in for a module, importing it at the first attribute asked for."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str):
        module = self._module
        if module is None:  # the first use (later lookups skip the import machinery)
            module = self._module = import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"
