#!/usr/bin/env bash
# Install the simulators and FPGA tools from Debian when any is missing.
# As root it runs apt-get itself; otherwise it names the command to run and fails.
set -euo pipefail
need=()
command -v iverilog      >/dev/null || need+=(iverilog)
command -v verilator     >/dev/null || need+=(verilator)
command -v yosys         >/dev/null || need+=(yosys)
command -v nextpnr-ice40 >/dev/null || need+=(nextpnr-ice40)
command -v icepack       >/dev/null || need+=(fpga-icestorm)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "setup_tools: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "setup_tools: missing ${need[*]}; run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
