# syntax=docker/dockerfile:1.7
# One image for the four services and the topic initialiser; the command picks which one runs:
#   docker run tandem:1.0.0 tandem_scheduling
# They share the workspace, one lock file and servicekit, so one image means one build, one
# scan and one version to roll out; each still runs as its own process and Deployment.
# Modelled on astral-sh/uv-docker-example's multistage.Dockerfile: uv only in the build stage,
# dependencies in a layer of their own, a slim runtime stage with no build tools, non-root.
# Only the services' packages are installed (`--package`): the embedded demo stack (devkit and
# its GPL-2.0 database server) never enters the image.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# The workspace's manifests first: this layer is rebuilt only when a dependency changes.
COPY uv.lock pyproject.toml ./
COPY libs/contracts/pyproject.toml libs/contracts/
COPY libs/servicekit/pyproject.toml libs/servicekit/
COPY libs/simulation/pyproject.toml libs/simulation/
COPY libs/devkit/pyproject.toml libs/devkit/
COPY services/pairing/pyproject.toml services/pairing/
COPY services/scheduling/pyproject.toml services/scheduling/
COPY services/feedback/pyproject.toml services/feedback/
COPY services/metrics/pyproject.toml services/metrics/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-workspace \
      --package tandem-pairing --package tandem-scheduling \
      --package tandem-feedback --package tandem-metrics
COPY libs/contracts libs/contracts
COPY libs/servicekit libs/servicekit
COPY libs/simulation libs/simulation
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable \
      --package tandem-pairing --package tandem-scheduling \
      --package tandem-feedback --package tandem-metrics

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="tandem" \
      org.opencontainers.image.description="Tandem reverse-mentoring services" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
# libgomp gives numba a thread-safe threading layer (OpenMP): without it numba falls back to
# `workqueue`, which aborts the process when two requests reach a parallel kernel at once.
# NUMBA_THREADING_LAYER=omp makes a missing libgomp an error instead of that fallback.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1=12.2.0-14+deb12u1 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 tandem \
 && useradd --system --uid 10001 --gid tandem --no-create-home --shell /usr/sbin/nologin tandem
COPY --from=builder /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NUMBA_CACHE_DIR=/app/numba-cache \
    NUMBA_CPU_NAME=generic \
    NUMBA_THREADING_LAYER=omp
# numba's cache is compiled in this stage, against the very files it runs, for any x86-64
# (NUMBA_CPU_NAME=generic), then read back by a fresh process: the build fails if a kernel
# would still compile at run time, or if the threading layer is not thread-safe. A pod with a read-only root file system copies it into a
# writable volume first (deploy/k8s: the init container).
WORKDIR /app
RUN python -m tandem_pairing warm-cache \
 && python -m tandem_pairing warm-cache --expect-cached \
 && chown -R 10001:10001 /app/numba-cache
USER 10001:10001
EXPOSE 8081 8082 8083 8084
ENTRYPOINT ["python", "-m"]
CMD ["tandem_pairing"]
