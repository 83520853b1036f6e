"""Attention processors for pix2pix-zero: record cross-attention maps, or pull towards them.

pix2pix-zero (Parmar et al. 2023; diffusers' `StableDiffusionPix2PixZeroPipeline`) keeps the
structure of the input image by recording the cross-attention maps of a reference pass and,
in the edit pass, taking a gradient step on the latent that makes the edit's maps match.

Differences from the reference implementation, all chosen for speed at identical arithmetic:
- the maps of one step stay on the device, and are consumed in the same step (the reference
  and edit passes run in lockstep), instead of every map of every step copied to the CPU;
- the layers whose maps are not needed (self-attention) may use PyTorch's fused attention
  (`attention="fused"`); `attention="reference"` reproduces the reference's explicit `bmm`
  arithmetic in every layer;
- the gradient pass stops the UNet right after its last cross-attention layer: the rest of
  that forward pass cannot change the loss, and its noise prediction is discarded anyway;
- no gradients for the cross-attention weights (the reference enables them, unused).

Cross-attention layers always compute maps explicitly (`get_attention_scores`), in every pass
that uses these processors, so the reference pass and a zero-weight edit pass compute the
same numbers and weight 0 reproduces the reconstruction exactly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

AttentionArithmetic = Literal["fused", "reference"]
ATTENTION_ARITHMETICS: tuple[str, ...] = ("fused", "reference")


class StopForward(Exception):
    """Raised after the last cross-attention layer of a gradient pass: the loss is complete."""


@dataclass
class CrossAttentionMaps:
    """Shared state of the cross-attention processors of one UNet during one pass.

    mode "off": compute attention only; "record": keep each layer's probabilities
    ((batch*heads, pixels, 77) per layer, in call order); "guide": add the squared difference
    to the recorded maps of the same layer to `loss`.

    Batch layouts in "guide" mode (pix2pix-zero's guided batch, unconditional copies first):
    edit batch = (2, samples, weights) flattened; the recorded reference batch is
    (reference_copies, samples) flattened, with reference_copies 1 when the unconditional and
    conditional reference inputs are the same (only one copy is computed) or 2.
    """

    mode: Literal["off", "record", "guide"] = "off"
    num_layers: int = 0
    samples: int = 1
    weights: int = 1
    reference_copies: int = 2
    stop_after_last_layer: bool = False
    recorded: list[torch.Tensor] = field(default_factory=list)
    loss: torch.Tensor | None = None
    _layer: int = 0

    def start_pass(self, mode: Literal["off", "record", "guide"]) -> None:
        self.mode = mode
        self._layer = 0
        if mode == "record":
            self.recorded = []
        if mode == "guide":
            self.loss = None

    def observe(self, attention_probs: torch.Tensor, heads: int) -> None:
        """Called by each cross-attention layer with its (batch*heads, pixels, tokens) maps."""
        layer = self._layer
        self._layer += 1
        if self.mode == "record":
            self.recorded.append(attention_probs.detach())
        elif self.mode == "guide":
            layer_loss = self._layer_loss(attention_probs, self.recorded[layer], heads)
            self.loss = layer_loss if self.loss is None else self.loss + layer_loss
            if self.stop_after_last_layer and self._layer == self.num_layers:
                raise StopForward

    def _layer_loss(self, edit: torch.Tensor, reference: torch.Tensor, heads: int) -> torch.Tensor:
        """pix2pix-zero's loss: squared difference summed over the map, mean over the batch.

        The reference's `Pix2PixZeroL2Loss` averages over the 2*heads rows of one guided
        sample; here each (sample, weight) gets that same mean, and the losses of independent
        samples are summed so each one's gradient equals a run on its own.
        """
        samples, weights = self.samples, self.weights
        pixels, tokens = edit.shape[-2:]
        # In float32 whatever the model's dtype (a no-op on the CPU's float32 path).
        edit, reference = edit.float(), reference.float()
        if samples * weights == 1 and self.reference_copies == 2:
            # One guided sample, full reference batch: exactly the reference's arithmetic.
            return ((edit - reference) ** 2).sum((1, 2)).mean(0)
        edit_maps = edit.view(2, samples, weights, heads, pixels, tokens)
        reference_maps = reference.view(self.reference_copies, samples, 1, heads, pixels, tokens)
        squared = ((edit_maps - reference_maps) ** 2).sum((-2, -1))
        # (2, samples, weights, heads) -> mean over copies and heads, sum over the rest.
        return squared.mean(dim=(0, 3)).sum()


def _explicit_attention(
    attn: Any,
    hidden_states: torch.Tensor,
    encoder_hidden_states: torch.Tensor | None,
    maps: CrossAttentionMaps | None,
) -> torch.Tensor:
    """Attention with explicit `bmm`, as diffusers' `Pix2PixZeroAttnProcessor` computes it.

    hidden_states: (batch, pixels, channels); encoder_hidden_states: (batch, 77, D) or None.
    """
    query = attn.to_q(hidden_states)
    if encoder_hidden_states is None:
        encoder_hidden_states = hidden_states
    elif attn.norm_cross:
        encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
    key = attn.to_k(encoder_hidden_states)
    value = attn.to_v(encoder_hidden_states)
    query = attn.head_to_batch_dim(query)  # (batch*heads, pixels, head_dim)
    key = attn.head_to_batch_dim(key)
    value = attn.head_to_batch_dim(value)
    attention_probs = attn.get_attention_scores(query, key, None)  # (batch*heads, pixels, keys)
    if maps is not None:
        maps.observe(attention_probs, attn.heads)
    hidden_states = torch.bmm(attention_probs, value)
    hidden_states = attn.batch_to_head_dim(hidden_states)
    hidden_states = attn.to_out[0](hidden_states)
    hidden_states = attn.to_out[1](hidden_states)
    return hidden_states


class ExplicitAttnProcessor:
    """Self-attention with the reference's explicit arithmetic (no maps kept)."""

    def __call__(
        self,
        attn: Any,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return _explicit_attention(attn, hidden_states, encoder_hidden_states, None)


class CrossAttentionMapProcessor:
    """Cross-attention with explicit arithmetic that reports its maps to `maps`."""

    def __init__(self, maps: CrossAttentionMaps) -> None:
        self.maps = maps

    def __call__(
        self,
        attn: Any,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return _explicit_attention(attn, hidden_states, encoder_hidden_states, self.maps)


def _is_cross_attention(processor_name: str) -> bool:
    # diffusers' SD UNet names self-attention "attn1" and cross-attention "attn2".
    return "attn2" in processor_name


def fused_processor() -> Any:
    from diffusers.models.attention_processor import AttnProcessor2_0

    return AttnProcessor2_0()


def plain_processors(unet: Any, arithmetic: AttentionArithmetic) -> dict[str, Any]:
    """Processors for passes that need no maps: fused SDPA, or the reference's `bmm`."""
    make = fused_processor if arithmetic == "fused" else ExplicitAttnProcessor
    return {name: make() for name in unet.attn_processors}


def map_processors(
    unet: Any, arithmetic: AttentionArithmetic, maps: CrossAttentionMaps
) -> dict[str, Any]:
    """Map-keeping processors on cross-attention; self-attention fused or explicit."""
    processors: dict[str, Any] = {}
    for name in unet.attn_processors:
        if _is_cross_attention(name):
            processors[name] = CrossAttentionMapProcessor(maps)
        elif arithmetic == "fused":
            processors[name] = fused_processor()
        else:
            processors[name] = ExplicitAttnProcessor()
    maps.num_layers = sum(1 for name in processors if _is_cross_attention(name))
    return processors


@contextlib.contextmanager
def attention_processors(unet: Any, processors: dict[str, Any]) -> Iterator[None]:
    """Install `processors` on `unet` for the duration of the block, then restore the old ones.

    The UNet is shared (other methods, the reference pipeline), so nothing is left changed.
    """
    previous = dict(unet.attn_processors)
    unet.set_attn_processor(processors)
    try:
        yield
    finally:
        unet.set_attn_processor(previous)
