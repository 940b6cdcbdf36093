"""The engine's layer table is generated from the Python network definition and is current."""

from pymodel import network_svh
from pymodel.network import layer_shapes


def test_generated_layer_table_is_current():
    """rtl/ecg_bnn_network.svh equals its rendering from pymodel/network.py."""
    assert network_svh.SVH_PATH.read_text() == network_svh.render_svh()


def test_layer_table_holds_every_layer():
    """Every hidden layer's shape appears in the table's case lines."""
    text = network_svh.render_svh()
    for s in layer_shapes(17)[:-1]:
        assert f"{s.index}: lay_cin = {s.in_channels};" in text
        assert f"{s.index}: lay_cout = {s.out_channels};" in text
        assert f"{s.index}: lay_lout = {s.pool_length};" in text
    assert "default: lay_cout = NUM_CLASSES;" in text
