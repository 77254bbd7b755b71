FROM python:3.11-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
# CPU torch, pinned, before the project: otherwise pip pulls a CUDA build of several GB.
# Pass the CPU wheel index of your mirror with --build-arg TORCH_INDEX_URL=...
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install torch==2.13.0 --index-url "$TORCH_INDEX_URL"
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
