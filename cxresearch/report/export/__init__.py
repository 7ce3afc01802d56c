"""What researchers hand over besides the web page: an Excel workbook, a slide
deck and a PDF of the report, all from the report's own results.

::

    results = deliverables("study.yaml", {"min_base": 50})
    write_workbook(results, "results.xlsx")
    write_deck(results, "board.pptx")
    write_pdf("reports/demo", "report.pdf")  # a rendered report folder
"""

from .deck import write_deck
from .pdf import find_chromium, write_pdf
from .results import Deliverables, deliverables, write_atomically
from .workbook import write_workbook

__all__ = [
    "Deliverables",
    "deliverables",
    "find_chromium",
    "write_atomically",
    "write_deck",
    "write_pdf",
    "write_workbook",
]
