"""Where a study's randomness comes from: which samples it uses, each annotator's order,
which side shows which option, and where gold items fall.

A study made without `--seed` draws a secret with `secrets` at creation and keeps it only
in `study.blinding_secret` (never shown on a page, printed or exported). Every random
choice is a `random.Random` seeded from HMAC-SHA256 of that secret over what the choice is
for (the study id and annotator id included), so nothing an annotator can see or know
(their name, position, the item count, the study id, the command line) predicts it, and
two studies made with identical arguments differ.

A study made with an explicit seed (tests, worked examples) keeps the seeded derivation:
reproducible, and therefore predictable to whoever knows the seed.

Either way the outcome is stored (`Assignment.position`, `Assignment.swap_sides`,
`StudyOption.position`), so a study is reproduced from the database, never re-derived.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets

from db.models import Annotator, Study

# 32 random bytes, stored as 64 hex characters (`study.blinding_secret` is String(64)).
SECRET_BYTES = 32


def new_blinding_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def _keyed_rng(secret: str, purpose: str) -> random.Random:
    digest = hmac.new(bytes.fromhex(secret), purpose.encode("utf-8"), hashlib.sha256).digest()
    return random.Random(int.from_bytes(digest, "big"))


def selection_rng(*, secret: str | None, seed: int) -> random.Random:
    """The study-wide source: which samples become items and gold items, the gold
    options' stored order, and the round robin that spreads items over annotators."""
    if secret is None:
        return random.Random(seed)
    # The secret is the study's own, so it needs no study id (the row does not exist yet).
    return _keyed_rng(secret, "selection")


def annotator_rng(*, study: Study, annotator: Annotator) -> random.Random:
    """The source of one annotator's order and sides (and, for an annotator added later,
    the tie-break among equally covered items)."""
    if study.blinding_secret is None:
        # The seeded derivation: reproducible from the seed and the annotator's name.
        return random.Random(f"{study.seed}/{annotator.name}")
    return _keyed_rng(study.blinding_secret, f"{study.id}/{annotator.id}/assignment")
