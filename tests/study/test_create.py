"""Study creation: which items, gold items, overlap, personal orders, tokens, guidelines,
reissued tokens, closing, bad input."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.models import Annotator, Assignment, Study, StudyItem, StudyOption
from db.queries.study import StudyError, Verdict, token_hash
from db.queries.study_annotators import (
    AccessProblem,
    AnnotatorAccess,
    add_annotator,
    authenticate,
    close_study,
    reissue_token,
    revoke_annotator,
)
from db.queries.study_answers import (
    record_judgment,
    record_preference,
    submit_item,
    submitted_history,
)
from db.queries.study_create import create_study
from db.queries.study_guidelines import MAX_GUIDELINES_BYTES, set_guidelines
from tests.study.world import METHODS, World, build_world


def make(engine: Engine, world: World, **options: object) -> object:
    with session_scope(engine) as session:
        return create_study(session=session, run_id=world.run_id, methods=METHODS, **options)  # type: ignore[arg-type]


def test_items_are_the_samples_where_both_methods_succeeded(engine: Engine, world: World) -> None:
    created = make(engine, world, annotators=["alice"])
    with session_scope(engine) as session:
        items = session.scalars(select(StudyItem).where(StudyItem.is_gold.is_(False))).all()
        options = session.scalars(select(StudyOption)).all()
    assert sorted(item.sample_id for item in items) == world.sample_ids[:5]
    assert created.items == 5  # type: ignore[attr-defined]
    assert created.methods[0].startswith("handsoff@")  # type: ignore[attr-defined]
    by_item = {(o.item_id, o.position): o for o in options}
    for item in items:
        first, second = by_item[(item.id, 0)], by_item[(item.id, 1)]
        assert first.edit_id == world.edit_ids[(item.sample_id, "handsoff")]
        assert second.edit_id == world.edit_ids[(item.sample_id, "instruct-pix2pix")]
        assert second.image_sha256 == world.images[(item.sample_id, "instruct-pix2pix")]
        assert first.gold_role is None and first.expected_acceptable is None


def test_overlap_gives_each_item_k_distinct_annotators_with_balanced_loads(
    engine: Engine, world: World
) -> None:
    created = make(engine, world, annotators=["a", "b", "c", "d"], overlap=3, gold=2, seed=3)
    with session_scope(engine) as session:
        rows = session.execute(
            select(Annotator.name, StudyItem.id, StudyItem.is_gold, Assignment.position)
            .join(Assignment, Assignment.annotator_id == Annotator.id)
            .join(StudyItem, StudyItem.id == Assignment.item_id)
        ).all()
    per_item = Counter(item for _, item, gold, _ in rows if not gold)
    assert set(per_item.values()) == {3} and len(per_item) == 5
    loads = Counter(name for name, _, gold, _ in rows if not gold)
    assert sorted(loads.values()) == [3, 4, 4, 4]  # 15 assignments over 4 annotators
    gold_per_annotator = Counter(name for name, _, gold, _ in rows if gold)
    assert gold_per_annotator == {"a": 2, "b": 2, "c": 2, "d": 2}
    for name in "abcd":
        positions = sorted(p for n, _, _, p in rows if n == name)
        assert positions == list(range(loads[name] + 2))
    assert [a.assigned for a in created.annotators] == [loads[n] + 2 for n in "abcd"]  # type: ignore[attr-defined]


def test_gold_items_show_source_and_target_with_expected_answers(
    engine: Engine, world: World
) -> None:
    make(engine, world, annotators=["alice"], gold=3, items=2)
    with session_scope(engine) as session:
        gold_items = session.scalars(select(StudyItem).where(StudyItem.is_gold.is_(True))).all()
        regular = set(
            session.scalars(select(StudyItem.sample_id).where(StudyItem.is_gold.is_(False)))
        )
        for item in gold_items:
            options = session.scalars(
                select(StudyOption).where(StudyOption.item_id == item.id)
            ).all()
            roles = {o.gold_role: o for o in options}
            assert roles["gold_source"].image_sha256 == world.images[(item.sample_id, "source")]
            assert roles["gold_source"].expected_acceptable is False
            assert roles["gold_target"].image_sha256 == world.images[(item.sample_id, "target")]
            assert roles["gold_target"].expected_acceptable is True
            assert all(o.edit_id is None and o.method_config_id is None for o in options)
    assert len(gold_items) == 3
    # 6 samples, 2 regular: the 3 gold samples are chosen among the 4 others first
    assert not regular & {item.sample_id for item in gold_items}


def test_orders_and_sides_differ_between_annotators_and_are_reproducible(
    engine: Engine, world: World
) -> None:
    make(engine, world, annotators=["a", "b"], overlap=2, seed=11)
    with session_scope(engine) as session:
        rows = session.execute(
            select(Annotator.name, Assignment.item_id, Assignment.position, Assignment.swap_sides)
            .join(Assignment, Assignment.annotator_id == Annotator.id)
            .order_by(Assignment.position)
        ).all()
    order = {name: [item for n, item, _, _ in rows if n == name] for name in "ab"}
    sides = {name: [swap for n, _, _, swap in rows if n == name] for name in "ab"}
    assert sorted(order["a"]) == sorted(order["b"])
    assert order["a"] != order["b"] or sides["a"] != sides["b"]
    assert {True, False} <= set(sides["a"]) | set(sides["b"])


def test_the_same_seed_gives_the_same_orders_again(engine: Engine, world: World) -> None:
    def orders(name: str) -> dict[str, list[tuple[int, bool]]]:
        make(engine, world, annotators=["a", "b"], overlap=1, seed=5, name=name)
        with session_scope(engine) as session:
            rows = session.execute(
                select(Annotator.name, StudyItem.sample_id, Assignment.swap_sides)
                .join(Assignment, Assignment.annotator_id == Annotator.id)
                .join(StudyItem, StudyItem.id == Assignment.item_id)
                .join(Study, Study.id == Annotator.study_id)
                .where(Study.name == name)
                .order_by(Assignment.position)
            ).all()
        return {n: [(s, w) for m, s, w in rows if m == n] for n in "ab"}

    assert orders("first") == orders("second")


def test_tokens_are_stored_only_as_hashes(engine: Engine, world: World) -> None:
    created = make(engine, world, annotators=["alice", "bob"])
    with session_scope(engine) as session:
        stored = session.scalars(select(Annotator.token_hash)).all()
        for annotator in created.annotators:  # type: ignore[attr-defined]
            assert token_hash(annotator.token) in stored
            assert annotator.token not in stored
            access = authenticate(session=session, token=annotator.token)
            assert isinstance(access, AnnotatorAccess) and access.name == annotator.name
        assert authenticate(session=session, token="not-a-token") is AccessProblem.UNKNOWN


def test_method_at_hash_prefix_selects_one_of_several_configs(engine: Engine) -> None:
    world = build_world(engine, samples=2, extra_configs=["handsoff#w125"])
    with session_scope(engine) as session, pytest.raises(StudyError, match="ambiguous"):
        create_study(session=session, run_id=world.run_id, methods=METHODS)
    prefix = world.config_hashes["handsoff"][:10]
    with session_scope(engine) as session:
        created = create_study(
            session=session, run_id=world.run_id, methods=[f"handsoff@{prefix}", "instruct-pix2pix"]
        )
    assert created.methods[0] == f"handsoff@{prefix[:8]}"
    assert created.items == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"methods": ["handsoff", "magicbrush"]}, "no method config 'magicbrush'"),
        ({"methods": ["handsoff"]}, "exactly two methods"),
        ({"methods": ["handsoff", "handsoff"]}, "same config"),
        ({"overlap": 3, "annotators": ["a", "b"]}, "overlap 3 needs at least 3"),
        ({"items": 9}, "only 5 samples"),
        ({"gold": 7}, "only 6 samples with a ground-truth target"),
        ({"annotators": ["a", "a"]}, "repeat"),
        ({"annotators": [" "]}, "must not be empty"),
        ({"run_id": 999}, "no run with id 999"),
        ({"seed": 2**31}, "--seed must be between 0 and 2147483647, got 2147483648"),
        ({"seed": -1}, "--seed must be between 0"),
    ],
)
def test_bad_requests_fail_clearly_and_write_nothing(
    sqlite_url: str, options: dict[str, object], message: str
) -> None:
    # SQLite only: the checks run before any write, the rollback is the session's
    engine = make_engine(sqlite_url)
    world = build_world(engine, samples=6, failed=[(5, "instruct-pix2pix")])
    arguments: dict[str, object] = {"run_id": world.run_id, "methods": METHODS, **options}
    with pytest.raises(StudyError, match=message), session_scope(engine) as session:
        create_study(session=session, **arguments)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Study.id))) == 0
        assert session.scalar(select(func.count(Annotator.id))) == 0
    engine.dispose()


def test_a_run_where_no_sample_has_both_edits_is_refused(engine: Engine) -> None:
    world = build_world(engine, samples=2, failed=[(0, "handsoff"), (1, "instruct-pix2pix")])
    with pytest.raises(StudyError, match="nothing to study"), session_scope(engine) as session:
        create_study(session=session, run_id=world.run_id, methods=METHODS)


def test_multi_turn_runs_are_refused(engine: Engine) -> None:
    world = build_world(engine, samples=2, setting="multi-turn")
    with pytest.raises(StudyError, match="multi-turn"), session_scope(engine) as session:
        create_study(session=session, run_id=world.run_id, methods=METHODS)


def test_a_replacement_annotator_takes_over_a_revoked_annotators_items(
    engine: Engine, world: World
) -> None:
    make(engine, world, annotators=["a", "b", "c"], overlap=2, gold=1, name="s")
    with session_scope(engine) as session:
        assert revoke_annotator(session=session, study="s", name="b") is True
        assert revoke_annotator(session=session, study="s", name="b") is False
        new = add_annotator(session=session, study="s", name="d")
    with session_scope(engine) as session:
        rows = session.execute(
            select(Annotator.name, Assignment.item_id, StudyItem.is_gold)
            .join(Assignment, Assignment.annotator_id == Annotator.id)
            .join(StudyItem, StudyItem.id == Assignment.item_id)
        ).all()
        b_token_gone = authenticate(session=session, token=new.token)
    items_of = {name: {i for n, i, g in rows if n == name and not g} for name in "abcd"}
    assert items_of["d"] == items_of["b"]
    assert new.assigned == len(items_of["b"]) + 1  # plus the gold item
    assert isinstance(b_token_gone, AnnotatorAccess)
    with session_scope(engine) as session, pytest.raises(StudyError, match="already has"):
        add_annotator(session=session, study="s", name="a")


def _answer_first_item(engine: Engine, annotator_id: int) -> None:
    with session_scope(engine) as session:
        for side in "AB":
            assert record_judgment(
                session=session, annotator_id=annotator_id, position=0, side=side,
                verdict=Verdict.ACCEPTABLE,
            )  # fmt: skip
        assert record_preference(
            session=session, annotator_id=annotator_id, position=0, preference="tie"
        )
        submit_item(session=session, annotator_id=annotator_id, position=0)


def _state(engine: Engine, annotator_id: int) -> tuple[tuple[object, ...], tuple[object, ...]]:
    with session_scope(engine) as session:
        assignments = session.execute(
            select(Assignment.item_id, Assignment.position, Assignment.swap_sides)
            .where(Assignment.annotator_id == annotator_id)
            .order_by(Assignment.position)
        ).all()
        history = submitted_history(session=session, annotator_id=annotator_id)
    return tuple(assignments), tuple((h.position, h.verdicts, h.preference) for h in history)


def test_a_reissued_token_replaces_the_old_one_for_the_same_annotator(
    engine: Engine, world: World
) -> None:
    created = make(engine, world, annotators=["alice", "bob"], overlap=2, gold=1, name="s")
    old, bob = (a.token for a in created.annotators)  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        access = authenticate(session=session, token=old)
    assert isinstance(access, AnnotatorAccess)
    _answer_first_item(engine, access.annotator_id)
    before = _state(engine, access.annotator_id)
    assert len(before[1]) == 1  # one submitted item in the history

    with session_scope(engine) as session:
        new = reissue_token(session=session, study="s", name=" alice ")
    assert new.name == "alice" and new.token != old and new.assigned == len(before[0])
    with session_scope(engine) as session:
        assert authenticate(session=session, token=old) is AccessProblem.UNKNOWN
        renewed = authenticate(session=session, token=new.token)
        assert isinstance(authenticate(session=session, token=bob), AnnotatorAccess)
        assert session.scalar(select(func.count(Annotator.id))) == 2  # no new row
    assert isinstance(renewed, AnnotatorAccess)
    assert renewed.annotator_id == access.annotator_id
    assert _state(engine, access.annotator_id) == before  # same order, sides and answers


def test_reissuing_for_a_revoked_or_unknown_annotator_is_refused(
    engine: Engine, world: World
) -> None:
    make(engine, world, annotators=["alice"], name="s")
    with session_scope(engine) as session:
        revoke_annotator(session=session, study="s", name="alice")
        hashes = set(session.scalars(select(Annotator.token_hash)))
    with session_scope(engine) as session, pytest.raises(StudyError, match="is revoked"):
        reissue_token(session=session, study="s", name="alice")
    with session_scope(engine) as session, pytest.raises(StudyError, match="no annotator"):
        reissue_token(session=session, study="s", name="mallory")
    with session_scope(engine) as session:
        assert set(session.scalars(select(Annotator.token_hash))) == hashes


def test_a_closed_study_refuses_every_link_and_keeps_its_answers(
    engine: Engine, world: World
) -> None:
    created = make(engine, world, annotators=["alice"], name="s")
    token = created.annotators[0].token  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        access = authenticate(session=session, token=token)
    assert isinstance(access, AnnotatorAccess)
    _answer_first_item(engine, access.annotator_id)
    with session_scope(engine) as session:
        assert close_study(session=session, study="s") is True
        assert close_study(session=session, study="s") is False
    with session_scope(engine) as session:
        assert authenticate(session=session, token=token) is AccessProblem.STUDY_CLOSED
        study = session.scalar(select(Study).where(Study.name == "s"))
        assert study is not None and study.closed_at is not None
    assert len(_state(engine, access.annotator_id)[1]) == 1


def test_guidelines_are_stored_replaced_and_cleared(engine: Engine, world: World) -> None:
    make(engine, world, name="s", guidelines="# Be strict\n\nÜbung: *examples*")
    with session_scope(engine) as session:
        assert session.scalar(select(Study.guidelines)) == "# Be strict\n\nÜbung: *examples*"
        assert set_guidelines(session=session, study="s", text="new") == "s"
    with session_scope(engine) as session:
        assert session.scalar(select(Study.guidelines)) == "new"
        set_guidelines(session=session, study="s", text=None)
    with session_scope(engine) as session:
        assert session.scalar(select(Study.guidelines)) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  \n ", "is empty"),
        ("before\x00after", "NUL character at character 6"),
        ("lone \ud800", "lone surrogate at character 5"),
        ("é" * (MAX_GUIDELINES_BYTES // 2 + 1), "guidelines are at most 1 MiB"),
    ],
)
def test_bad_guidelines_are_refused_and_write_nothing(
    sqlite_url: str, text: str, message: str
) -> None:
    engine = make_engine(sqlite_url)
    world = build_world(engine, samples=2)
    with pytest.raises(StudyError, match=message), session_scope(engine) as session:
        create_study(session=session, run_id=world.run_id, methods=METHODS, guidelines=text)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Study.id))) == 0
        create_study(session=session, run_id=world.run_id, methods=METHODS, name="s",
                     guidelines="kept")  # fmt: skip
    with pytest.raises(StudyError, match=message), session_scope(engine) as session:
        set_guidelines(session=session, study="s", text=text)
    with session_scope(engine) as session:
        assert session.scalar(select(Study.guidelines)) == "kept"
    engine.dispose()
