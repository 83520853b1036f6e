"""`handsoff models make-tiny`, `handsoff models check`, `handsoff models list`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups

# Exit status of `models check` when some model is missing (1 is "could not check").
EXIT_SOME_MISSING = 3


def register(groups: CommandGroups) -> None:
    models = groups.models

    @models.command("make-tiny")
    def make_tiny(
        directory: Annotated[
            Path | None,
            typer.Argument(help="Where to build; default: the settings' models_dir."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Build every tiny model (random weights) offline; already built ones are kept."""
        import time

        from handsoff_core.models.tiny.build import build_tiny_models

        settings = get_settings()
        target = directory if directory is not None else settings.models_dir
        assert target is not None
        start = time.perf_counter()
        built = build_tiny_models(target)
        seconds = time.perf_counter() - start
        payload = {
            "models_dir": str(target),
            "seconds": round(seconds, 2),
            "models": {
                name: {"path": str(value)} if isinstance(value, Path) else {"error": str(value)}
                for name, value in built.items()
            },
        }
        failed = [name for name, value in built.items() if not isinstance(value, Path)]
        if as_json:
            emit_json(payload)
        else:
            for name, value in built.items():
                state = str(value) if isinstance(value, Path) else f"[red]failed[/]: {value}"
                console.print(f"{literal(name):>18}  {literal(state)}")
            console.print(f"tiny models ready in {seconds:.1f} s under {literal(target)}")
        if failed:
            raise typer.Exit(EXIT_SOME_MISSING)

    @models.command("check")
    def check(
        profile: Annotated[
            str | None, typer.Option("--profile", help="Profile name; default from settings.")
        ] = None,
        build: Annotated[
            bool, typer.Option("--build/--no-build", help="Build missing tiny models first.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Say, role by role, which models of a profile are present and which are missing."""
        from handsoff_core.errors import ConfigError
        from handsoff_core.models.availability import check_profile
        from handsoff_core.models.profiles import get_profile

        settings = get_settings()
        name = profile or settings.profile
        assert settings.models_dir is not None
        try:
            resolved = get_profile(
                name,
                profiles_file=settings.profiles_file,
                models_dir=settings.models_dir,
                build=build,
            )
        except ConfigError as exc:
            fail(str(exc))
        statuses = check_profile(resolved)
        missing = [status.role for status in statuses if not status.present]
        if as_json:
            emit_json(
                {
                    "profile": name,
                    "random_weights": resolved.random_weights,
                    "ok": not missing,
                    "missing": missing,
                    "roles": [status.as_dict() for status in statuses],
                }
            )
        else:
            for status in statuses:
                mark = "[green]present[/]" if status.present else "[red]missing[/]"
                console.print(
                    f"{literal(status.role):>18}  {mark}  {literal(status.reference)}  "
                    f"({literal(status.detail)})"
                )
            verdict = "all present" if not missing else f"missing: {literal(', '.join(missing))}"
            console.print(f"profile [bold]{literal(name)}[/]: {verdict}")
        if missing:
            raise typer.Exit(EXIT_SOME_MISSING)

    @models.command("list")
    def list_profiles(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List the profiles (built-in and from the settings' profiles file)."""
        from handsoff_core.errors import ConfigError
        from handsoff_core.models.profiles import parse_profile, profile_names

        settings = get_settings()
        try:
            profiles = [
                parse_profile(name, profiles_file=settings.profiles_file)
                for name in profile_names(settings.profiles_file)
            ]
        except ConfigError as exc:
            fail(str(exc))
        if as_json:
            emit_json(
                [
                    {
                        "name": p.name,
                        "description": p.description,
                        "random_weights": p.random_weights,
                        "models": p.roles(),
                    }
                    for p in profiles
                ]
            )
        else:
            for p in profiles:
                console.print(f"[bold]{literal(p.name)}[/]: {literal(p.description)}")
