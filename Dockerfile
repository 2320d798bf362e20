# nemobot in a container: `docker compose up -d` (see compose.yaml and README.md,
# "Running in production"). Build alone: `docker build -t nemobot .`
#
# Stage 1 builds the nemobot wheel and installs it with its dependencies into a venv;
# stage 2 is the same slim Python with that venv, a non-root user and /data for the database.
# ffmpeg comes from the imageio-ffmpeg wheel (a dependency), so nothing is apt-installed.
# No secret is baked in: tokens come from the environment at run time (env_file: .env).

# A minor-version tag; pin a digest too (python:3.12-slim@sha256:…) for byte-identical builds.
ARG PYTHON_IMAGE=python:3.12-slim

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the wheel is built from (.dockerignore keeps everything else out of the context).
COPY pyproject.toml README.md LICENSE ./
COPY bot/ bot/
COPY adapters/ adapters/
COPY storage/ storage/
COPY sandbox/ sandbox/

# pip compiles the venv to bytecode here (its default): at run time the venv belongs to
# root and nothing writes .pyc files.
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --compile /wheels/nemobot-*.whl


FROM ${PYTHON_IMAGE}

# The same uid/gid as the `telegram-bot-api` user of the aiogram/telegram-bot-api image
# (compose profile local-bot-api): in --local mode each side opens the other's files by
# path, and the bot's temporary folders are open to their owner only.
ARG NEMOBOT_UID=101
ARG NEMOBOT_GID=101

LABEL org.opencontainers.image.title="nemobot" \
      org.opencontainers.image.description="NemoVideo AI Image Free agent on Telegram and Discord" \
      org.opencontainers.image.licenses="MIT"

# NEMOBOT_DB lives on the /data volume. The health/metrics server listens inside the
# container only (HEALTHCHECK below calls it); set NEMOBOT_METRICS_HOST=0.0.0.0 to scrape it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    NEMOBOT_DB=/data/nemobot.db \
    NEMOBOT_METRICS_HOST=127.0.0.1 \
    NEMOBOT_METRICS_PORT=9464

RUN groupadd --system --gid "${NEMOBOT_GID}" nemobot \
 && useradd --system --no-log-init --uid "${NEMOBOT_UID}" --gid nemobot \
      --home-dir /home/nemobot --create-home --shell /usr/sbin/nologin nemobot \
 && install -d -o nemobot -g nemobot -m 0700 /data

COPY --from=build /opt/venv /opt/venv

USER ${NEMOBOT_UID}:${NEMOBOT_GID}
WORKDIR /home/nemobot
VOLUME ["/data"]

# SIGTERM: stop taking work, let running turns finish, exit 0 within 10 s.
STOPSIGNAL SIGTERM

# 200 from /healthz = the database and every configured platform are connected.
# Python's urllib, not curl (the slim image has none), and no proxy even if HTTP_PROXY is
# set. A 503, any other status or no answer exits 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as r; port = os.environ.get('NEMOBOT_METRICS_PORT') or '9464'; sys.exit(r.build_opener(r.ProxyHandler({})).open(f'http://127.0.0.1:{port}/healthz', timeout=4).status != 200)"]

# Every platform whose token is set. Without TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN this
# would be the console chat, which needs a terminal (`docker run -it … nemobot chat`).
CMD ["nemobot", "run"]
