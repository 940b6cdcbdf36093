"""The paper's binary neural network (BNN) for 10 s single-lead ECG windows, in PyTorch.

Six blocks of ``ConstantPad1d(5, value=1) -> Conv1d(k=7, no bias) -> MaxPool1d(7, 2) -> PReLU ->
BatchNorm1d`` with channels 1-8-16-32-32-64-classes. Block 1 convolves the real-valued, per-window
z-scored input with binary weights; blocks 2-6 binarize both their input activations and their
weights. The class scores are the sum over time of block 6's output.

Binarization uses sign with ``sign(0) = +1`` (bit 1 means +1), the convention of the integer golden
model and the RTL, and a straight-through estimator (gradient passed where ``|x| <= 1``).
``EcgBnn(binary=False)`` is the full-precision twin with the same topology; ``width=k`` widens its
hidden channels k times (a larger float teacher for distillation, never exported).

``activation="channel"`` (a training option, not the paper's) gives every PReLU one slope per
channel and blocks 1-5 a learnable per-channel shift before it (``PReLU_a(v - t)``, as ReActNet's
RPReLU; the shift after it is BatchNorm's bias). Both fold into the same per-channel thresholds and
score coefficients (``pymodel.fold``): the hardware and the ROM formats do not change. Block 6 has
no shift: the hardware splits its score sums at 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pymodel.network import (  # re-exported: the torch-free definition of the topology
    FIRST_STRIDE,
    HIDDEN_CHANNELS,
    KERNEL_SIZE,
    PAD,
    PAD_VALUE,
    POOL_SIZE,
    POOL_STRIDE,
    SAMPLE_RATE_HZ,
    WINDOW_SAMPLES,
    LayerShape,
    layer_shapes,
)

__all__ = [
    "FIRST_STRIDE",
    "HIDDEN_CHANNELS",
    "KERNEL_SIZE",
    "PAD",
    "PAD_VALUE",
    "POOL_SIZE",
    "POOL_STRIDE",
    "ACTIVATIONS",
    "READOUTS",
    "SAMPLE_RATE_HZ",
    "WINDOW_SAMPLES",
    "BnnBlock",
    "EcgBnn",
    "LayerShape",
    "SignSTE",
    "activation_of",
    "model_from_state_dict",
    "binarize",
    "layer_shapes",
    "readout_scale",
    "width_of",
    "zscore",
]


class SignSTE(torch.autograd.Function):
    """sign(x) with sign(0) = +1 forward; straight-through (clipped identity) backward."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        """Binarize to +1/-1."""
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        """Pass the gradient where |x| <= 1, zero elsewhere."""
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def binarize(x: torch.Tensor) -> torch.Tensor:
    """Binarize ``x`` to +1/-1 with the straight-through estimator."""
    return SignSTE.apply(x)


# "layer": one PReLU slope per block (the paper's nn.PReLU()); "channel": one slope per channel
# and, in blocks 1-5, a per-channel shift before the PReLU
ACTIVATIONS = ("layer", "channel")


class BnnBlock(nn.Module):
    """pad(5, value 1) -> conv k7 (binary) -> maxpool(7, 2) -> PReLU -> BatchNorm."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        binary: bool,
        binary_input: bool,
        activation: str = "layer",
        shift: bool = False,
    ) -> None:
        """Create one block; ``binary_input`` binarizes the (padded) input activations.

        ``activation="channel"`` gives the PReLU one slope per channel; ``shift`` (with it) adds a
        learnable per-channel shift ``t`` before the PReLU: ``PReLU(pool - t)``.
        """
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")
        if shift and activation != "channel":
            raise ValueError("a per-channel shift needs activation='channel'")
        self.binary = binary
        self.binary_input = binary and binary_input
        self.stride = stride
        self.conv = nn.Conv1d(in_channels, out_channels, KERNEL_SIZE, stride=stride, bias=False)
        self.pool = nn.MaxPool1d(POOL_SIZE, POOL_STRIDE)
        self.prelu = nn.PReLU(out_channels if activation == "channel" else 1)
        self.shift = nn.Parameter(torch.zeros(out_channels)) if shift else None
        self.bn = nn.BatchNorm1d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the block on ``x`` of shape (batch, in_channels, length)."""
        x = F.pad(x, (PAD, PAD), value=PAD_VALUE)
        if self.binary_input:
            x = binarize(x)
        w = binarize(self.conv.weight) if self.binary else self.conv.weight
        x = self.pool(F.conv1d(x, w, stride=self.stride))
        if self.shift is not None:
            x = x - self.shift.view(1, -1, 1)
        return self.bn(self.prelu(x))


class EcgBnn(nn.Module):
    """The six-block ECG BNN; ``binary=False`` gives the full-precision twin."""

    def __init__(
        self,
        num_classes: int,
        binary: bool = True,
        dropout: float = 0.0,
        activation: str = "layer",
        width: int = 1,
    ) -> None:
        """Build the network for ``num_classes`` outputs (5 AAMI or 17 rhythm classes).

        ``width`` multiplies the hidden channels (float models only: the hardware's binary
        network has the paper's shape); a wider float model is a distillation teacher.

        ``activation``: ``"layer"`` (the paper's one PReLU slope per block) or ``"channel"``
        (per-channel slopes, and per-channel shifts before the PReLU of blocks 1-5).

        ``dropout`` drops block 6 outputs before the time sum while training (a regularizer for
        the small training sets); it has no parameters and is the identity at inference, so the
        exported network is the paper's either way.
        """
        super().__init__()
        if width < 1 or (binary and width != 1):
            raise ValueError(f"width {width}: 1 for the binary network, at least 1 for a float one")
        self.num_classes = num_classes
        self.binary = binary
        self.activation = activation
        self.width = width
        self.dropout = nn.Dropout(dropout)
        shapes = layer_shapes(num_classes)
        last = len(shapes)
        self.blocks = nn.ModuleList(
            BnnBlock(
                s.in_channels * (width if s.index > 1 else 1),
                s.out_channels * (width if s.index < last else 1),
                s.stride,
                binary,
                binary_input=s.index > 1,
                activation=activation,
                shift=activation == "channel" and s.index < last,
            )
            for s in shapes
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map z-scored windows (batch, 1, 3600) to class scores (batch, classes)."""
        for block in self.blocks:
            x = block(x)
        return self.dropout(x).sum(dim=2)


def activation_of(state_dict: dict[str, torch.Tensor]) -> str:
    """The ``activation`` of the :class:`EcgBnn` a state dict comes from (by its PReLU slopes)."""
    slopes = state_dict["blocks.0.prelu.weight"]
    return "channel" if slopes.numel() > 1 else "layer"


def width_of(state_dict: dict[str, torch.Tensor]) -> int:
    """The ``width`` of the :class:`EcgBnn` a state dict comes from (by block 1's channels)."""
    return state_dict["blocks.0.conv.weight"].shape[0] // HIDDEN_CHANNELS[0]


def model_from_state_dict(
    state_dict: dict[str, torch.Tensor], num_classes: int, binary: bool = True
) -> EcgBnn:
    """The :class:`EcgBnn` of a saved state dict (activation and width read from it), eval mode."""
    model = EcgBnn(
        num_classes,
        binary=binary,
        activation=activation_of(state_dict),
        width=width_of(state_dict),
    )
    model.load_state_dict(state_dict)  # dropout (training only) has no state
    return model.eval()


READOUTS = ("sum", "mean")


def readout_scale(num_classes: int, readout: str) -> float:
    """Factor on the class scores that the training loss sees: 1 (time sum) or 1/length (mean).

    The network's output is the sum over time (what the IP computes). Training on the mean over
    time, as the related SEU code does, only divides every score by the same positive length, so
    the argmax, and with it every exported bit, is unchanged; what changes is the softmax
    temperature of the cross entropy during training (27 times softer for block 6's 27 steps).
    """
    if readout not in READOUTS:
        raise ValueError(f"unknown readout {readout!r}; choose one of {READOUTS}")
    return 1.0 if readout == "sum" else 1.0 / layer_shapes(num_classes)[-1].pool_length


def zscore(windows: torch.Tensor) -> torch.Tensor:
    """Textbook per-window z-score (population std); a flat window maps to all zeros.

    This is exactly what the IP computes: its front end folds the same normalization into block
    1's per-window thresholds (docs/input_contract.md), rounding only ``sqrt`` and the pad value
    (relative size about ``1/(3600*std)``). ``windows`` has shape (batch, samples) of integer ADC
    samples (any gain and offset); returns (batch, 1, samples) float32.
    """
    x = windows.to(torch.float64)
    mean = x.mean(dim=1, keepdim=True)
    std = x.std(dim=1, keepdim=True, unbiased=False)
    z = torch.where(std > 0, (x - mean) / torch.where(std > 0, std, 1.0), torch.zeros_like(x))
    return z.to(torch.float32).unsqueeze(1)
