#!/usr/bin/env bash
# Data-parallel training over Open MPI on this machine, 2 ranks of 1 thread each:
#   1. same result: the mlp and the cnn (dropout off) after 10 steps and after one epoch of the
#      bundled sample (47 steps) hold the weights one process of 1 thread reaches (bound 1e-5;
#      an even split gives the same bits, so the difference printed is 0);
#   2. a rank killed mid-epoch ends the job within 30 s with mpirun's message naming it, the
#      checkpoint written before loads, and --resume finishes the run with the weights of a run
#      never stopped (the cnn, with its dropout);
#   3. a rank that hangs (SIGSTOP) ends the job within 30 s with one line naming it;
#   4. distributed flags and settings that cannot work are one-line errors.
# Usage: Tests/distributed/run.sh BINARY PYTHON   (PYTHON with numpy and safetensors)
set -euo pipefail
binary=$(realpath "${1:?usage: run.sh BINARY PYTHON}")
python=${2:?usage: run.sh BINARY PYTHON}
here=$(cd "$(dirname "$0")" && pwd)
sample=$(cd "$here/../../Sources/Datasets/Resources/fashion-mnist-sample" && pwd)
command -v mpirun >/dev/null || { echo "mpirun not found: apt-get install openmpi-bin" >&2; exit 1; }
mpirun=(mpirun --oversubscribe -np 2 -x DEEPLEARN_THREADS=1)
[ "$(id -u)" = 0 ] && mpirun=(mpirun --allow-run-as-root --oversubscribe -np 2 -x DEEPLEARN_THREADS=1)
work=$(mktemp -d)
trap 'pkill -9 -f "$binary train --distributed" 2>/dev/null || true; rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

echo "== same result: 2 ranks against 1 process"
"$python" "$here/make_subset.py" "$sample" 1280 "$work/steps10"
for model in mlp cnn; do
    for data in "$work/steps10" "$sample"; do
        name=$(basename "$data")
        DEEPLEARN_THREADS=1 "$binary" train --model "$model" --epochs 1 --dropout 0 --data "$data" \
            --output "$work/$model-$name-1.safetensors" --json > /dev/null
        "${mpirun[@]}" "$binary" train --distributed --model "$model" --epochs 1 --dropout 0 --data "$data" \
            --output "$work/$model-$name-2.safetensors" --json > /dev/null
        "$python" "$here/compare_weights.py" "$work/$model-$name-1.safetensors" "$work/$model-$name-2.safetensors" 1e-5 \
            "$model, $name ($( [ "$name" = steps10 ] && echo 10 || echo 47) steps)" || fail "$model $name: weights differ"
    done
done

# The PID of rank 1 of the running job.
rank1() {
    for pid in $(pgrep -f "$binary train --distributed"); do
        if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then echo "$pid"; return; fi
    done
}
# Starts a 3-epoch cnn run in the background, waits for its first epoch's checkpoint and log line.
start_run() {
    local dir=$1; shift
    mkdir -p "$dir"
    ( rc=0
      "${mpirun[@]}" "$@" "$binary" train --distributed --model cnn --epochs 3 --data "$sample" \
          --output "$dir/run.safetensors" --log "$dir/log.csv" --json > "$dir/out" 2> "$dir/err" || rc=$?
      echo "$rc" > "$dir/rc" ) &
    for _ in $(seq 1 600); do
        [ -f "$dir/log.csv" ] && [ "$(wc -l < "$dir/log.csv")" -ge 2 ] && break
        sleep 0.1
    done
    sleep 0.3
}
# Waits for the run to end; prints the seconds since $1.
wait_run() {
    local dir=$1 since=$2
    for _ in $(seq 1 600); do [ -f "$dir/rc" ] && break; sleep 0.1; done
    awk -v now="$(date +%s.%N)" -v since="$since" 'BEGIN { printf "%.1f", now - since }'
}

echo "== a rank killed mid-epoch"
start_run "$work/kill"
pid=$(rank1); [ -n "$pid" ] || fail "no rank 1 found"
kill -9 "$pid"; killed=$(date +%s.%N)
seconds=$(wait_run "$work/kill" "$killed")
echo "job ended $seconds s after the kill, exit status $(cat "$work/kill/rc")"
awk -v s="$seconds" 'BEGIN { exit !(s < 30) }' || fail "the job did not end within 30 s of the kill"
[ "$(cat "$work/kill/rc")" != 0 ] || fail "the job exited 0 after a rank was killed"
grep -q "rank 1" "$work/kill/err" || fail "no message names rank 1: $(cat "$work/kill/err")"
"$binary" evaluate --checkpoint "$work/kill/run.safetensors" --data "$sample" --json || fail "the checkpoint written before the kill does not load"
"${mpirun[@]}" "$binary" train --distributed --resume "$work/kill/run.safetensors" --data "$sample" --json > /dev/null \
    || fail "--resume after the kill failed"
"${mpirun[@]}" "$binary" train --distributed --model cnn --epochs 3 --data "$sample" --output "$work/uninterrupted.safetensors" --json > /dev/null
"$python" "$here/compare_weights.py" "$work/kill/run.safetensors" "$work/uninterrupted.safetensors" 0 "resumed after the kill, against a run never stopped" \
    || fail "the resumed run's weights differ from the uninterrupted run's"

echo "== a rank that hangs"
start_run "$work/hang" -x DEEPLEARN_DISTRIBUTED_TIMEOUT=5
pid=$(rank1); [ -n "$pid" ] || fail "no rank 1 found"
kill -STOP "$pid"; stopped=$(date +%s.%N)
seconds=$(wait_run "$work/hang" "$stopped")
echo "job ended $seconds s after rank 1 stopped: $(grep '^deeplearn:' "$work/hang/err" || true)"
awk -v s="$seconds" 'BEGIN { exit !(s < 30) }' || fail "the job did not end within 30 s of the hang"
grep -q "^deeplearn: rank 0: .*rank 1 has stopped or hangs" "$work/hang/err" || fail "no line names rank 1: $(cat "$work/hang/err")"

echo "== settings that cannot work"
expect_error() {
    local pattern=$1; shift
    if output=$("$@" 2>&1 > /dev/null); then fail "succeeded: $*"; return; fi
    echo "$output" | grep -q "$pattern" || fail "'$*' printed: $output"
}
expect_error "DEEPLEARN_DISTRIBUTED_TIMEOUT" env DEEPLEARN_DISTRIBUTED_TIMEOUT=soon "$binary" train --distributed --epochs 1 --data "$sample"
expect_error "cannot be shared by 2 ranks" "${mpirun[@]}" "$binary" train --distributed --batch-size 1 --epochs 1 --data "$sample"
expect_error "does not apply with --csv" "$binary" train --distributed --csv "$here/../../Examples/OwnData/iris.csv" --label species

[ "$failures" = 0 ] || { echo "$failures distributed checks failed" >&2; exit 1; }
echo "distributed: all checks passed"
