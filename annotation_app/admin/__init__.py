"""The parts of the administrator's page (`screens/admin.py` routes between them): sign-in and
its throttle, the study overview, the per-item view and the annotator flags. Unblinded:
nothing here is ever used by the annotator's page."""
