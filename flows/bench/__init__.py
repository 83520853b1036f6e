"""What the `handsoff bench` commands run, where it outgrows its command."""
