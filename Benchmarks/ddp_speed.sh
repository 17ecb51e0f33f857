#!/usr/bin/env bash
# Data-parallel speed on this machine: one epoch of a zoo model (default cnn) on full
# Fashion-MNIST, interleaved over ROUNDS rounds, as
#   1 rank of 1 thread, 2 ranks of 1 thread (mpirun, overlap on and off), 1 process of 2 threads.
# Prints one JSON object per run (`deeplearn bench ddp --json` plus "config" and "round").
# Usage: Benchmarks/ddp_speed.sh BINARY [MODEL] [ROUNDS]   (on an idle machine; needs openmpi-bin)
set -euo pipefail
binary=${1:?usage: ddp_speed.sh BINARY [MODEL] [ROUNDS]}
model=${2:-cnn}
rounds=${3:-2}
mpirun=(mpirun -np 2 -x DEEPLEARN_THREADS=1)
[ "$(id -u)" = 0 ] && mpirun=(mpirun --allow-run-as-root -np 2 -x DEEPLEARN_THREADS=1)
tag() { sed "s/^{/{\"config\":\"$1\",\"round\":$2,/"; }
for round in $(seq 1 "$rounds"); do
    DEEPLEARN_THREADS=1 "$binary" bench ddp --model "$model" --json | tag "1 rank x 1 thread" "$round"
    "${mpirun[@]}" "$binary" bench ddp --model "$model" --json | tag "2 ranks x 1 thread" "$round"
    "${mpirun[@]}" "$binary" bench ddp --model "$model" --no-overlap --json | tag "2 ranks x 1 thread, no overlap" "$round"
    DEEPLEARN_THREADS=2 "$binary" bench ddp --model "$model" --json | tag "1 rank x 2 threads" "$round"
done
