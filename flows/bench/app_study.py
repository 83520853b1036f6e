"""The throwaway study `handsoff bench app` measures: a dataset, a run, two configs with an
edit on every sample, and a study that gives every item to every annotator."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine


def bench_images(count: int, size: int, seed: int) -> list[Any]:
    """Photo-like test images (smooth gradients plus mild noise) so PNG sizes are realistic."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    images = []
    for _ in range(count):
        base = (
            rng.uniform(0, 255, 3) * ramp[None, :, None]
            + rng.uniform(0, 255, 3) * ramp[:, None, None] * 0.5
        )
        noisy = base + rng.normal(0, 6, (size, size, 3))
        images.append(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB"))
    return images


def build_bench_study(
    engine: Engine,
    *,
    annotators: int,
    items: int,
    size: int,
    tag: str,
    display_images: bool = True,
) -> tuple[int, list[str], dict[str, list[Any]]]:
    """Returns (study id, tokens, ids of the rows to delete afterwards). Without
    `display_images` the study is left as one made before they existed: its page encodes
    every image on the fly."""
    from sqlalchemy import delete, select

    from db.engine import session_scope
    from db.image_store import put_image
    from db.models import Dataset, Edit, MethodConfig, Run, RunMethodConfig, Sample, StudyItem
    from db.models.study import StudyDisplayImage
    from db.queries.study_create import create_study

    created_rows: dict[str, list[Any]] = defaultdict(list)
    images = iter(bench_images(items * 3, size, seed=0))
    with session_scope(engine) as session:
        dataset = Dataset(name=f"bench-app-{tag}", source_format="bench")
        session.add(dataset)
        session.flush()
        run = Run(dataset_id=dataset.id, profile="bench", seed=0)
        session.add(run)
        session.flush()
        configs = []
        for method in ("handsoff", "instruct-pix2pix"):
            config = MethodConfig(method=method, params={}, config_hash=uuid.uuid4().hex * 2)
            session.add(config)
            session.flush()
            session.add(RunMethodConfig(run_id=run.id, method_config_id=config.id))
            configs.append(config)
        for index in range(items):
            source = put_image(session=session, image=next(images))
            sample = Sample(
                dataset_id=dataset.id,
                external_id=f"b{index}",
                session_id=f"b{index}",
                turn_index=1,
                instruction=f"bench instruction {index}",
                source_image=source,
            )
            session.add(sample)
            session.flush()
            created_rows["image"].append(source)
            for config in configs:
                output = put_image(session=session, image=next(images))
                created_rows["image"].append(output)
                session.add(
                    Edit(
                        run_id=run.id,
                        sample_id=sample.id,
                        method_config_id=config.id,
                        seed=0,
                        status="done",
                        output_image=output,
                    )
                )
        session.flush()
        created = create_study(
            session=session,
            run_id=run.id,
            methods=["handsoff", "instruct-pix2pix"],
            name=f"bench-app-{tag}",
            annotators=[f"bench{i:02d}" for i in range(annotators)],
            overlap=annotators,
        )
        if not display_images:
            items_of_study = select(StudyItem.id).where(StudyItem.study_id == created.study_id)
            session.execute(
                delete(StudyDisplayImage).where(StudyDisplayImage.item_id.in_(items_of_study))
            )
        created_rows["study"].append(created.study_id)
        created_rows["run"].append(run.id)
        created_rows["dataset"].append(dataset.id)
        created_rows["method_config"].extend(config.id for config in configs)
    return created.study_id, [a.token for a in created.annotators], created_rows


def delete_bench_rows(engine: Engine, rows: dict[str, list[Any]]) -> None:
    from sqlalchemy import delete

    from db.engine import session_scope
    from db.models import Dataset, Image, MethodConfig, Run, Study

    with session_scope(engine) as session:
        session.execute(delete(Study).where(Study.id.in_(rows["study"])))
        session.execute(delete(Run).where(Run.id.in_(rows["run"])))
        session.execute(delete(Dataset).where(Dataset.id.in_(rows["dataset"])))
        session.execute(delete(MethodConfig).where(MethodConfig.id.in_(rows["method_config"])))
        session.execute(delete(Image).where(Image.sha256.in_(rows["image"])))
