"""The report's formats and the files each writes (``relc report --format``): the one entry point app.py calls."""

from __future__ import annotations

from enum import StrEnum

from compiler.render.output import RenderedFile
from compiler.report.facts import Report
from compiler.report.html import html_files
from compiler.report.jsonout import json_files
from compiler.report.markdown import markdown_files


class ReportFormat(StrEnum):
    HTML = "html"
    MARKDOWN = "markdown"
    JSON = "json"


def report_files(report: Report, fmt: ReportFormat) -> list[RenderedFile]:
    """index.html with instance/ and candidate/ pages, report.md, or report.json."""
    if fmt is ReportFormat.HTML:
        return html_files(report)
    if fmt is ReportFormat.MARKDOWN:
        return markdown_files(report)
    return json_files(report)
