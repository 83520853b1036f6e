"""`handsoff run`: create (or resume) an evaluation run, evaluate it, score it; or, with
`--submit`, hand it to a worker of the control pool and return at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from db.models import Setting
from flows.cli.common import (
    console,
    emit_json,
    fail,
    get_settings,
    literal,
    parse_assignment,
    row_id,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from flows.cli.app import CommandGroups
    from flows.orchestration.submit import Submission


def split_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def parse_weights(text: str | None) -> list[float]:
    weights = []
    for item in split_list(text):
        try:
            weights.append(float(item))
        except ValueError:
            fail(f"--weights: {item!r} is not a number")
    return weights


def parse_params(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """`METHOD.NAME=VALUE` pairs (VALUE as JSON when it parses, else a string)."""
    expected = "METHOD.NAME=VALUE, e.g. handsoff.weight=1.25"
    params: dict[str, dict[str, Any]] = {}
    for item in items or []:
        target, value = parse_assignment(item, option="--param", expected=expected)
        method, dot, name = target.partition(".")
        if not dot or not method or not name:
            fail(f"--param {item!r}: expected {expected}")
        params.setdefault(method, {})[name] = value
    return params


def run_and_report(
    engine: Engine,
    run_id: int,
    *,
    shards: int,
    dispatch: str,
    batch_size: int,
    use_sweeps: bool,
    score_edits: bool,
    device: str | None,
    as_json: bool,
) -> dict[str, Any]:
    """Evaluate (and score) run `run_id` through Prefect with a progress bar; print the digest."""
    from flows.orchestration.pipeline import evaluation_pipeline
    from flows.runs.digest import digest_table, run_digest
    from flows.runs.progress import with_run_progress

    def work() -> dict[str, Any]:
        result: dict[str, Any] = evaluation_pipeline(
            run_id=run_id,
            shards=shards,
            dispatch=dispatch,
            batch_size=batch_size,
            use_sweeps=use_sweeps,
            score_edits=score_edits,
            device=device,
        )
        return result

    from db.engine import check_same_database, database_identity
    from flows.cli.errors import explain

    # A run whose database vanished under it (file deleted, URL now elsewhere) must not
    # end in "completed": everything it wrote is gone. Checked after the work, either way.
    identity = database_identity(engine)
    try:
        result = with_run_progress(engine, run_id, work, console=console, disable=as_json)
    except Exception as error:
        check_same_database(engine, identity)
        if explain(error, where=engine.url.render_as_string(hide_password=True)) is not None:
            raise  # a known failure: the CLI's error boundary words it (flows/cli/errors.py)
        fail(
            f"run {run_id} stopped: {type(error).__name__}: {error}\n"
            f"  finished edits are kept; `handsoff run --resume {run_id}` continues it"
        )
    check_same_database(engine, identity)
    digest = run_digest(engine, run_id)
    if not as_json:
        console.print(digest_table(digest))
    return {"run_id": run_id, **digest.as_dict(), "shards": result["evaluation"].get("shards")}


def print_submission(submission: Submission) -> None:
    from datetime import UTC, datetime, timedelta

    state = submission.flow_run
    when = ""
    if state.state_type == "SCHEDULED" and state.scheduled_time is not None:
        later = state.scheduled_time > datetime.now(UTC) + timedelta(seconds=2)
        when = (
            f" for {state.scheduled_time.astimezone():%Y-%m-%d %H:%M:%S %Z}"
            if later
            else " (starts when a worker is free)"
        )
    if submission.reused:
        console.print(
            f"run [bold]{submission.run_id}[/] is already {literal(state.state)}{literal(when)} "
            f"as flow run {literal(state.name)}: nothing new submitted (`--force` submits "
            "another)"
        )
    else:
        console.print(
            f"run [bold]{submission.run_id}[/] submitted to {literal(submission.deployment)}: "
            f"{literal(state.state)}{literal(when)}"
        )
    console.print(f"flow run: {literal(submission.url or state.flow_run_id)}")
    console.print(
        f"next: `handsoff runs`, `handsoff cancel {submission.run_id}`, "
        f"`handsoff report --run {submission.run_id}` once it has completed"
    )


def register(groups: CommandGroups) -> None:
    @groups.root.command("run")
    def run_command(
        dataset: Annotated[
            str | None, typer.Option("--dataset", help="Dataset name (see `handsoff data list`).")
        ] = None,
        methods: Annotated[
            str,
            typer.Option("--methods", help="Comma-separated methods; the oracles are added."),
        ] = "handsoff,instruct-pix2pix",
        profile: Annotated[
            str | None, typer.Option("--profile", help="Model profile (default: settings).")
        ] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="First N samples.")] = None,
        samples: Annotated[
            str | None, typer.Option("--samples", help="Comma-separated sample ids.")
        ] = None,
        weights: Annotated[
            str | None, typer.Option("--weights", help="Edit-weight sweep, e.g. 0.75,1.0.")
        ] = None,
        seed: Annotated[int, typer.Option("--seed")] = 0,
        setting: Annotated[
            str, typer.Option("--setting", help="single-turn or multi-turn.")
        ] = Setting.SINGLE_TURN.value,
        param: Annotated[
            list[str] | None,
            typer.Option("--param", help="METHOD.NAME=VALUE, repeatable."),
        ] = None,
        resume: Annotated[
            int | None,
            typer.Option("--resume", parser=row_id, help="Continue run ID (only what is missing)."),
        ] = None,
        shards: Annotated[int, typer.Option("--shards", min=1)] = 1,
        dispatch: Annotated[
            str,
            typer.Option("--dispatch", help="local, or deployment (shards to the gpu pool)."),
        ] = "local",
        batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 4,
        no_sweep: Annotated[
            bool, typer.Option("--no-sweep", help="Edit each weight separately.")
        ] = False,
        no_score: Annotated[bool, typer.Option("--no-score", help="Skip the metrics.")] = False,
        device: Annotated[str | None, typer.Option("--device")] = None,
        submit: Annotated[
            bool,
            typer.Option(
                "--submit", help="Hand the run to a worker of the control pool; return at once."
            ),
        ] = False,
        at: Annotated[
            str | None,
            typer.Option("--at", help="With --submit: start at TIME (ISO 8601; local if no zone)."),
        ] = None,
        delay: Annotated[
            str | None, typer.Option("--in", help="With --submit: start after 45s, 30m, 2h ...")
        ] = None,
        force: Annotated[
            bool,
            typer.Option("--force", help="With --submit: submit even if the same run is queued."),
        ] = False,
        deployment: Annotated[
            str, typer.Option("--deployment", help="With --submit: the pipeline deployment.")
        ] = "evaluation-pipeline/control",
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        verbose: Annotated[bool, typer.Option("--verbose", help="Show Prefect's logs.")] = False,
    ) -> None:
        """Evaluate methods on a dataset (through Prefect), then score the edits."""
        from flows.orchestration.server import quiet_prefect_console

        quiet_prefect_console(verbose)
        from db.engine import session_scope
        from db.queries.runs import RunNotFound, get_run
        from flows.cli.database import open_database
        from flows.orchestration.start_time import StartTimeError, start_time
        from flows.orchestration.submit import SubmitError, submit_run
        from flows.runs.request import RunRequest, RunRequestError, create_run
        from handsoff_core.errors import ConfigError

        if dispatch not in ("local", "deployment"):
            fail(f"--dispatch {dispatch!r}: use local or deployment")
        if not submit and (at is not None or delay is not None or force):
            fail("--at, --in and --force go with --submit")
        try:
            start_at = start_time(at=at, delay=delay) if submit else None
        except StartTimeError as error:
            fail(str(error))
        settings = get_settings()
        engine = open_database(settings)
        if resume is not None:
            if dataset is not None:
                fail("--resume continues an existing run: leave out --dataset")
            try:
                with session_scope(engine) as session:
                    get_run(session=session, run_id=resume)
            except RunNotFound as error:
                fail(str(error))
            run_id = resume
            request = None
        else:
            if dataset is None:
                fail("--dataset is required (or --resume RUN_ID)")
            request = RunRequest(
                dataset=dataset,
                methods=split_list(methods),
                profile=profile or settings.profile,
                seed=seed,
                setting=setting,
                limit=limit,
                sample_ids=split_list(samples),
                weights=parse_weights(weights),
                params=parse_params(param),
            )
        if submit:
            try:
                submission = submit_run(
                    engine=engine,
                    request=request,
                    run_id=resume,
                    start_at=start_at,
                    force=force,
                    deployment=deployment,
                    parameters={
                        "shards": shards,
                        "dispatch": dispatch,
                        "batch_size": batch_size,
                        "use_sweeps": not no_sweep,
                        "score_edits": not no_score,
                        "device": device,
                    },
                    profiles_file=settings.profiles_file,
                )
            except (SubmitError, RunRequestError, ConfigError, RunNotFound) as error:
                fail(str(error))
            if as_json:
                emit_json(submission.as_dict())
            else:
                print_submission(submission)
            return
        if request is not None:
            try:
                run_id = create_run(
                    engine=engine, request=request, profiles_file=settings.profiles_file
                )
            except (RunRequestError, ConfigError) as error:
                fail(str(error))
        if not as_json:
            console.print(f"run [bold]{run_id}[/] on {literal(settings.redacted_url())}")
        payload = run_and_report(
            engine,
            run_id,
            shards=shards,
            dispatch=dispatch,
            batch_size=batch_size,
            use_sweeps=not no_sweep,
            score_edits=not no_score,
            device=device,
            as_json=as_json,
        )
        if as_json:
            emit_json(payload)
        else:
            console.print(
                f"next: `handsoff runs`, `handsoff report --run {run_id}`, "
                f"`handsoff study create --run {run_id}`"
            )
        if payload["status"] != "completed":
            raise typer.Exit(3)
