"""A study answered to plan, through the same queries the annotator page uses: every item
goes to every annotator; some items stay open, some are reopened after submitting, some
annotators are revoked at the end."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from db.engine import session_scope
from db.models import Assignment, StudyItem, StudyOption
from db.queries.study import Verdict
from db.queries.study_annotators import AnnotatorAccess, authenticate, revoke_annotator
from db.queries.study_answers import (
    SubmitOutcome,
    record_judgment,
    record_preference,
    reopen_item,
    submit_item,
)
from db.queries.study_create import create_study
from db.queries.study_history import ReopenOutcome
from tests.study.world import METHODS, build_world

HANDSOFF, IP2P = METHODS
Y, N, C = Verdict.ACCEPTABLE, Verdict.NOT_ACCEPTABLE, Verdict.CANT_JUDGE
REASON = "too dark"  # every can't judge's reason


@dataclass(frozen=True)
class Plan:
    answers: dict[str, list[tuple[Verdict, Verdict]]]  # annotator -> (handsoff, ip2p) per item
    open: frozenset[tuple[str, int]]  # (annotator, item index) answered, never submitted
    reopened: frozenset[tuple[str, int]]  # submitted, then reopened, not submitted again
    gold_answered: frozenset[str]  # annotators who answer the gold item (rightly)
    revoked: frozenset[str]  # revoked after answering


@dataclass
class AnsweredStudy:
    id: int
    items: list[int]  # regular item ids, i0..i4
    option_of: dict[tuple[int, str], int]  # (item index, method) -> option id


def answer_study(engine: Engine, plan: Plan) -> AnsweredStudy:
    """Build a world of `len(plan.answers[...])` samples and answer its study as planned."""
    items_wanted = len(next(iter(plan.answers.values())))
    world = build_world(engine, samples=items_wanted)
    with session_scope(engine) as session:
        created = create_study(
            session=session,
            run_id=world.run_id,
            methods=METHODS,
            annotators=list(plan.answers),
            overlap=len(plan.answers),
            gold=1,
            name="consistency",
        )
        ids = {}
        for annotator in created.annotators:
            access = authenticate(session=session, token=annotator.token)
            assert isinstance(access, AnnotatorAccess)
            ids[annotator.name] = access.annotator_id
        study_id = created.study_id
        items = list(
            session.scalars(
                select(StudyItem.id)
                .where(StudyItem.study_id == study_id, StudyItem.is_gold.is_(False))
                .order_by(StudyItem.id)
            )
        )
        gold_item = session.scalar(
            select(StudyItem.id).where(StudyItem.study_id == study_id, StudyItem.is_gold)
        )
        configs = {world.config_ids[m]: m for m in METHODS}
        options = session.execute(
            select(
                StudyOption.id,
                StudyOption.item_id,
                StudyOption.position,
                StudyOption.method_config_id,
                StudyOption.gold_role,
            )
            .join(StudyItem, StudyItem.id == StudyOption.item_id)
            .where(StudyItem.study_id == study_id)
        ).all()
        places = {
            (a.annotator_id, a.item_id): (a.position, a.swap_sides)
            for a in session.scalars(select(Assignment))
        }
    assert len(items) == items_wanted and gold_item is not None

    def side(name: str, item_id: int, position: int) -> str:
        swap = places[(ids[name], item_id)][1]
        return "AB"[position ^ int(swap)]

    def answer(name: str, item_id: int, verdicts: dict[int, Verdict], submit: bool) -> None:
        place = places[(ids[name], item_id)][0]
        with session_scope(engine) as session:
            for option_position, verdict in verdicts.items():
                assert record_judgment(
                    session=session, annotator_id=ids[name], position=place,
                    side=side(name, item_id, option_position), verdict=verdict,
                    reason=REASON if verdict is C else None,
                )  # fmt: skip
            assert record_preference(
                session=session, annotator_id=ids[name], position=place, preference="tie"
            )
            if submit:
                outcome = submit_item(session=session, annotator_id=ids[name], position=place)
                assert outcome is SubmitOutcome.SUBMITTED

    position_of = {(o.item_id, configs.get(o.method_config_id)): o.position for o in options}
    for name, rows in plan.answers.items():
        for index, (handsoff, ip2p) in enumerate(rows):
            item_id = items[index]
            verdicts = {position_of[(item_id, HANDSOFF)]: handsoff}
            verdicts[position_of[(item_id, IP2P)]] = ip2p
            answer(name, item_id, verdicts, submit=(name, index) not in plan.open)
        if name in plan.gold_answered:
            gold = {o.position: (Y if o.gold_role == "gold_target" else N) for o in options
                    if o.item_id == gold_item}  # fmt: skip
            answer(name, gold_item, gold, submit=True)
    for name, index in sorted(plan.reopened):
        with session_scope(engine) as session:
            place = places[(ids[name], items[index])][0]
            outcome = reopen_item(session=session, annotator_id=ids[name], position=place)
            assert outcome is ReopenOutcome.REOPENED
    for name in sorted(plan.revoked):
        with session_scope(engine) as session:
            assert revoke_annotator(session=session, study=study_id, name=name)
    return AnsweredStudy(
        id=study_id,
        items=items,
        option_of={
            (items.index(o.item_id), configs[o.method_config_id]): o.id
            for o in options
            if o.method_config_id
        },
    )
