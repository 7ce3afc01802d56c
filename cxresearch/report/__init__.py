"""Reports: chapter notebooks run by papermill, exported by nbconvert, and the
manager's index page, written atomically into a self-contained folder."""

from .chapter import ChapterSettings, OpenChapter, open_chapter
from .export import deliverables, write_deck, write_pdf, write_workbook
from .notebooks import chapters_folder
from .render import render_report

__all__ = [
    "ChapterSettings",
    "OpenChapter",
    "chapters_folder",
    "deliverables",
    "open_chapter",
    "render_report",
    "write_deck",
    "write_pdf",
    "write_workbook",
]
