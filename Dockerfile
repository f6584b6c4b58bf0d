# The series' environment as one container image (docs/class-server.md, "Beyond one server"): for Binder (a no-login
# try: repo2docker builds a repository's Dockerfile as it is) and for Zero to JupyterHub on Kubernetes
# (class-server/z2jh-values.yaml). Built and run with podman by tools/image_check.sh (docs/class-server.md, "Beyond
# one server", has what it ran, on a Debian base made with debootstrap, and the size); not in make test (too slow).
#   docker build -t gan-notebooks .            # about 7 GB with PyTorch's default (CUDA) wheels; see TORCH_INDEX
#   docker run -p 8888:8888 gan-notebooks      # JupyterLab on http://127.0.0.1:8888 (the token is in the log)
FROM python:3.11-slim-bookworm

ARG NB_USER=jovyan
ARG NB_UID=1000
# A PyTorch wheel index to install torch from instead of the default (e.g. PyTorch's CPU-only index: an image
# without the 5 GB of CUDA libraries, for servers with no GPU). Empty: the versions of constraints.txt from PyPI.
ARG TORCH_INDEX=
# The datasets that go into the image (tools/prepare.py's names). Empty: none, for a cluster that mounts them
# (class-server/z2jh-values.yaml: GAN_DATA_DIR=/srv/data) or a build without internet; the lessons then read
# GAN_DATA_DIR, or download into it at first use.
ARG DATASETS="mnist fashion-mnist cifar10"

# The repository lives in /srv/gan-notebooks, read-only for students; their homes hold their own copies of the lessons.
ENV USER=${NB_USER} \
    HOME=/home/${NB_USER} \
    PATH=/srv/gan-notebooks/.venv/bin:${PATH} \
    GAN_DATA_DIR=/srv/gan-notebooks/data \
    GAN_CHECKPOINT_DIR=/home/${NB_USER}/checkpoints \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1

RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --shell /bin/bash --uid ${NB_UID} ${NB_USER}

COPY . /srv/gan-notebooks
WORKDIR /srv/gan-notebooks
# The environment exactly as `make` builds it (.venv from requirements.txt under constraints.txt), JupyterLab's class
# settings (lab-settings/), and the datasets of DATASETS (as make data gets them), then all of it read-only.
RUN if [ -n "$TORCH_INDEX" ]; then python -m venv .venv && .venv/bin/pip install --no-cache-dir \
      --index-url "$TORCH_INDEX" torch==2.14.1 torchvision==0.29.1; fi \
    && PIP_NO_CACHE_DIR=1 make .venv/share/jupyter/lab/settings/overrides.d/gan-notebooks.json5 \
    && if [ -n "$DATASETS" ]; then .venv/bin/python tools/prepare.py $DATASETS; fi \
    && chmod -R a-w /srv/gan-notebooks
# Binder has no hub to copy the lessons at the first start: they go into the image's home
RUN python class-server/first_start.py ${HOME} && chown -R ${NB_UID}:${NB_UID} ${HOME}

USER ${NB_USER}
WORKDIR ${HOME}
EXPOSE 8888
# Binder and Zero to JupyterHub start their own command (jupyterhub-singleuser, installed with the hub extra)
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--LabApp.default_url=/lab/tree/notebooks"]
