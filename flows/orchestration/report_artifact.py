"""The report as a Prefect markdown artifact of the current flow run (when there is one)."""

from __future__ import annotations

import logging

from flows.report.model import Report
from flows.report.render import render_markdown

logger = logging.getLogger(__name__)


def in_flow_run() -> bool:
    from prefect.context import FlowRunContext

    return FlowRunContext.get() is not None


def publish_artifact(report: Report, *, key: str) -> str | None:
    """Attach the report's Markdown to the running flow as artifact `key` (lowercase
    letters, digits and dashes); outside a flow run do nothing and return None."""
    if not in_flow_run():
        return None
    from prefect.artifacts import create_markdown_artifact

    artifact_id = create_markdown_artifact(
        key=key, markdown=render_markdown(report), description=report.title
    )
    logger.info("report published as Prefect artifact %s", key)
    return str(artifact_id)
