#!/usr/bin/env bash
# Kills `deeplearn train` with SIGKILL at random moments while it writes a checkpoint (weights
# and optimizer state) at the end of every epoch, and checks after each kill that what is on disk
# is whole: the weights file loads, the optimizer file it names exists and belongs to it (same
# checkpoint id), and `train --resume` continues from it. Exits non-zero on the first failure.
#
#   Tests/crash/kill-during-checkpoint.sh [KILLS] [DEEPLEARN_BINARY]
#
# Training uses the 32-image set of the fuzz corpus, so an epoch is a few milliseconds of
# training and most of each run is spent writing the 2.8 MB of weights and optimizer state.
set -euo pipefail
cd "$(dirname "$0")/../.."
kills=${1:-100}
binary=${2:-.build/release/deeplearn}
data=Fuzz/corpus/fashion
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checkpoint="$work/mlp.safetensors"
resumed=0 empty=0 mid_write=0 between_files=0
for i in $(seq 1 "$kills"); do
    "$binary" train --data "$data" --epochs 100000 --batch-size 16 --seed "$i" --output "$checkpoint" --json \
        > /dev/null 2> "$work/stderr" &
    pid=$!
    # A random moment in the first 0.05-1.5 s: well inside the run, at any phase of a write.
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.05 + 1.45 * r / 32767 }')"
    kill -9 "$pid" 2> /dev/null || { echo "kill $i: the run ended by itself:"; cat "$work/stderr"; exit 1; }
    wait "$pid" 2> /dev/null || true
    # Where the kill landed: inside a file's write (a temporary file is left), or between the
    # optimizer file's rename and the weights file's (two optimizer files).
    if ls -A "$work" | grep -q '\.tmp-'; then mid_write=$((mid_write + 1)); fi
    if [ "$(ls "$work" | grep -c '^mlp\.optimizer-')" -gt 1 ]; then between_files=$((between_files + 1)); fi
    if [ ! -e "$checkpoint" ]; then empty=$((empty + 1)); continue; fi
    epoch=$(python3 -c "
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
print(json.loads(data[8:8 + n])['__metadata__']['epoch'])" "$checkpoint")
    # Resuming reads both files, checks they belong together, and trains one more epoch.
    if ! "$binary" train --resume "$checkpoint" --epochs $((epoch + 2)) --data "$data" --output "$work/resumed.safetensors" --json \
            > /dev/null 2> "$work/resume-stderr"; then
        echo "kill $i (after epoch $epoch): the checkpoint left behind does not resume:"
        cat "$work/resume-stderr"
        exit 1
    fi
    resumed=$((resumed + 1))
    # At most the killed writer's temporary file and one optimizer file may be left beside the weights.
    leftovers=$(ls -A "$work" | grep -c '\.tmp-' || true)
    optimizers=$(ls "$work" | grep -c '^mlp\.optimizer-' || true)
    if [ "$leftovers" -gt 1 ] || [ "$optimizers" -gt 2 ]; then
        echo "kill $i: $leftovers temporary and $optimizers optimizer files accumulate:"; ls -A "$work"; exit 1
    fi
    rm -f "$work"/resumed.* "$work"/.resumed.*
done
echo "{\"kills\": $kills, \"inside_a_write\": $mid_write, \"between_the_two_files\": $between_files, \"resumed\": $resumed, \"before_first_checkpoint\": $empty, \"failures\": 0}"
