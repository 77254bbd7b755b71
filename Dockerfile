# BASE_IMAGE: any Python 3.11 image with pip on PATH (a mirror's copy of python:3.11-slim, say).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
# CPU torch, pinned, before the project: otherwise pip pulls a CUDA build of several GB.
# Behind a mirror: --build-arg TORCH_PIP_ARGS="--index-url https://mirror.example/whl/cpu"
ARG TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
RUN pip install torch==2.13.0 ${TORCH_PIP_ARGS}
COPY pyproject.toml README.md ./
COPY index ./index
COPY citebot ./citebot
COPY bot ./bot
RUN pip install ".[st]"
COPY seeds ./seeds
# The index is built into the image, so the container answers at once.
RUN citebot build
# Settings (TELEGRAM_BOT_TOKEN, ADMIN_IDS, ...) come from the environment: docker run --env-file .env
EXPOSE 8443
CMD ["citebot", "serve"]
