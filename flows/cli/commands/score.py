"""`handsoff score --run ID`: metrics for the run's edits that lack them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings, row_id

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.root.command("score")
    def score_command(
        run: Annotated[
            int, typer.Option("--run", parser=row_id, help="Run id (see `handsoff runs`).")
        ],
        metrics: Annotated[
            str | None, typer.Option("--metrics", help="Comma-separated; default: all.")
        ] = None,
        batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 16,
        device: Annotated[str | None, typer.Option("--device")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        verbose: Annotated[bool, typer.Option("--verbose", help="Show Prefect's logs.")] = False,
    ) -> None:
        """Score the done edits of a run (through Prefect); existing values are kept."""
        from flows.orchestration.server import quiet_prefect_console

        quiet_prefect_console(verbose)
        from db.engine import check_same_database, database_identity, session_scope
        from db.queries.runs import RunNotFound, get_run
        from flows.cli.commands.run import split_list
        from flows.cli.database import open_database
        from flows.cli.errors import explain
        from flows.runs.digest import digest_table, run_digest
        from handsoff_core.metrics import ALL_METRICS

        chosen = split_list(metrics) or None
        unknown = sorted(set(chosen or []) - set(ALL_METRICS))
        if unknown:
            fail(f"unknown metric(s) {unknown}; known: {', '.join(ALL_METRICS)}")
        engine = open_database(get_settings())
        try:
            with session_scope(engine) as session:
                get_run(session=session, run_id=run)
        except RunNotFound as error:
            fail(str(error))
        from flows.orchestration.score import score

        with console.status(f"scoring run {run}", spinner="dots") if not as_json else _nothing():
            identity = database_identity(engine)
            try:
                report = score(run, metrics=chosen, batch_size=batch_size, device=device)
            except Exception as error:
                check_same_database(engine, identity)
                if explain(error, where=engine.url.render_as_string(hide_password=True)):
                    raise  # a known failure: the CLI's error boundary words it
                fail(f"scoring run {run} stopped: {type(error).__name__}: {error}")
            check_same_database(engine, identity)
        digest = run_digest(engine, run)
        if as_json:
            emit_json({"score": report, **digest.as_dict()})
            return
        console.print(
            f"run {run}: {report['scored']} edits scored, {report['already_scored']} already "
            f"scored, {report['failed']} refused"
        )
        console.print(digest_table(digest))


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None
