"""Edit direction: CLIP per-token embeddings padded to 77, means per side, w * (after - before)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from handsoff_core.diffusion.direction import (
    count_tokens,
    edit_direction,
    encode_prompts,
    mean_embedding,
)


def test_embeddings_are_the_last_hidden_state_padded_to_77_tokens(
    tiny_sd: Any, pix2pix_zero: Any
) -> None:
    embeddings = encode_prompts(
        tiny_sd.tokenizer, tiny_sd.text_encoder, ["a photo of a cat", "a dog"]
    )
    hidden = tiny_sd.text_encoder.config.hidden_size
    assert embeddings.shape == (2, 77, hidden)
    # diffusers' own prompt encoding (what pix2pix-zero's pipeline conditions on) agrees.
    expected, _ = pix2pix_zero.encode_prompt(["a photo of a cat", "a dog"], "cpu", 1, False)
    assert torch.equal(embeddings, expected)


def test_mean_embedding_averages_the_captions_of_a_side(tiny_sd: Any) -> None:
    captions = ["a cat on a table", "a photo of a cat", "a small cat"]
    each = encode_prompts(tiny_sd.tokenizer, tiny_sd.text_encoder, captions)
    mean = mean_embedding(tiny_sd.tokenizer, tiny_sd.text_encoder, captions)
    assert mean.shape == (1, 77, each.shape[-1])
    torch.testing.assert_close(mean[0], (each[0] + each[1] + each[2]) / 3, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="at least one caption"):
        mean_embedding(tiny_sd.tokenizer, tiny_sd.text_encoder, [])


def test_direction_is_weight_times_difference(tiny_sd: Any) -> None:
    before = mean_embedding(tiny_sd.tokenizer, tiny_sd.text_encoder, ["a cat"])
    after = mean_embedding(tiny_sd.tokenizer, tiny_sd.text_encoder, ["a cat with a hat"])
    assert torch.equal(edit_direction(before, after, 1.0), after - before)
    assert torch.count_nonzero(edit_direction(before, after, 0.0)) == 0
    torch.testing.assert_close(
        edit_direction(before, after, 1.25), 1.25 * (after - before), rtol=0, atol=0
    )
    # CLIP attends causally: the start token's state is the same for every prompt, so it
    # cancels in the difference, while the changed words do not.
    delta = edit_direction(before, after, 1.0)
    assert torch.count_nonzero(delta[0, 0]) == 0
    assert delta[0, 1:6].abs().sum() > 0


def test_long_captions_are_truncated_to_77_tokens(tiny_sd: Any) -> None:
    long_caption = " ".join(["red cat"] * 60)
    assert count_tokens(tiny_sd.tokenizer, long_caption) > 77
    truncated_ids = tiny_sd.tokenizer(long_caption, truncation=True, max_length=77).input_ids
    truncated = tiny_sd.tokenizer.decode(truncated_ids[1:-1])
    long_embedding = encode_prompts(tiny_sd.tokenizer, tiny_sd.text_encoder, [long_caption])
    assert long_embedding.shape[1] == 77
    # The last position holds the end token after truncation; positions before it match
    # the prefix's encoding.
    prefix = encode_prompts(tiny_sd.tokenizer, tiny_sd.text_encoder, [truncated])
    torch.testing.assert_close(long_embedding[0, :70], prefix[0, :70], rtol=0, atol=1e-5)
