# syntax=docker/dockerfile:1
# DocShield outbound voice-agent worker.
#   docker build -t docshield-worker .
#   docker run --env-file .env -p 8080:8080 docshield-worker            # the ARQ worker
#   docker run --env-file .env docshield-worker check-status --json       # any other command
#
# Environment (all optional unless said; see infrastructure/settings.py):
#   REDIS_URL                  rediss://host:6380/0?ssl_ca_certs=/path/ca.pem (unset: an embedded Redis under DATA_DIR;
#                              not for production)
#   REQUIRE_TLS (true here): plain-text redis:// or mongodb:// to a host other than loopback is refused at start
#   SHARED_LIMITS (true), SCRIPT_CACHE_S (30)
#   MONGODB_URI, MONGODB_DATABASE (default docshield), MONGODB_TIMEOUT_MS (default 5000)
#   QUEUE_NAME (default docshield:calls), MAX_CONCURRENT_CALLS (4), WORKER_ID (default host-pid)
#   CLAIM_LEASE_S (120), HEARTBEAT_INTERVAL_S (2), MEMORY_LIMIT_MB (450), JOB_TIMEOUT_S, MAX_CALL_DURATION_S
#   HEALTH_PORT (8080 here), HEALTH_HOST (0.0.0.0): GET /healthz (liveness), /readyz (Redis and MongoDB reachable)
#   LOG_LEVEL (INFO), LOG_JSON (true here), LOGTAIL_SOURCE_TOKEN, LOGTAIL_HOST
#   OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://otel-collector:4318), OTEL_SERVICE_NAME
#   RESILIENCE: JSON overrides of retry/breaker/rate defaults, e.g. {"s3": {"breaker": {"errors": 5}}}
#   LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, SIP_OUTBOUND_TRUNK_ID, OPENAI_API_KEY, DNC_HASH_KEY (real calls)
#   S3_BUCKET, S3_PREFIX, S3_ENDPOINT_URL, S3_KMS_KEY_ID, AWS_REGION (+ the usual AWS credentials)
#   GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN, CLERK_SECRET_KEY (calendar)
#   SIMULATED_CALL_SECONDS: hold each simulated call this long (tests and load runs only)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, so a source change does not re-download them.
COPY pyproject.toml ./
RUN mkdir -p domain application infrastructure entrypoints \
    && touch containers.py domain/__init__.py application/__init__.py infrastructure/__init__.py entrypoints/__init__.py \
    && pip install . \
    && pip uninstall -y docshield-voice-worker
COPY containers.py ./
COPY domain ./domain
COPY application ./application
COPY infrastructure ./infrastructure
COPY entrypoints ./entrypoints
COPY simulator ./simulator
RUN pip install --no-deps . && python -c "import containers, entrypoints.worker"

FROM ${PYTHON_IMAGE} AS runtime
# tini reaps children and forwards SIGTERM, so `docker stop` drains the worker (finish the call, exit 0).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 docshield \
    && useradd --system --uid 10001 --gid docshield --home-dir /var/lib/docshield --create-home docshield
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/var/lib/docshield \
    HEALTH_PORT=8080 \
    LOG_JSON=true \
    REQUIRE_TLS=true
WORKDIR /var/lib/docshield
USER docshield:docshield
EXPOSE 8080
# Liveness only: a worker whose Redis or MongoDB is down should wait for them, not be restarted in a loop.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEALTH_PORT', '8080'), timeout=2)"]
# Give a call in progress time to finish on `docker stop` (set --stop-timeout or stop_grace_period to match).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "docshield"]
CMD ["start-worker"]
