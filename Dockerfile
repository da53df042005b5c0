# syntax=docker/dockerfile:1
# logflow worker image: `docker build -t logflow .`, then `docker run logflow run` (the default).
# Slim Debian base, non-root user, the worker's /healthz as HEALTHCHECK, `logflow` as entrypoint.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build wheels for logflow and every dependency, so the runtime stage needs no compiler and no network.
# logflow's wheel compiles its per-event path with mypyc (hatch_build.py): gcc here, =yes so a broken
# toolchain fails the build instead of quietly shipping the slower pure-Python wheel.
FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md LICENSE hatch_build.py ./
COPY logflow ./logflow
COPY parsers ./parsers
RUN LOGFLOW_BUILD_COMPILED=yes pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="logflow" \
      org.opencontainers.image.description="Streaming log pipeline: Kafka -> parse -> enrich -> Elasticsearch" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOGFLOW_HEALTH_HOST=0.0.0.0 \
    LOGFLOW_HEALTH_PORT=9108 \
    LOGFLOW_LOG_FORMAT=json
RUN groupadd --system --gid 10001 logflow \
 && useradd --system --uid 10001 --gid logflow --home-dir /home/logflow --create-home --shell /usr/sbin/nologin logflow
# logflow without extras: the demo servers (the `demo` extra) and the test tools stay out of the image.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels logflow
USER logflow
WORKDIR /home/logflow
EXPOSE 9108
# /healthz answers 200 while the worker loop is alive (see docs/deploy.md; /readyz for readiness).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"]
ENTRYPOINT ["logflow"]
CMD ["run"]
