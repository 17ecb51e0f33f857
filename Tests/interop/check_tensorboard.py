"""Reads the TensorBoard event files of a `deeplearn train --tensorboard DIR --log LOG.csv` run
with TensorBoard's own EventAccumulator and checks that every epoch's scalars equal the CSV
log's values, that a histogram of every parameter, the sample image grid and the run's
hyperparameters (the HParams dashboard's summaries) are there.

    python Tests/interop/check_tensorboard.py DIR LOG.csv
"""
import csv
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def load(directory):
    acc = EventAccumulator(directory, size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def main():
    directory, log = sys.argv[1], sys.argv[2]
    rows = list(csv.DictReader(open(log)))
    train, validation = load(directory + "/train"), load(directory + "/validation")
    failures = []

    def check_scalar(acc, tag, column):
        events = acc.Scalars(tag)
        got = [(e.step, e.value) for e in events]
        want = [(int(r["epoch"]), float(r[column])) for r in rows]
        if len(got) != len(want) or any(gs != ws or abs(gv - wv) > 1e-6 * max(1, abs(wv)) for (gs, gv), (ws, wv) in zip(got, want)):
            failures.append(f"{tag}: {got} != {want}")

    tags = train.Tags()
    for column in rows[0]:
        if column == "epoch":
            continue
        if column.startswith("val_"):
            check_scalar(validation, "epoch_" + column[4:], column)
        else:
            check_scalar(train, "epoch_learning_rate" if column == "lr" else "epoch_" + column, column)
    histograms = tags["histograms"]
    if not any(t.endswith("weight") for t in histograms):
        failures.append(f"no weight histograms among {histograms}")
    for tag in histograms:
        h = train.Histograms(tag)
        if len(h) != len(rows) or any(e.histogram_value.num <= 0 for e in h):
            failures.append(f"histogram {tag}: {len(h)} events for {len(rows)} epochs")
    images = train.Images("samples") if "samples" in tags["images"] else []
    if len(images) != 1 or images[0].width <= 0 or images[0].height <= 0:
        failures.append(f"sample images: {[(i.width, i.height) for i in images]}")
    else:
        from io import BytesIO
        try:
            from PIL import Image
            with Image.open(BytesIO(images[0].encoded_image_string)) as im:
                if im.size != (images[0].width, images[0].height):
                    failures.append(f"PNG size {im.size} != {(images[0].width, images[0].height)}")
        except ImportError:
            pass
    # The HParams dashboard's summaries: the experiment, the session's start with the run's
    # hyperparameters, and its end.
    from tensorboard.plugins.hparams import plugin_data_pb2
    hparams = {tag: plugin_data_pb2.HParamsPluginData.FromString(content) for tag, content in train.PluginTagToContent("hparams").items()}
    start = hparams.get("_hparams_/session_start_info")
    experiment = hparams.get("_hparams_/experiment")
    if start is None or experiment is None or "_hparams_/session_end_info" not in hparams:
        failures.append(f"hparams summaries missing: {sorted(hparams)}")
    else:
        values = start.session_start_info.hparams
        if values["epochs"].number_value != len(rows) or not values["model"].string_value or values["learning_rate"].number_value <= 0:
            failures.append(f"hparams values: {dict(values)}")
        if sorted(i.name for i in experiment.experiment.hparam_infos) != sorted(values.keys()):
            failures.append("the experiment's hyperparameters differ from the session's")
        if "epoch_loss" not in [m.name.tag for m in experiment.experiment.metric_infos]:
            failures.append("epoch_loss is not among the experiment's metrics")
        if hparams["_hparams_/session_end_info"].session_end_info.status != 1:
            failures.append("the session did not end with STATUS_SUCCESS")
    if "run" not in tags["tensors"]:
        failures.append(f"no 'run' text among the tensors {tags['tensors']}")
    print({"scalars": tags["scalars"], "validation_scalars": validation.Tags()["scalars"], "histograms": len(histograms),
           "images": [(i.width, i.height) for i in images], "epochs": len(rows), "failures": failures})
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
