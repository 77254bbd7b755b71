# BASE_IMAGE: any Python 3.11 image with pip on PATH (a mirror's copy of python:3.11-slim, say).
# The RUN steps are scripts/install.sh and citebot's own commands; .ci/docker_steps.py runs this
# file's COPY and RUN steps in order in a scratch folder, where no container engine runs (CI).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
# Where pip finds the CPU build of torch that requirements.lock pins (torch==X+cpu, with its hash).
# Behind a mirror: --build-arg TORCH_PIP_ARGS="--extra-index-url https://mirror.example/whl/cpu"
ARG TORCH_PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY requirements.lock ./
COPY scripts/install.sh ./scripts/
RUN sh scripts/install.sh deps requirements.lock ${TORCH_PIP_ARGS}
COPY pyproject.toml README.md ./
COPY index ./index
COPY citebot ./citebot
COPY bot ./bot
RUN sh scripts/install.sh project .
COPY seeds ./seeds
# The index is built into the image, so the container answers at once.
RUN citebot build
# Settings (TELEGRAM_BOT_TOKEN, ADMIN_IDS, ...) come from the environment: docker run --env-file .env
EXPOSE 8443
CMD ["citebot", "serve"]
