"""What every door (page, command, scheduler) calls to make a report: the data read, the builder
run, the file written. Nothing here commits."""
from datetime import date
from pathlib import Path
from typing import BinaryIO, Union

from flask import current_app

from rectify.models import Batch
from rectify.reports.report import ReportData, build_report, report_data
from rectify.tracking.counts import long_term_closes


def org_name() -> str:
    return current_app.config["RECTIFY_ORG_NAME"].strip()


def template():
    """The office's own layout, if an administrator put one in the instance folder."""
    from rectify.reports.word import template_path  # python-docx: loaded when a document is made

    return template_path(current_app.instance_path)


def write_report(batch: Batch, out: Union[str, Path, BinaryIO], as_of: date) -> ReportData:
    """The 整改情况报告 of ``batch`` as of ``as_of``, written to ``out`` (.docx); its data returned."""
    data = report_data(batch, as_of, org_name(), long_term_closes())
    build_report(data, out, template())
    return data
