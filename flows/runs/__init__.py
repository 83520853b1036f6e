"""An evaluation run's life: its request, its plan, its lifecycle, its digest, its provenance."""
