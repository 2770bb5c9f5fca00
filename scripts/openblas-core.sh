# Sourced by the scripts that time PyTorch peers (compare-torch.sh, compare-classifier.sh).
# OpenBLAS (Debian's PyTorch's BLAS) picks its kernels from the CPU's family and model numbers. Some virtual machines
# report a generic "Intel Xeon Processor" that it does not know, and it falls back to its oldest kernels (Prescott,
# SSE3): on such a 2-core AVX-512 machine, libtorch's mlp iteration took 28.9 ms instead of 10.8. The peers are meant
# to be measured at their best, so when OpenBLAS names a core without the vector instructions this CPU has, this
# exports OPENBLAS_CORETYPE naming the core that has them (an OPENBLAS_CORETYPE of your own is kept), and says so.
# (Nothing detected, e.g. PyTorch not installed yet, counts as a core without those instructions.)
openblas_detected=$( (OPENBLAS_VERBOSE=2 /usr/bin/python3 -c 'import torch; torch.ones(64, 64) @ torch.ones(64, 64)' 2>&1 || true) | sed -n 's/^Core: //p' | head -1) || true
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  openblas_wanted=
  if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
    case "$openblas_detected" in SkylakeX | CooperLake | SapphireRapids) ;; *) openblas_wanted=SkylakeX ;; esac
  elif grep -qw avx2 /proc/cpuinfo; then
    case "$openblas_detected" in Haswell | Zen | SkylakeX | CooperLake | SapphireRapids) ;; *) openblas_wanted=Haswell ;; esac
  fi
  if [ -n "$openblas_wanted" ]; then
    echo "OpenBLAS takes this CPU for '${openblas_detected:-unknown}', without its vector instructions: the PyTorch peers run with OPENBLAS_CORETYPE=$openblas_wanted" >&2
    export OPENBLAS_CORETYPE=$openblas_wanted
  else
    echo "OpenBLAS core: ${openblas_detected:-unknown}" >&2
  fi
else
  echo "OpenBLAS core: $OPENBLAS_CORETYPE (OPENBLAS_CORETYPE)" >&2
  # Kept as set, but a core narrower than the CPU's vectors measures the peers below their best: on a 2-core AVX-512
  # AMD EPYC (family 26) whose environment set Haswell, libtorch's mlp iteration took 10-43% longer and its dcgan
  # iteration 7-72% longer than with SkylakeX (4 alternating rounds; docs/performance.md).
  if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
    case "$OPENBLAS_CORETYPE" in
      SkylakeX | CooperLake | SapphireRapids) ;;
      *) echo "warning: this CPU has AVX-512 and OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE does not use it; for the peers at their best run with OPENBLAS_CORETYPE=SkylakeX" >&2 ;;
    esac
  fi
fi
