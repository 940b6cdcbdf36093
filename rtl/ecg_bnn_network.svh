// ecg_bnn_network.svh: the network's layer table, generated from pymodel/network.py by
// `python -m pymodel.network_svh`; do not edit (tests/test_network_svh.py checks it).
// Included inside ecg_bnn_engine (memory sizes) and ecg_bnn_engine_ctrl (loop bounds);
// NUM_CLASSES is their parameter.
localparam int NET_N        = 3600;  // samples per window
localparam int NET_PAD      = 5;  // pad positions on each side of every map
localparam int NET_ACT_BITS = 7456;  // largest padded bit map (blocks 1-5)
// input channels, output channels and pooled output length of layer l
function automatic int lay_cin(input int l);
  case (l)
    1: lay_cin = 1;
    2: lay_cin = 8;
    3: lay_cin = 16;
    4: lay_cin = 32;
    5: lay_cin = 32;
    default: lay_cin = 64;
  endcase
endfunction
function automatic int lay_cout(input int l);
  case (l)
    1: lay_cout = 8;
    2: lay_cout = 16;
    3: lay_cout = 32;
    4: lay_cout = 32;
    5: lay_cout = 64;
    default: lay_cout = NUM_CLASSES;
  endcase
endfunction
function automatic int lay_lout(input int l);
  case (l)
    1: lay_lout = 898;
    2: lay_lout = 448;
    3: lay_lout = 223;
    4: lay_lout = 111;
    5: lay_lout = 55;
    default: lay_lout = 27;
  endcase
endfunction
// first weight ROM word (16-bit words), first threshold record (stream order) of layer l
function automatic int lay_wbase(input int l);
  case (l)
    1: lay_wbase = 0;
    2: lay_wbase = 8;
    3: lay_wbase = 72;
    4: lay_wbase = 296;
    5: lay_wbase = 744;
    default: lay_wbase = 1640;
  endcase
endfunction
function automatic int lay_tbase(input int l);
  case (l)
    1: lay_tbase = 0;
    2: lay_tbase = 8;
    3: lay_tbase = 24;
    4: lay_tbase = 56;
    5: lay_tbase = 88;
    default: lay_tbase = 152;
  endcase
endfunction
