"""The rewriter: templates, strict parsing, retries, failure with raw texts, fallback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from handsoff_core.cache import MemoryStageCache
from handsoff_core.errors import ConfigError, RewriteParseError
from handsoff_core.prompts import DEFAULT_TEMPLATE, load_template, number_phrase, template_versions
from handsoff_core.rewriter import (
    Rewrite,
    RewriteFormatError,
    RewriteOptions,
    Rewriter,
    parse_rewrite,
)

GOOD = """Before transformation:
Caption 1: a cat sitting on a wooden table
After transformation:
Caption 1: a cat wearing a red hat sitting on a wooden table"""

GOOD_TWO_WITH_CHATTER = """Sure! Here are the captions you asked for.

**Before transformation:**
Caption 1: "a cat sitting on a table"
Caption 2: a photo of a cat on a table

**After transformation:**
- Caption 1: a dog sitting on a table
- **Caption 2:** a photo of a dog on a table

I hope this helps. Let me know if you need more captions."""


def test_parses_the_authors_format() -> None:
    before, after = parse_rewrite(GOOD, 1)
    assert before == ["a cat sitting on a wooden table"]
    assert after == ["a cat wearing a red hat sitting on a wooden table"]


def test_extra_chatter_markdown_and_quotes_are_ignored() -> None:
    before, after = parse_rewrite(GOOD_TWO_WITH_CHATTER, 2)
    assert before == ["a cat sitting on a table", "a photo of a cat on a table"]
    assert after == ["a dog sitting on a table", "a photo of a dog on a table"]


@pytest.mark.parametrize(
    ("text", "n", "reason"),
    [
        ("Caption 1: a cat\nCaption 1: a dog", 1, 'no "After transformation"'),
        (GOOD, 2, r"before: 1 caption\(s\), expected 2"),
        (GOOD_TWO_WITH_CHATTER, 1, "before: 2 caption"),
        ("Before transformation:\nAfter transformation:\nCaption 1: a dog", 1, "before: 0"),
        ("Caption 1: a cat\nAfter transformation:\nCaption 2: a dog", 1, "numbered 2, expected 1"),
        ("Caption 1: a cat\nAfter transformation:\nCaption 1:", 1, "after: caption 1 is empty"),
        (
            "Caption 1: <caption of the image before the transformation>\n"
            "After transformation:\nCaption 1: a dog",
            1,
            "placeholder",
        ),
        (
            "Caption 1: a\nAfter transformation:\nCaption 1: b\nAfter transformation:\n",
            1,
            "more than one",
        ),
        ("front yellow child street flower with blue", 1, 'no "After'),
    ],
)
def test_malformed_answers_say_why(text: str, n: int, reason: str) -> None:
    with pytest.raises(RewriteFormatError, match=reason):
        parse_rewrite(text, n)


def test_default_template_renders_the_authors_placeholders() -> None:
    assert DEFAULT_TEMPLATE in template_versions()
    template = load_template()
    assert "[TRANSFORMATION]" in template.text and "[NUMBER]" in template.text
    prompt = template.render(
        instruction=" put a hat on the cat ", before_caption="a cat", n_captions=1
    )
    assert '"put a hat on the cat"' in prompt and "one (1) caption(s)" in prompt
    assert prompt.endswith("\na cat")  # the before caption follows the template
    assert "[" not in prompt.replace("[INST]", "")
    assert number_phrase(3) == "three (3)" and number_phrase(12) == "12 (12)"
    with pytest.raises(ConfigError, match="unknown prompt template 'v0'"):
        load_template("v0")


@dataclass
class ScriptedChat:
    """A deterministic stand-in for an LLM, for the retry logic only (never in profiles)."""

    answers: list[str]
    model_id: str = "scripted"
    revision: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def chat(self, messages: list[dict[str, str]], **kwargs: Any) -> str:
        self.calls.append({"messages": messages, **kwargs})
        return self.answers[len(self.calls) - 1]


def test_a_bad_answer_is_retried_with_seeded_sampling_and_all_raw_text_is_kept() -> None:
    chat = ScriptedChat(["I cannot do that.", GOOD])
    rewrite = Rewriter(chat).rewrite(
        item_id="s1", instruction="put a red hat on the cat", before_caption="a cat", seed=7
    )
    assert rewrite.after_captions == ["a cat wearing a red hat sitting on a wooden table"]
    assert rewrite.attempts == 2 and not rewrite.fallback_used
    assert "[attempt 1]\nI cannot do that." in rewrite.raw_text and GOOD in rewrite.raw_text
    assert rewrite.notes == ["rewriter: parsed on attempt 2"]
    first, second = chat.calls
    assert first["do_sample"] is False and second["do_sample"] is True  # greedy would repeat
    assert first["seed"] != second["seed"]
    assert "put a red hat on the cat" in first["messages"][0]["content"]


def test_the_retry_seeds_repeat_on_a_rerun() -> None:
    runs = []
    for _ in range(2):
        chat = ScriptedChat(["x", "y", "z"])
        with pytest.raises(RewriteParseError):
            Rewriter(chat).rewrite(item_id="s", instruction="i", before_caption="c", seed=3)
        runs.append([call["seed"] for call in chat.calls])
    assert runs[0] == runs[1] and len(set(runs[0])) == 3


def test_failure_after_the_bounded_retries_keeps_every_answer() -> None:
    chat = ScriptedChat(["no", "still no", "never"])
    rewriter = Rewriter(chat, RewriteOptions(max_attempts=3))
    with pytest.raises(RewriteParseError) as caught:
        rewriter.rewrite(item_id="item-9", instruction="i", before_caption="c", seed=0)
    assert caught.value.raw_texts == ["no", "still no", "never"]
    assert "item 'item-9'" in str(caught.value) and "3 attempt(s)" in str(caught.value)
    assert len(chat.calls) == 3


def test_sampling_on_request_samples_from_the_first_attempt() -> None:
    chat = ScriptedChat([GOOD])
    Rewriter(chat, RewriteOptions(do_sample=True, temperature=0.5)).rewrite(
        item_id="s", instruction="i", before_caption="c", seed=1
    )
    assert chat.calls[0]["do_sample"] is True and chat.calls[0]["temperature"] == 0.5


def test_instruction_append_fallback_is_recorded_in_notes_and_raw_text() -> None:
    chat = ScriptedChat(["gibberish", "more gibberish"])
    options = RewriteOptions(max_attempts=2, fallback="instruction-append")
    rewrite = Rewriter(chat, options).rewrite(
        item_id="s", instruction="make it snowy", before_caption="a house ", seed=0
    )
    assert rewrite.before_captions == ["a house"]
    assert rewrite.after_captions == ["a house, make it snowy"]
    assert rewrite.fallback_used and rewrite.attempts == 2
    assert "gibberish" in rewrite.raw_text
    assert "[fallback instruction-append]" in rewrite.raw_text
    assert "fallback instruction-append used" in rewrite.notes[0]
    with pytest.raises(ConfigError, match="fallback 'guess'"):
        RewriteOptions(fallback="guess")


def test_cache_returns_the_stored_rewrite_and_keys_include_the_template() -> None:
    cache = MemoryStageCache()
    chat = ScriptedChat([GOOD])
    rewriter = Rewriter(chat)
    first = rewriter.rewrite(item_id="s", instruction="i", before_caption="c", seed=0, cache=cache)
    second = rewriter.rewrite(item_id="s", instruction="i", before_caption="c", seed=0, cache=cache)
    assert first == second and len(chat.calls) == 1 and cache.hits == 1
    assert Rewrite.from_bytes(first.to_bytes()) == first
    key = rewriter.cache_key(instruction="i", before_caption="c", seed=0)
    assert key != rewriter.cache_key(instruction="i", before_caption="c", seed=1)
    assert key != Rewriter(chat, RewriteOptions(n_captions=2)).cache_key(
        instruction="i", before_caption="c", seed=0
    )
    other = Rewriter(chat)
    object.__setattr__(other.template, "text", other.template.text + " ")
    assert key != other.cache_key(instruction="i", before_caption="c", seed=0)


def test_tiny_llm_runs_for_real_and_its_noise_fails_honestly(tiny_models: Any) -> None:
    options = RewriteOptions(max_new_tokens=12, max_attempts=2, fallback="fail")
    rewriter = tiny_models.rewriter(options)
    with pytest.raises(RewriteParseError) as caught:
        rewriter.rewrite(item_id="t1", instruction="make it red", before_caption="a cat", seed=0)
    texts = caught.value.raw_texts
    assert len(texts) == 2 and all(text.strip() for text in texts)
    assert texts[0] != texts[1]  # the retry sampled
    again = tiny_models.rewriter(options)
    with pytest.raises(RewriteParseError) as repeated:
        again.rewrite(item_id="t1", instruction="make it red", before_caption="a cat", seed=0)
    assert repeated.value.raw_texts == texts  # same seed, same answers


def test_tiny_profile_rewriter_falls_back_by_default(tiny_models: Any) -> None:
    rewriter = tiny_models.rewriter(
        RewriteOptions(max_new_tokens=6, max_attempts=1, fallback="instruction-append")
    )
    assert tiny_models.profile.rewriter_fallback == "instruction-append"
    rewrite = rewriter.rewrite(item_id="t", instruction="add snow", before_caption="a road", seed=1)
    assert rewrite.after_captions == ["a road, add snow"] and rewrite.fallback_used
    default = tiny_models.rewriter()
    assert default.options.fallback == "instruction-append"
    # Options that leave the fallback open get the profile's; an explicit one is kept.
    assert tiny_models.rewriter(RewriteOptions(n_captions=2)).options.fallback == (
        "instruction-append"
    )
    assert tiny_models.rewriter(RewriteOptions(fallback="fail")).options.fallback == "fail"
    assert Rewriter(tiny_models.llm()).options.fallback == "fail"
