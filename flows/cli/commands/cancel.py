"""`handsoff cancel ID`: stop a submitted (or scheduled) run through Prefect; its stored
edits are kept and `handsoff run --resume ID` completes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal, row_id

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.root.command("cancel")
    def cancel_command(
        run_id: Annotated[int, typer.Argument(parser=row_id, help="The run to cancel.")],
        wait_s: Annotated[
            float,
            typer.Option(
                "--wait", min=0, help="Seconds to wait for the worker to end the flow run."
            ),
        ] = 120.0,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Cancel a run's flow run through Prefect and mark the run cancelled."""
        from db.queries.runs import RunNotFound
        from flows.cli.database import open_database
        from flows.orchestration.cancel import CancelError, cancel_run

        engine = open_database(get_settings())
        try:
            cancellation = cancel_run(engine=engine, run_id=run_id, wait_s=wait_s)
        except (CancelError, RunNotFound) as error:
            fail(str(error))
        if as_json:
            emit_json(cancellation.as_dict())
            return
        prefect = (
            f" (flow run: {literal(cancellation.prefect_state)})"
            if cancellation.flow_run_id is not None
            else " (it had no flow run)"
        )
        console.print(f"run [bold]{run_id}[/] is {literal(cancellation.status)}{prefect}")
        if cancellation.status == "cancelled":
            console.print(
                f"its stored edits are kept: `handsoff run --resume {run_id}` "
                f"(or with --submit) completes it"
            )
        if cancellation.prefect_state not in (None, "Cancelled", "Completed", "Failed", "Crashed"):
            console.print(
                "Prefect has not confirmed the end of the flow run yet: is a worker of its "
                "pool running? (`handsoff runs` shows its state)"
            )
