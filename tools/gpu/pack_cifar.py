"""Carry the JPEG copy of CIFAR-10 to a rented GPU machine, which receives only this repository (64 MiB at most).

    python tools/gpu/pack_cifar.py pack           # here: writes tools/gpu/data/cifar10_jpeg.pt (git-ignored)
    python tools/gpu/pack_cifar.py unpack DEST    # there: writes DEST/train/<class>/NNNN.jpg and DEST/test/...

The file holds, for each split, the bytes of every JPEG file end to end in one uint8 tensor, where each
file starts and ends (``offsets``), and its path inside the split's folder: 56 MB for the 60,000 files.
A tar archive of them would be 77 MB (each file gets a 512-byte header and is padded to 512 bytes).
It is plain tensors, lists and strings, so it loads with ``torch.load(weights_only=True)``.
"""

import argparse
import os
import sys
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKED = Path(__file__).resolve().parent / "data" / "cifar10_jpeg.pt"


def pack_split(folder):
    """Every file under ``folder`` (sorted) as one byte tensor, the offsets between files and their paths."""
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    if not files:
        sys.exit(f"error: no files in {folder}. Point --source at the JPEG copy of CIFAR-10 (with train/ and test/).")
    contents = [path.read_bytes() for path in files]
    sizes = torch.tensor([0] + [len(data) for data in contents])
    return {
        "bytes": torch.frombuffer(bytearray(b"".join(contents)), dtype=torch.uint8),
        "offsets": sizes.cumsum(0),  # file i is bytes[offsets[i]:offsets[i + 1]]
        "paths": [str(path.relative_to(folder)) for path in files],
    }


def pack(source, out):
    """Pack ``source/train`` and ``source/test`` into the file ``out``."""
    packed = {split: pack_split(source / split) for split in ("train", "test")}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(packed, out)
    counts = ", ".join(f"{len(packed[split]['paths']):,} {split}" for split in packed)
    print(f"Wrote {out}: {counts} files, {out.stat().st_size / 2**20:.1f} MiB.")


def unpack(packed_file, dest):
    """Write the files of ``packed_file`` back into an ``ImageFolder`` tree under ``dest``."""
    if not packed_file.is_file():
        sys.exit(f"error: no {packed_file}. Run `python tools/gpu/pack_cifar.py pack` where the data is, first.")
    packed = torch.load(packed_file, weights_only=True)
    for split, content in packed.items():
        data, offsets = content["bytes"].numpy(), content["offsets"].tolist()
        for i, relative in enumerate(content["paths"]):
            path = dest / split / relative
            if i == 0 or path.parent != (dest / split / content["paths"][i - 1]).parent:
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data[offsets[i] : offsets[i + 1]].tobytes())
        print(f"Unpacked {len(content['paths']):,} {split} files into {dest / split}.")


def main():
    parser = argparse.ArgumentParser(description="Pack the JPEG copy of CIFAR-10 for the GPU machine, or unpack it.")
    commands = parser.add_subparsers(dest="command", required=True)
    pack_command = commands.add_parser("pack", help="write tools/gpu/data/cifar10_jpeg.pt")
    default_source = Path(os.environ.get("GAN_DATA_DIR") or REPO_ROOT / "data") / "cifar10-jpeg"
    pack_command.add_argument("--source", type=Path, default=default_source, help="default: $GAN_DATA_DIR/cifar10-jpeg")
    pack_command.add_argument("--out", type=Path, default=PACKED)
    unpack_command = commands.add_parser("unpack", help="write the ImageFolder tree back")
    unpack_command.add_argument("dest", type=Path, help="e.g. /tmp/gan-data/cifar10-jpeg")
    unpack_command.add_argument("--packed", type=Path, default=PACKED)
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.source, args.out)
    else:
        unpack(args.packed, args.dest)


if __name__ == "__main__":
    main()
