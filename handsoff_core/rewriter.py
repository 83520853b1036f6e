"""After-edit captions from an instruction-tuned LLM (docs/method.md s1, step 2).

The prompt is a versioned template (handsoff_core/prompts) filled with the instruction and
the number of captions per side, followed by the before caption. The model answers

    Before transformation:
    Caption 1: ...
    After transformation:
    Caption 1: ...

and only lines starting with "Caption" count (the authors' rule), each side exactly
`n_captions` of them, numbered 1..n. An answer that breaks the format is retried a bounded
number of times; all raw answers are kept. Decoding is greedy unless sampling is asked for;
since a greedy retry would repeat the same answer, retries sample with a seed derived from
the item's seed (so a rerun repeats them exactly).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from handsoff_core.cache import StageCache, cache_key
from handsoff_core.errors import ConfigError, RewriteParseError
from handsoff_core.prompts import DEFAULT_TEMPLATE, PromptTemplate, load_template

logger = logging.getLogger(__name__)

FALLBACKS = ("fail", "instruction-append")
_CAPTION_LINE = re.compile(r"^caption\s*(\d+)\s*[:.)-]\s*(.*)$", re.IGNORECASE)
_AFTER_HEADER = re.compile(r"^after\s+transformation\b", re.IGNORECASE)
_DECORATION = re.compile(r"^(?:[-*•>]\s*)+|\*\*|__")  # markdown bullets and bold


class ChatBackend(Protocol):
    """Anything that answers a chat: the HF model below, or a scripted stand-in in tests."""

    model_id: str
    revision: str | None

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int,
        do_sample: bool,
        temperature: float,
        top_p: float,
        seed: int,
    ) -> str: ...


class HFChatLLM:
    """A transformers causal LM with a chat template (e.g. Mistral-7B-Instruct-v0.2)."""

    def __init__(
        self, model: Any, tokenizer: Any, *, model_id: str, revision: str | None, device: Any
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.revision = revision
        self.device = device

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int,
        do_sample: bool,
        temperature: float,
        top_p: float,
        seed: int,
    ) -> str:
        import torch

        prompt = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        # The template already holds the BOS token: no second one.
        inputs = self.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
        inputs = inputs.to(self.device)
        pad_id = self.tokenizer.pad_token_id
        generate_kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "do_sample": do_sample,
            "pad_token_id": pad_id if pad_id is not None else self.tokenizer.eos_token_id,
        }
        if do_sample:
            generate_kwargs.update(temperature=temperature, top_p=top_p)
        devices = [self.device] if torch.device(self.device).type == "cuda" else []
        # A private RNG state: seeding must not disturb the caller's global generator.
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            torch.manual_seed(seed)
            tokens = self.model.generate(**inputs, **generate_kwargs)  # (1, prompt + new)
        new_tokens = tokens[0, inputs["input_ids"].shape[1] :]
        return str(self.tokenizer.decode(new_tokens, skip_special_tokens=True))


@dataclass(frozen=True)
class RewriteOptions:
    template: str = DEFAULT_TEMPLATE  # prompt template version (file in handsoff_core/prompts)
    n_captions: int = 1  # captions per side, averaged by the edit direction
    max_new_tokens: int = 256  # room for 2 x n captions and a little chatter
    max_attempts: int = 3  # bounded: a model that cannot follow the format costs 3 answers
    do_sample: bool = False  # greedy by default (reproducible); sampling on request
    temperature: float = 0.7  # used when sampling (always on retries)
    top_p: float = 0.9
    # "fail" or "instruction-append" (the tiny profile's demo); None: the profile's choice
    # when built with LoadedModels.rewriter, else "fail".
    fallback: str | None = None

    def __post_init__(self) -> None:
        if self.fallback is not None and self.fallback not in FALLBACKS:
            raise ConfigError(f"rewriter fallback {self.fallback!r} is not one of {FALLBACKS}")
        if self.n_captions < 1 or self.max_attempts < 1 or self.max_new_tokens < 1:
            raise ConfigError("rewriter: n_captions, max_attempts, max_new_tokens must be >= 1")


@dataclass
class Rewrite:
    before_captions: list[str]  # the LLM's before captions (n of them)
    after_captions: list[str]  # the LLM's after captions (n of them)
    raw_text: str  # every answer, attempts separated, plus any fallback record
    attempts: int
    fallback_used: bool = False
    notes: list[str] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Rewrite:
        return cls(**json.loads(data.decode("utf-8")))


class RewriteFormatError(ValueError):
    """One answer that does not follow the format; the reason says what is wrong."""


def _clean(line: str) -> str:
    return _DECORATION.sub("", line.strip()).strip()


def _side_captions(lines: list[str], n_captions: int, side: str) -> list[str]:
    captions: list[str] = []
    for line in lines:
        match = _CAPTION_LINE.match(line)
        if match is None:
            continue  # chatter, headers, blank lines
        number, text = int(match.group(1)), match.group(2).strip().strip("\"'“”").strip()
        if number != len(captions) + 1:
            raise RewriteFormatError(
                f"{side}: caption numbered {number}, expected {len(captions) + 1}"
            )
        if not text:
            raise RewriteFormatError(f"{side}: caption {number} is empty")
        if text.startswith("<") and text.endswith(">"):
            raise RewriteFormatError(f"{side}: caption {number} is the template's placeholder")
        captions.append(text)
    if len(captions) != n_captions:
        raise RewriteFormatError(f"{side}: {len(captions)} caption(s), expected {n_captions}")
    return captions


def parse_rewrite(text: str, n_captions: int) -> tuple[list[str], list[str]]:
    """(before captions, after captions) of one answer, or RewriteFormatError saying why."""
    lines = [_clean(line) for line in text.splitlines()]
    headers = [index for index, line in enumerate(lines) if _AFTER_HEADER.match(line)]
    if not headers:
        raise RewriteFormatError('no "After transformation" section')
    if len(headers) > 1:
        raise RewriteFormatError('more than one "After transformation" section')
    split = headers[0]
    before = _side_captions(lines[:split], n_captions, "before")
    after = _side_captions(lines[split + 1 :], n_captions, "after")
    return before, after


def _attempt_seed(seed: int, attempt: int) -> int:
    """Seed of the sampling in attempt `attempt` (0-based), stable across reruns."""
    return (seed + 1_000_003 * attempt) % (2**63)


def _join_attempts(raw_texts: list[str]) -> str:
    if len(raw_texts) == 1:
        return raw_texts[0]
    return "\n\n".join(f"[attempt {i}]\n{text}" for i, text in enumerate(raw_texts, start=1))


class Rewriter:
    """Instruction + before caption -> before/after captions, with retries and an audit trail."""

    def __init__(self, llm: ChatBackend, options: RewriteOptions | None = None) -> None:
        self.llm = llm
        options = options or RewriteOptions()
        if options.fallback is None:
            options = replace(options, fallback="fail")
        self.options = options  # resolved: part of every cache key
        self.template: PromptTemplate = load_template(self.options.template)

    def cache_key(self, *, instruction: str, before_caption: str, seed: int) -> str:
        return cache_key(
            stage="rewrite",
            model=self.llm.model_id,
            revision=self.llm.revision,
            template=self.template.version,
            template_sha256=self.template.sha256,
            options=asdict(self.options),
            instruction=instruction,
            before_caption=before_caption,
            seed=seed,
        )

    def prompt(self, *, instruction: str, before_caption: str) -> str:
        return self.template.render(
            instruction=instruction,
            before_caption=before_caption,
            n_captions=self.options.n_captions,
        )

    def rewrite(
        self,
        *,
        item_id: str,
        instruction: str,
        before_caption: str,
        seed: int,
        cache: StageCache | None = None,
    ) -> Rewrite:
        """Captions for one item; RewriteParseError (all raw answers kept) if none parses."""
        key = self.cache_key(instruction=instruction, before_caption=before_caption, seed=seed)
        if cache is not None:
            hit = cache.get("rewrite", key)
            if hit is not None:
                return Rewrite.from_bytes(hit)
        rewrite = self._rewrite(item_id, instruction, before_caption, seed)
        if cache is not None:
            cache.put("rewrite", key, rewrite.to_bytes())
        return rewrite

    def _rewrite(self, item_id: str, instruction: str, before_caption: str, seed: int) -> Rewrite:
        options = self.options
        messages = [
            {
                "role": "user",
                "content": self.prompt(instruction=instruction, before_caption=before_caption),
            }
        ]
        raw_texts: list[str] = []
        reasons: list[str] = []
        for attempt in range(options.max_attempts):
            answer = self.llm.chat(
                messages,
                max_new_tokens=options.max_new_tokens,
                do_sample=options.do_sample or attempt > 0,
                temperature=options.temperature,
                top_p=options.top_p,
                seed=_attempt_seed(seed, attempt),
            )
            raw_texts.append(answer)
            try:
                before, after = parse_rewrite(answer, options.n_captions)
            except RewriteFormatError as error:
                reasons.append(str(error))
                logger.info(
                    "item %s: rewrite attempt %d unparseable: %s", item_id, attempt + 1, error
                )
                continue
            notes = [] if attempt == 0 else [f"rewriter: parsed on attempt {attempt + 1}"]
            return Rewrite(before, after, _join_attempts(raw_texts), attempt + 1, notes=notes)
        summary = (
            f"LLM {self.llm.model_id!r} gave no parseable answer in {options.max_attempts} "
            f"attempt(s) (last: {reasons[-1]})"
        )
        if options.fallback == "instruction-append":
            after_caption = f"{before_caption.strip()}, {instruction.strip()}"
            record = (
                f"[fallback instruction-append] {summary}; after caption = before caption + "
                f'", " + instruction: {after_caption!r}'
            )
            return Rewrite(
                before_captions=[before_caption.strip()],
                after_captions=[after_caption],
                raw_text=f"{_join_attempts(raw_texts)}\n\n{record}",
                attempts=options.max_attempts,
                fallback_used=True,
                notes=[f"rewriter: {summary}; fallback instruction-append used"],
            )
        raise RewriteParseError(f"item {item_id!r}: {summary}", raw_texts=raw_texts)
