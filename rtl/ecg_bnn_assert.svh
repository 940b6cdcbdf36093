// ecg_bnn_assert.svh: the IP's assertion macros, defined here and nowhere else (after lowRISC's
// prim_assert.sv). Each checks a boolean property at every rising edge of clk_i while rst_ni is
// high (the modules' clock and synchronous active-low reset), on the values before the edge.
//   `ECG_BNN_ASSERT(Name, prop)  an obligation of this module (its outputs, its state)
//   `ECG_BNN_ASSUME(Name, prop)  an obligation of its environment (its inputs)
//   `ECG_BNN_COVER(Name, prop)   a condition that must be reachable
// The three builds:
// - FORMAL (Yosys read -formal; SymbiYosys): assert / assume / cover. Yosys also defines
//   SYNTHESIS, so FORMAL is tested first. Where a module is proven inside a larger one, the
//   proof turns its submodules' assumptions into assertions (chformal -assume2assert).
// - simulation (neither FORMAL nor SYNTHESIS): assertions and assumptions alike end the run with
//   $fatal (exit status 1 in Icarus and Verilator, and cocotb reports the test as failed),
//   naming the property through %m; covers compile to nothing. No simulator flag is needed.
// - synthesis (SYNTHESIS without FORMAL): nothing.
// `ECG_BNN_CHECKS is defined when the checks exist: modules keep the registers their properties
// read (previous-cycle values: the properties avoid $past, which Icarus 11 lacks) under it.
// Properties are plain expressions (no sequences): Icarus 11 has no concurrent assertions.
// A property containing a comma must be wrapped in parentheses.
`ifndef ECG_BNN_ASSERT_SVH
`define ECG_BNN_ASSERT_SVH

`ifdef FORMAL
  `define ECG_BNN_CHECKS
  `define ECG_BNN_ASSERT(Name, prop) \
    always @(posedge clk_i) if (rst_ni) Name: assert (prop);
  `define ECG_BNN_ASSUME(Name, prop) \
    always @(posedge clk_i) if (rst_ni) Name: assume (prop);
  `define ECG_BNN_COVER(Name, prop) \
    always @(posedge clk_i) if (rst_ni) Name: cover (prop);
`elsif SYNTHESIS
  `define ECG_BNN_ASSERT(Name, prop)
  `define ECG_BNN_ASSUME(Name, prop)
  `define ECG_BNN_COVER(Name, prop)
`else
  `define ECG_BNN_CHECKS
  `define ECG_BNN_ASSERT(Name, prop) \
    always @(posedge clk_i) if (rst_ni && !(prop)) begin : Name \
      $fatal(1, "%m: assertion failed at %0t", $time); \
    end
  `define ECG_BNN_ASSUME(Name, prop) \
    always @(posedge clk_i) if (rst_ni && !(prop)) begin : Name \
      $fatal(1, "%m: input assumption violated at %0t", $time); \
    end
  `define ECG_BNN_COVER(Name, prop)
`endif

`endif  // ECG_BNN_ASSERT_SVH
