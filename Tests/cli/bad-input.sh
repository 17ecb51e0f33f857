#!/usr/bin/env bash
# Every class of bad flag and environment value: a bad flag must give exactly one line on stderr
# naming the flag and a non-zero exit; a bad environment value one warning line naming the
# variable, and the command still works.
#
#   Tests/cli/bad-input.sh [DEEPLEARN_BINARY]
set -uo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-.build/release/deeplearn}
data=Fuzz/corpus/fashion
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 cases=0

# expect_error NEEDLE ARGS...: non-zero exit, one stderr line containing NEEDLE.
expect_error() {
    local needle=$1; shift
    cases=$((cases + 1))
    "$binary" "$@" > /dev/null 2> "$work/err"; local code=$?
    local lines; lines=$(wc -l < "$work/err")
    if [ "$code" -eq 0 ] || [ "$code" -ge 128 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$needle" "$work/err"; then
        echo "FAIL: deeplearn $* -> exit $code, $lines lines (want 1 naming '$needle'):"; sed 's/^/    /' "$work/err" | head -5
        failures=$((failures + 1))
    fi
}

# expect_warning VARIABLE=VALUE NEEDLE ARGS...: exit 0, one warning line naming the variable.
expect_warning() {
    local assignment=$1 needle=$2; shift 2
    cases=$((cases + 1))
    env "$assignment" "$binary" "$@" > /dev/null 2> "$work/err"; local code=$?
    local warnings; warnings=$(grep -c "deeplearn: warning: .*$needle" "$work/err")
    if [ "$code" -ne 0 ] || [ "$warnings" -ne 1 ] || [ "$(wc -l < "$work/err")" -ne 1 ]; then
        echo "FAIL: $assignment deeplearn $* -> exit $code, $warnings warnings naming $needle:"; sed 's/^/    /' "$work/err" | head -5
        failures=$((failures + 1))
    fi
}

train=(train --data "$data" --output "$work/m.safetensors")
# Rates: NaN, infinity, out of range.
expect_error "--learning-rate" "${train[@]}" --learning-rate nan
expect_error "--learning-rate" "${train[@]}" --learning-rate inf
expect_error "--learning-rate" "${train[@]}" --learning-rate 0
expect_error "--weight-decay" "${train[@]}" --weight-decay=-1
expect_error "--weight-decay" "${train[@]}" --weight-decay -1
expect_error "--label-smoothing" "${train[@]}" --label-smoothing 2
expect_error "--dropout" "${train[@]}" --dropout 1
expect_error "--learning-rate" seq2seq --learning-rate inf
expect_error "--temperature" lm sample --checkpoint "$work/none.safetensors" --temperature nan
# Counts and sizes: negative (either spelling gives the same message), zero, beyond the machine.
expect_error "--epochs must be in 1...1000000, got -1" "${train[@]}" --epochs -1
expect_error "--epochs must be in 1...1000000, got -1" "${train[@]}" --epochs=-1
expect_error "--batch-size" "${train[@]}" --batch-size 0
expect_error "--batch-size" "${train[@]}" --batch-size 100000
expect_error "--batch-size" lm train --batch-size 100000 --steps 1
expect_error "--size" bench gemm --size 100000
expect_error "--runs" bench gemm --runs 2
expect_error "--steps" seq2seq --steps 0
expect_error "--length" lm sample --checkpoint "$work/none.safetensors" --length -5
# Names and files.
expect_error "unknown model 'nope'" "${train[@]}" --model nope
expect_error "--resume continues the saved recipe; --learning-rate" "${train[@]}" --resume "$work/m.safetensors" --learning-rate 0.1
expect_error "--tensorboard /proc/none/tb: cannot create the directory" "${train[@]}" --epochs 1 --tensorboard /proc/none/tb
expect_error "--log /proc/none/log.csv: cannot create the file" "${train[@]}" --epochs 1 --log /proc/none/log.csv
expect_error "--tensorboard is for Fashion-MNIST; it does not apply with --csv" train --csv Fuzz/corpus/table/fruit.csv --label kind --tensorboard "$work/tb"
expect_error "give --checkpoint F or --model NAME" export --output "$work/m.onnx"
expect_error "unknown model 'vgg'" export --model vgg --output "$work/m.onnx"
expect_error "--input-shape must be 1 to 4 sizes" export --model mlp --output "$work/m.onnx" --input-shape 1048576,1048576,1048576,1048576
printf 'not an onnx file' > "$work/bad.onnx"
expect_error "bad.onnx: not a valid ONNX file" import "$work/bad.onnx" --output "$work/i.safetensors"
expect_error "cannot read the file" import "$work/missing.onnx" --output "$work/i.safetensors"
expect_error "--state-dict needs --model NAME" evaluate --state-dict "$work/m.safetensors"
expect_error "give --checkpoint F, or --state-dict F with --model NAME" evaluate
expect_error "unknown environment 'pong'" rl step --env pong --input "$work/s.json"
printf '{"states": [[0, 0]], "actions": [[1]]}' > "$work/s.json"
expect_error "state 0 must be 4 numbers within" rl step --env cartpole --input "$work/s.json"
printf '{"states": [[0, 0, 0, 0]], "actions": [[2]]}' > "$work/s.json"
expect_error "action 0 must be one of 0..<2" rl step --env cartpole --input "$work/s.json"
printf '{"states": [[1e300]], "actions": [[0]]}' > "$work/s.json"
expect_error "a cell 0...15" rl step --env gridworld --input "$work/s.json"
printf '{"states": [[1e20, 0, 0, 0]], "actions": [[0]]}' > "$work/s.json"
expect_error "within ±10^6" rl step --env acrobot --input "$work/s.json"
expect_error "unknown algorithm 'td3'" rl train --algo td3
expect_error "dqn needs discrete actions" rl train --env pendulum --steps 10
expect_error "sac needs continuous actions" rl train --env cartpole --algo sac --steps 10
expect_error "qlearning needs a finite state space" rl train --env cartpole --algo qlearning --steps 10
expect_error "--plot must name a .svg or .png file" rl train --steps 10 --plot curve.jpg
expect_error "--output must name a .safetensors file" rl train --steps 10 --output agent.pt
expect_error "--learning-rate must be in (0, 1]" rl train --steps 10 --learning-rate nan
expect_error "--checkpoint $work/none.safetensors" rl play --checkpoint "$work/none.safetensors"
"$binary" rl train --env gridworld --algo qlearning --steps 200 --output "$work/grid.safetensors" > /dev/null
"$binary" train --epochs 1 --batch-size 16 --data "$data" --output "$work/mlp.safetensors" > /dev/null 2>&1
expect_error "not an \`rl train\` policy" rl play --checkpoint "$work/mlp.safetensors"
expect_error "--episodes" rl play --checkpoint "$work/grid.safetensors" --episodes 0
expect_error "--hidden must be 1 to 8 sizes" rl train --hidden 0,5 --steps 10
printf '{"states": [[0, 0, 0, 0]]}' > "$work/s.json"
expect_error "needs \"states\" and \"actions\"" rl step --env cartpole --input "$work/s.json"
# Generative models: the flag, the model it does not apply to, a checkpoint that is not one.
expect_error "unknown model 'diffusion'; choose one of ae, dae, vae, gan, cgan" generate train --model diffusion
expect_error "--corruption: corruption 'blur:2'" generate train --model dae --corruption blur:2
expect_error "--loss must be non-saturating or hinge" generate train --model gan --loss wasserstein
expect_error "--beta must be finite and >= 0" generate train --model vae --beta nan
expect_error "--epochs must be in 1...100000" generate train --model ae --epochs 0
expect_error "--output must name a .safetensors file" generate train --model ae --output ae.pt
expect_error "the vae is dense" generate train --model vae --architecture conv --data "$data"
"$binary" generate train --model ae --epochs 1 --limit 64 --data "$data" --output "$work/ae.safetensors" --json > /dev/null
expect_error "--class applies only to a cgan" generate sample --checkpoint "$work/ae.safetensors" --class 3 --data "$data" --output "$work/g.png"
expect_error "--interpolate applies only to a vae" generate sample --checkpoint "$work/ae.safetensors" --interpolate 2 --data "$data" --output "$work/g.png"
expect_error "not a generative model" generate sample --checkpoint "$work/grid.safetensors" --output "$work/g.png"
expect_error "--count must be in 1...1000" generate sample --checkpoint "$work/ae.safetensors" --count 0 --output "$work/g.png"
# Compression: flags out of range, files that are not classifiers, settings that do not go together.
prune=(compress prune --checkpoint "$work/mlp.safetensors" --data "$data" --output "$work/p.safetensors")
expect_error "--checkpoint $work/none.safetensors: no such file" compress prune --checkpoint "$work/none.safetensors" --sparsity 0.5 --output "$work/p.safetensors"
expect_error "--sparsity must be in [0, 1), got 1.5" "${prune[@]}" --sparsity 1.5
expect_error "--sparsity must be in [0, 1), got nan" "${prune[@]}" --sparsity nan
expect_error "--units must be conv, dense or all" "${prune[@]}" --sparsity 0.5 --structured --units filters
expect_error "--scope must be global or per-layer" "${prune[@]}" --sparsity 0.5 --scope local
expect_error "--schedule must be gradual or one-shot" "${prune[@]}" --sparsity 0.5 --schedule cubic
expect_error "--schedule gradual prunes while fine-tuning" "${prune[@]}" --sparsity 0.5 --schedule gradual --fine-tune-epochs 0
expect_error "--schedule applies to unstructured pruning" "${prune[@]}" --sparsity 0.5 --structured --schedule one-shot
expect_error "--learning-rate must be a finite number > 0" "${prune[@]}" --sparsity 0.5 --learning-rate -1
expect_error "--fine-tune-epochs must be in 0...1000" "${prune[@]}" --sparsity 0.5 --fine-tune-epochs -2
expect_error "--output must name a .safetensors file" compress prune --checkpoint "$work/mlp.safetensors" --sparsity 0.5 --output p.pt
expect_error "outputs per image, not 10 class scores" compress prune --checkpoint "$work/ae.safetensors" --sparsity 0.5 --data "$data" --output "$work/p.safetensors"
expect_error "--mode qat (quantization-aware training) is not built yet" compress quantize --checkpoint "$work/mlp.safetensors" --mode qat --output "$work/q.safetensors"
expect_error "--mode must be static or dynamic, got 'int4'" compress quantize --checkpoint "$work/mlp.safetensors" --mode int4 --output "$work/q.safetensors"
expect_error "--calibration-images must be in 1...60000" compress quantize --checkpoint "$work/mlp.safetensors" --calibration-images 0 --output "$work/q.safetensors"
expect_error "--m must be in 1...8192" bench qgemm --m 0
expect_error "unknown student 'tiny'; choose one of small-mlp, small-cnn" compress distill --teacher "$work/mlp.safetensors" --student tiny --output "$work/s.safetensors"
expect_error "--temperature must be a finite number > 0, got 0" compress distill --teacher "$work/mlp.safetensors" --student small-mlp --temperature 0 --output "$work/s.safetensors"
expect_error "--alpha must be in [0, 1], got 2" compress distill --teacher "$work/mlp.safetensors" --student small-mlp --alpha 2 --output "$work/s.safetensors"
expect_error "--teacher $work/none.safetensors: no such file" compress distill --teacher "$work/none.safetensors" --student small-mlp --output "$work/s.safetensors"
# A sparse checkpoint whose values were cut short is an error naming the tensor, for every reader.
"$binary" compress prune --checkpoint "$work/mlp.safetensors" --sparsity 0.9 --fine-tune-epochs 0 --data "$data" --output "$work/p.safetensors" --json > /dev/null
python3 - "$work/p.safetensors" "$work/bad-sparse.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
entry = header["0.weight/sparse_values"]
entry["shape"][0] -= 1
entry["data_offsets"][1] -= 4
body = bytearray(raw[8 + n:])
cut = entry["data_offsets"][1]
del body[cut:cut + 4]
for name, e in header.items():
    if name != "__metadata__" and e["data_offsets"][0] > cut:
        e["data_offsets"] = [e["data_offsets"][0] - 4, e["data_offsets"][1] - 4]
text = json.dumps(header).encode()
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + bytes(body))
PY
expect_error "sparse tensors: '0.weight' has" evaluate --checkpoint "$work/bad-sparse.safetensors" --data "$data"
expect_error "sparse tensors: '0.weight' has" summary --checkpoint "$work/bad-sparse.safetensors"
expect_error "sparse tensors: '0.weight' has" bench inference --checkpoint "$work/bad-sparse.safetensors" --data "$data"
# A quantized file whose weight scale was zeroed: every reader names the layer.
"$binary" compress quantize --checkpoint "$work/mlp.safetensors" --data "$data" --output "$work/q.safetensors" --json > /dev/null
python3 - "$work/q.safetensors" "$work/bad-q.safetensors" <<'PY'
import json, struct, sys
raw = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", raw[:8])[0]
start = json.loads(raw[8:8 + n])["1.weight_scale"]["data_offsets"][0]
raw[8 + n + start:8 + n + start + 4] = struct.pack("<f", 0.0)
open(sys.argv[2], "wb").write(raw)
PY
expect_error "quantized network: layer 1: weight scales must be finite and > 0" evaluate --checkpoint "$work/bad-q.safetensors" --data "$data"
expect_error "quantized network: layer 1: weight scales must be finite and > 0" bench inference --checkpoint "$work/bad-q.safetensors" --data "$data"
expect_error "nothing to score" generate score --file "$work/ae.safetensors" --data "$data"
expect_error "the network does not take inputs of shape [3]" export --model mlp --output "$work/m.onnx" --input-shape 3
expect_error "no such file" evaluate --checkpoint "$work/none.safetensors" --data "$data"
printf '0,300\n' > "$work/bad.csv"
expect_error "expected 784 values" predict --checkpoint Fuzz/corpus/checkpoint/linear.safetensors --input "$work/bad.csv"
awk 'BEGIN { for (i = 0; i < 784; i++) printf (i ? ",%d" : "%d"), (i == 5 ? 300 : 0); print "" }' > "$work/pixel.csv"
expect_error "pixel value 300.0 is outside 0...255" predict --checkpoint Fuzz/corpus/checkpoint/linear.safetensors --input "$work/pixel.csv"
# Tables: the column, the row and what to do about it, never NaN training or a crash.
table=Fuzz/corpus/table/fruit.csv
tabular=(train --csv "$table" --label kind --epochs 2 --output "$work/t.safetensors")
expect_error "--csv needs --label COLUMN" train --csv "$table"
expect_error "no column named 'knd'; the columns are 'size', 'colour', 'weight', 'kind'" train --csv "$table" --label knd
expect_error "column 'weight', row 9: missing value; drop those rows or impute them (--drop-missing, --impute)" "${tabular[@]}"
expect_error "--hidden must be widths separated by commas" "${tabular[@]}" --hidden 64,x
expect_error "--hidden must be 1 to 64 widths" "${tabular[@]}" --hidden 0
expect_error "--test-fraction must be in (0, 1), got 1.5" "${tabular[@]}" --test-fraction 1.5
expect_error "unknown --impute 'sometimes'" "${tabular[@]}" --impute sometimes
expect_error "unknown --task 'clustering'" "${tabular[@]}" --task clustering
expect_error "--model is for Fashion-MNIST; it does not apply with --csv" "${tabular[@]}" --model cnn
expect_error "--label, --test-csv, --test-fraction and --hidden need --csv FILE" train --label kind
expect_error "--folds must be in 2...1000, got 1" cv --csv "$table" --label kind --folds 1
expect_error "cv needs --csv FILE and --label COLUMN" cv --folds 3
sed '5s/^[^,]*,/4x,/' "$table" > "$work/typo.csv"
expect_error "column 'size', row 5: '4x' is not a number, though 39 of the column's 40 values are" train --csv "$work/typo.csv" --label kind --impute mean --epochs 1 --output "$work/t.safetensors"
# The same table without quoted fields, for awk and cut.
sed 's/"blue, dark"/blue/' "$table" > "$work/plain.csv"
cut -d, -f1-3 "$work/plain.csv" > "$work/nolabel.csv"
"$binary" train --csv "$table" --label kind --impute mean --epochs 2 --output "$work/t.safetensors" --json > /dev/null 2>&1
expect_error "not a table model; evaluate it without --csv" evaluate --checkpoint Fuzz/corpus/checkpoint/linear.safetensors --csv "$table"
expect_error "no column named 'kind'" evaluate --checkpoint "$work/t.safetensors" --csv "$work/nolabel.csv"
sed 's/,small$/,tiny/' "$table" > "$work/unseen.csv"
expect_error "class 'tiny' was not seen in training (the classes are 'big', 'small')" evaluate --checkpoint "$work/t.safetensors" --csv "$work/unseen.csv"
cut -d, -f1,3,4 "$work/plain.csv" > "$work/nocolour.csv"
expect_error "no column named 'colour'" predict --checkpoint "$work/t.safetensors" --input "$work/nocolour.csv"
expect_error "--has-header is for image CSVs" predict --checkpoint "$work/t.safetensors" --input "$table" --has-header
# An unseen category is predicted (out of vocabulary) with one warning naming the column and row.
sed '3s/,green,/,mauve,/' "$table" > "$work/mauve.csv"
cases=$((cases + 1))
"$binary" predict --checkpoint "$work/t.safetensors" --input "$work/mauve.csv" > /dev/null 2> "$work/err" \
    && [ "$(wc -l < "$work/err")" -eq 1 ] && grep -qF "column 'colour', row 3: category 'mauve' was not seen in training" "$work/err" \
    || { echo "FAIL: predict with an unseen category:"; sed 's/^/    /' "$work/err" | head -5; failures=$((failures + 1)); }
# A constant column trains, with one warning naming it.
awk -F, 'BEGIN { OFS = "," } NR > 1 { $3 = 5 } { print }' "$work/plain.csv" > "$work/constant.csv"
cases=$((cases + 1))
"$binary" train --csv "$work/constant.csv" --label kind --epochs 2 --output "$work/c.safetensors" --json > "$work/out" 2> "$work/err" \
    && [ "$(wc -l < "$work/err")" -eq 1 ] && grep -qF "column 'weight' has the same value in every training row" "$work/err" \
    && grep -q '"test_accuracy":[0-9]' "$work/out" \
    || { echo "FAIL: train with a constant column:"; sed 's/^/    /' "$work/err" | head -5; failures=$((failures + 1)); }
# Environment: a warning naming the variable, and the run goes on with the default.
expect_warning DEEPLEARN_THREADS=abc DEEPLEARN_THREADS bench gemm --size 256 --runs 5
expect_warning DEEPLEARN_THREADS=0 DEEPLEARN_THREADS bench gemm --size 256 --runs 5
expect_warning DEEPLEARN_BLAS=/nonexistent.so DEEPLEARN_BLAS bench gemm --size 64 --runs 5

echo "{\"cases\": $cases, \"failures\": $failures}"
[ "$failures" -eq 0 ]
