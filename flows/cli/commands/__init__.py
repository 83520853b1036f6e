"""Command modules of the `handsoff` CLI; each defines `register(groups)`.

`COMMAND_MODULES` is the list `flows.cli.app` registers, in help order: the place to look
for where a command is defined (tests/cli/test_command_list.py checks that it names every
module of this folder)."""

COMMAND_MODULES: tuple[str, ...] = (
    # evaluation: data in, runs, metrics, reports
    "data_import",  # handsoff data import | list
    "data_synthetic",  # handsoff data synthetic
    "run",  # handsoff run
    "runs",  # handsoff runs
    "cancel",  # handsoff cancel
    "score",  # handsoff score
    "score_images",  # handsoff score-images
    "report",  # handsoff report
    "export",  # handsoff export images
    "edit",  # handsoff edit (one image, no database)
    # the human study
    "study",  # handsoff study create | add-annotator | list | revoke | app
    "study_changes",  # handsoff study guidelines | reissue-link | close
    # operations
    "db_commands",  # handsoff db upgrade | downgrade | current
    "models",  # handsoff models make-tiny | check
    "deploy",  # handsoff deploy
    "demo",  # handsoff demo
    # benchmarks that print figures
    "bench_edit",
    "bench_flow",
    "bench_import",
    "bench_metrics",
    "bench_report",
    "bench_app",
)
