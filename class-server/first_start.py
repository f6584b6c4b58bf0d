"""What a student's server gets on every start: the lessons copied into their home, never over their work.

JupyterHub calls ``copy_lessons`` before it starts a student's server (``Spawner.pre_spawn_hook`` in
``jupyterhub_config.py``). Only files that are not there yet are copied: a notebook a student changed, or
deleted and made again, stays theirs. A new lesson the teacher adds later reaches everybody on their next start.
To give a student a fresh copy of a lesson, they (or the teacher) rename theirs, then restart the server.
"""

import os
import shutil
from pathlib import Path

# Never handed out: Jupyter's autosaves and, among the lessons, the pictures a teacher's own run saved beside them
SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
SKIP_LESSONS = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.png")


def copy_missing(source, target, owner=None, skip=SKIP):
    """Copy every file under ``source`` to the same place under ``target`` unless a file is there already.

    ``owner``: ``(uid, gid)`` that the new folders and files get (a real server's hub runs as root and the
    student's server as the student), or None to leave them as created. Returns the copied paths.
    """
    source, target = Path(source), Path(target)
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is not a folder: set GAN_HUB_NOTEBOOKS to the lessons to hand out")
    copied = []
    for folder, subfolders, files in os.walk(source):
        folder = Path(folder)
        ignored = skip(str(folder), subfolders + files)
        subfolders[:] = [name for name in subfolders if name not in ignored]
        destination = target / folder.relative_to(source)
        make_folder(destination, owner)
        for name in files:
            if name in ignored or (destination / name).exists():
                continue  # never overwrite: the student's work wins
            shutil.copy2(folder / name, destination / name)
            if owner is not None:
                os.chown(destination / name, *owner)
            copied.append(destination / name)
    return copied


def copy_lessons(home, lessons, images, owner=None):
    """The lessons into ``home``/notebooks and the pictures they show into ``home``/docs/images (the notebooks
    link ``../docs/images/``). Returns the copied paths."""
    home = Path(home)
    make_folder(home, owner)
    copied = copy_missing(lessons, home / "notebooks", owner, SKIP_LESSONS)
    if Path(images).is_dir():
        copied += copy_missing(images, home / "docs" / "images", owner)
    return copied


def make_folder(path, owner=None):
    """``mkdir -p path``, giving each folder it makes to ``owner``."""
    path = Path(path)
    if path.is_dir():
        return
    make_folder(path.parent, owner)
    path.mkdir()
    if owner is not None:
        os.chown(path, *owner)


if __name__ == "__main__":  # the container image's start (Dockerfile, z2jh-values.yaml): the lessons into a home
    import argparse

    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description="Copy the lessons into a home, never over a file already there.")
    parser.add_argument("home", help="the student's home folder")
    parser.add_argument("--lessons", default=str(repo / "notebooks"), help="the lessons to hand out")
    args = parser.parse_args()
    copied = copy_lessons(args.home, args.lessons, repo / "docs" / "images")
    print(f"{len(copied)} lesson files copied into {args.home}")
