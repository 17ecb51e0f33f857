"""Opens the plots `deeplearn plot ...` and `deeplearn summary --graph ...` wrote with Pillow and
an XML parser: every PNG must decode (Pillow's verify and a full load) as RGB at the size the
command reported in its JSON line (NAME.json beside NAME.png or NAME.svg), and hold a drawing
(not one flat color); every SVG must parse, with an <svg> root of the reported size; a .dot file
must be a Graphviz digraph.

    python Tests/interop/check_plots.py DIR
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

from PIL import Image


def reported(path):
    """The width and height NAME.json gives for NAME.png or NAME.svg, or None."""
    stem = os.path.splitext(path)[0]
    if not os.path.exists(stem + ".json"):
        return None
    with open(stem + ".json") as f:
        fields = json.load(f)
    return fields["width"], fields["height"]


def check_png(path, failures):
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        im.load()
        size = reported(path)
        if im.format != "PNG" or im.mode != "RGB":
            failures.append(f"{path}: {im.format} {im.mode}, not an RGB PNG")
        if size is not None and im.size != size:
            failures.append(f"{path}: {im.size[0]}x{im.size[1]} pixels, the command reported {size[0]}x{size[1]}")
        colors = im.getcolors(maxcolors=1 << 16)
        if colors is not None and len(colors) < 3:
            failures.append(f"{path}: {len(colors)} colors, no drawing")
        return im.size


def check_svg(path, failures):
    root = ET.parse(path).getroot()
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        failures.append(f"{path}: the root is {root.tag}, not svg")
        return
    size = (int(root.get("width")), int(root.get("height")))
    want = reported(path)
    if want is not None and size != want:
        failures.append(f"{path}: {size[0]}x{size[1]}, the command reported {want[0]}x{want[1]}")
    if len(list(root.iter("{http://www.w3.org/2000/svg}text"))) == 0:
        failures.append(f"{path}: no text")


def check_dot(path, failures):
    text = open(path).read()
    if not text.startswith("digraph") or text.count("{") != text.count("}") or "->" not in text:
        failures.append(f"{path}: not a Graphviz digraph")


def main():
    directory = sys.argv[1]
    failures, checked = [], []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        ext = os.path.splitext(name)[1]
        try:
            if ext == ".png":
                size = check_png(path, failures)
                checked.append(f"{name} {size[0]}x{size[1]}")
            elif ext == ".svg":
                check_svg(path, failures)
                checked.append(name)
            elif ext == ".dot":
                check_dot(path, failures)
                checked.append(name)
        except Exception as error:  # a file Pillow or the XML parser cannot read
            failures.append(f"{path}: {error}")
    if not any(c.endswith(".svg") for c in checked) or not any(".png" in c for c in checked):
        failures.append(f"expected PNG and SVG plots in {directory}, found {checked}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("plots ok: " + ", ".join(checked))


if __name__ == "__main__":
    main()
