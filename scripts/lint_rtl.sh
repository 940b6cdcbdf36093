#!/usr/bin/env bash
# Lint the RTL with Verilator (--lint-only -Wall) and Icarus Verilog (-g2012 -Wall), for the top
# level in several parameter configurations (behavioural and with the iCE40 cells) and for every
# module of rtl/ecg_bnn.f as its own top, plus the FPGA board example (fpga/up5k) and the PnR pin
# wrapper. Exits non-zero on any warning or error of either tool (`make lint-rtl`).
# Waivers live in the sources, per line, with a reason (/* verilator lint_off X */ ... lint_on).
set -u
cd "$(dirname "$0")/.."

LIST=rtl/ecg_bnn.f
# The tools read the .f lists themselves (-f, -c); module and file names come from the one reader
# of .f lists (scripts/ecg_bnn_tools/filelist.py), so comments in a list cannot become "modules".
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
filelist() { "$PYTHON" -m ecg_bnn_tools.filelist "$@"; }
# --quiet-stats: Verilator 5.048 prints a statistics report even with --lint-only
VERILATOR=${VERILATOR:-verilator}
VLINT=(--lint-only --quiet-stats -Wall -Irtl)  # rtl/: the assertion macros (ecg_bnn_assert.svh)
IVERILOG=${IVERILOG:-iverilog}
fail=0
checks=0

run() {  # run <description> <command...>: any output counts as a warning
  local desc=$1
  shift
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  checks=$((checks + 1))
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL: $desc"
    echo "$out" | sed 's/^/    /'
    fail=1
  fi
}

for tool in "$VERILATOR" "$IVERILOG"; do
  command -v "$tool" >/dev/null || { echo "lint_rtl: $tool not found (make tools)"; exit 2; }
done

modules=$(filelist --modules "$LIST") || { echo "lint_rtl: cannot read $LIST (make venv)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# every module as its own top, default parameters
for m in $modules; do
  run "verilator $m" "$VERILATOR" "${VLINT[@]}" --top-module "$m" -f "$LIST"
  run "iverilog $m" "$IVERILOG" -g2012 -Wall -I rtl -s "$m" -o "$tmp/$m.vvp" -c "$LIST"
done

# the top level in other configurations (parallelism, class count, window hop)
configs=(
  "SIMD=8 PE=1"
  "SIMD=16 PE=2"
  "SIMD=32 PE=4 NUM_CLASSES=17"
  "SIMD=64 PE=8 NUM_CLASSES=17"
  "HOP=1800"
  "HOP=360 QDEPTH=4"
  "HOP=1 QDEPTH=1"
)
lint_top() {  # lint_top <label> <"K=V ..." parameters> [defines and sources, both tools]
  local label=$1 cfg=$2 kv
  shift 2
  local vargs=() iargs=()
  for kv in $cfg; do
    vargs+=("-G$kv")
    iargs+=("-Pecg_bnn_top.$kv")
  done
  run "verilator ecg_bnn_top ($label)" "$VERILATOR" "${VLINT[@]}" --top-module ecg_bnn_top \
    "${vargs[@]}" "${VERILATOR_ONLY[@]}" "$@" -f "$LIST"
  run "iverilog ecg_bnn_top ($label)" "$IVERILOG" -g2012 -Wall -I rtl -s ecg_bnn_top "${iargs[@]}" \
    -o "$tmp/top.vvp" "$@" -c "$LIST"
}
VERILATOR_ONLY=()
for cfg in "${configs[@]}"; do
  lint_top "$cfg" "$cfg"
done

# The iCE40 build (the defines of ecg_bnn_tools.ice40, which `synth`/`up5k` set) against Yosys'
# cell models: the cells' own file is waived (a .vlt control file), the RTL around them is not
ice40=$("$PYTHON" -c 'from ecg_bnn_tools.ice40 import ICE40_DEFINES, CELL_MODEL_DEFINES, cell_models
print(cell_models()); print(*ICE40_DEFINES, *CELL_MODEL_DEFINES)') || { echo "lint_rtl: no iCE40 cell models (make venv)"; exit 2; }
cells=$(echo "$ice40" | sed -n 1p)
ice40_defines=()
for d in $(echo "$ice40" | sed -n 2p); do ice40_defines+=("-D$d"); done
printf '`verilator_config\nlint_off -file "%s"\n' "$cells" > "$tmp/ice40_cells.vlt"
VERILATOR_ONLY=("$tmp/ice40_cells.vlt")
for cfg in "" "SIMD=8 PE=1" "SIMD=64 PE=8 NUM_CLASSES=17"; do
  lint_top "iCE40 cells, ${cfg:-default}" "$cfg" "${ice40_defines[@]}" "$cells"
done

# FPGA board example and the place-and-route pin wrapper (fpga/), after the IP's sources
BOARD_LIST=fpga/up5k/ecg_bnn_board_up5k.f
board_files=$(filelist "$BOARD_LIST") || { echo "lint_rtl: cannot read $BOARD_LIST"; exit 2; }
board_modules=$(filelist --modules "$BOARD_LIST") || exit 2
for m in $board_modules ecg_bnn_pnr_wrap; do
  # shellcheck disable=SC2086
  run "verilator $m" "$VERILATOR" "${VLINT[@]}" --top-module "$m" -f "$LIST" $board_files \
    fpga/ecg_bnn_pnr_wrap.sv
  # shellcheck disable=SC2086
  run "iverilog $m" "$IVERILOG" -g2012 -Wall -I rtl -s "$m" -o "$tmp/$m.vvp" -c "$LIST" $board_files \
    fpga/ecg_bnn_pnr_wrap.sv
done

if [ $fail -ne 0 ]; then
  echo "lint_rtl: FAILED"
  exit 1
fi
echo "lint_rtl: $checks checks clean (verilator -Wall, iverilog -g2012 -Wall)"
