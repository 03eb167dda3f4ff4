# The /record-course bot, running `serve` exactly as the Procfile does.
#
#   docker build -t record-course-bot .
#   docker compose up -d          (compose.yaml: settings from .env, the log on a volume)
#
# The submission log lives on the /data volume: keep that volume and the bot keeps its data
# across restarts, rebuilds and upgrades (see the README, "Deploying it so it keeps its data").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The exact versions of the lock (regenerate it with the command in its header), in a layer
# of their own that is rebuilt only when the lock changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The bot itself, run from /app as `python -m bot` (nothing more to resolve or install).
COPY bot ./bot

# A user of its own, not root; the volume's folder belongs to it.
RUN useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir /data \
    && chown bot:bot /data
USER bot

ENV DATABASE_PATH=/data/record-course.db \
    PORT=3000
VOLUME /data
EXPOSE 3000

# /healthz answers 200 while the HTTP server runs (slim images have no curl: Python asks).
# In Socket Mode there is no HTTP server: turn the check off (compose: healthcheck.disable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

# The Procfile's `python -m bot serve --port $PORT`: without --port, serve listens on PORT.
# Exec form, so that the bot is PID 1 and a `docker stop` (SIGTERM) lets it finish cleanly.
CMD ["python", "-m", "bot", "serve"]
