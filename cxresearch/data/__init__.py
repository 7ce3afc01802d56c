"""Files to a :class:`Study`: the codebook, its parser, readers, checks and the
data-quality record. This layer knows no analysis; it imports nothing of
cxresearch but :mod:`cxresearch.errors`.

``load_study(path)`` is the entry point: it reads ``study.yaml``
(:meth:`Codebook.from_yaml`), reads the data files (:mod:`.readers`), checks and
types them (:mod:`.checks`) and returns a :class:`Study` with its
:class:`DataQuality` record. Data files are read only from inside the study
folder, or from folders the user allows (``data_dirs=`` or the
``CXRESEARCH_DATA_DIRS`` environment variable, :data:`DATA_DIRS_VARIABLE`).
"""

from .catalog import touchpoint_catalog
from .codebook import (
    STAGES,
    BinaryItem,
    Codebook,
    Operational,
    Scale,
    ScaleItem,
    TextField,
    Touchpoint,
)
from .quality import DataQuality
from .readers import NA_LIKE, RawTable, read_table
from .study import DATA_DIRS_VARIABLE, Study, load_study

__all__ = [
    "DATA_DIRS_VARIABLE",
    "NA_LIKE",
    "STAGES",
    "BinaryItem",
    "Codebook",
    "DataQuality",
    "Operational",
    "RawTable",
    "Scale",
    "ScaleItem",
    "Study",
    "TextField",
    "Touchpoint",
    "load_study",
    "read_table",
    "touchpoint_catalog",
]
