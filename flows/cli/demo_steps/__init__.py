"""Extra steps of `handsoff demo`, one module each, discovered by name.

A module here exposes `run(context: DemoContext) -> None` and, optionally, `ORDER: int`
(default 100; lower runs first, ties by module name). See `flows.cli.commands.demo`.
"""
