"""The network's constants and layer shapes, without PyTorch: the one Python definition.

Six blocks of ``pad(PAD, value PAD_VALUE) -> conv(k=KERNEL_SIZE) -> maxpool(POOL_SIZE,
POOL_STRIDE)`` with channels ``1 -> HIDDEN_CHANNELS -> classes``; block 1 strides by
``FIRST_STRIDE``. The integer golden model (:mod:`pymodel.golden`), the ROM packing and the
exporter read these without importing torch; :mod:`pymodel.model` (the PyTorch network)
re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_SAMPLES = 3600
SAMPLE_RATE_HZ = 360
KERNEL_SIZE = 7
PAD = 5
PAD_VALUE = 1.0
POOL_SIZE = 7
POOL_STRIDE = 2
HIDDEN_CHANNELS = (8, 16, 32, 32, 64)
FIRST_STRIDE = 2


@dataclass(frozen=True)
class LayerShape:
    """Static shape of one block: channels, conv stride and the lengths along time."""

    index: int
    in_channels: int
    out_channels: int
    stride: int
    in_length: int
    conv_length: int
    pool_length: int

    @property
    def macs(self) -> int:
        """Multiply-accumulates (XNOR bits for binary layers) of the convolution."""
        return self.conv_length * self.out_channels * self.in_channels * KERNEL_SIZE

    @property
    def weight_bits(self) -> int:
        """Number of binary weights of the convolution."""
        return self.out_channels * self.in_channels * KERNEL_SIZE


def layer_shapes(num_classes: int, window: int = WINDOW_SAMPLES) -> list[LayerShape]:
    """Return the six block shapes of the network for ``num_classes`` outputs."""
    channels = (1, *HIDDEN_CHANNELS, num_classes)
    shapes: list[LayerShape] = []
    length = window
    for i in range(6):
        stride = FIRST_STRIDE if i == 0 else 1
        conv_length = (length + 2 * PAD - KERNEL_SIZE) // stride + 1
        pool_length = (conv_length - POOL_SIZE) // POOL_STRIDE + 1
        shapes.append(
            LayerShape(
                i + 1, channels[i], channels[i + 1], stride, length, conv_length, pool_length
            )
        )
        length = pool_length
    return shapes
