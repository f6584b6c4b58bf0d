#!/usr/bin/env bash
# The GPU job of issue 10, run from the repository root on a rented GPU machine:
#   1. unpack the JPEG copy of CIFAR-10 (tools/gpu/data/cifar10_jpeg.pt, made here by `python tools/gpu/pack_cifar.py pack`);
#   2. train the CIFAR-10 yardstick's classifier (gan_utils.quality.cifar_quality), CLASSIFIER_EPOCHS passes;
#   3. train notebook 03's 32x32 DCGAN for DCGAN_MINUTES, measuring it every EVERY_STEPS steps and keeping
#      the best generator by the yardstick's Frechet distance.
# Each result lands in $OUT as soon as it exists, so a run cut short still returns what it made:
#   $OUT/log.txt (this output), $OUT/cifar10_classifier.pt, $OUT/dcgan_cifar10.pt (rewritten at each new best).
# A quick check on a CPU: OUT=/tmp/out CLASSIFIER_EPOCHS=0.02 DCGAN_MINUTES=0.2 EVERY_STEPS=20 \
#   PYTHON=.venv/bin/python bash tools/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${OUT:?set OUT to the folder for the results}"
PYTHON=${PYTHON:-python3}
CLASSIFIER_EPOCHS=${CLASSIFIER_EPOCHS:-30}
DCGAN_MINUTES=${DCGAN_MINUTES:-4}
EVERY_STEPS=${EVERY_STEPS:-2000}
export GAN_DATA_DIR=${GAN_DATA_DIR_GPU:-/tmp/gan-data}  # the unpacked images and their decoded cache
export PYTHONUNBUFFERED=1           # every line reaches the log at once
export TQDM_MININTERVAL=${TQDM_MININTERVAL:-15}  # progress bars: one update every 15 s, not ten a second

stamp() { echo "[$(date +%T)] $*"; }

job() {
    stamp "start: OUT=$OUT epochs=$CLASSIFIER_EPOCHS minutes=$DCGAN_MINUTES every=$EVERY_STEPS"
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"
    "$PYTHON" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__,
        "cuda:", torch.cuda.is_available())'

    stamp "unpacking the JPEG copy of CIFAR-10 into $GAN_DATA_DIR/cifar10-jpeg"
    "$PYTHON" tools/gpu/pack_cifar.py unpack "$GAN_DATA_DIR/cifar10-jpeg"

    stamp "training the classifier"
    "$PYTHON" tools/pretrain.py cifar10-classifier --epochs "$CLASSIFIER_EPOCHS"
    cp gan_utils/pretrained/cifar10_classifier.pt "$OUT/"
    stamp "classifier copied to $OUT"

    stamp "training the DCGAN"
    "$PYTHON" tools/pretrain.py dcgan --minutes "$DCGAN_MINUTES" --every-steps "$EVERY_STEPS" \
        --out "$OUT/dcgan_cifar10.pt"
    stamp "done"
}

mkdir -p "$OUT"
job 2>&1 | tee "$OUT/log.txt"
