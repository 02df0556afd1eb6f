# syntax=docker/dockerfile:1
# Production image: gunicorn serving the portal, static files collected at
# build time and served by WhiteNoise. The same image runs the Celery worker
# and beat (docker-compose.yml overrides the command).

# --- Front-end packages: what `make assets` does -----------------------------
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
# Both packages are devDependencies: include them even if NODE_ENV=production.
RUN npm ci --include=dev --no-audit --no-fund --loglevel=error \
    && mkdir -p static/vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

# --- The application ---------------------------------------------------------
FROM python:3.11-slim AS app

# gunicorn reads its worker count from WEB_CONCURRENCY (override per host:
# about 2-4 per CPU the container may use).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

# Dependencies first, so code changes reuse this layer: exactly the files requirements.lock
# names, hash-checked (the production lock: no test or lint tools). The code is copied below
# and runs from /app.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes --no-deps -r /tmp/requirements.lock && rm /tmp/requirements.lock

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app
# The code belongs to root and is read-only for the app user.
COPY . .
COPY --from=assets /build/static/vendor/htmx.min.js static/vendor/htmx.min.js

# collectstatic imports the settings, and the production profile (the one that
# picks the manifest storage) refuses to start without its secrets: give it
# throwaway values for this one command only. They are not kept in the image.
# var/ holds the demo's file cache and broker, used only without REDIS_URL.
RUN DEBUG=false \
    SECRET_KEY=collectstatic-at-build-time-only-this-is-not-a-real-secret-key \
    ALLOWED_HOSTS=build \
    SITE_URL=https://build.invalid \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtdGltZS1vbmx5LW5vdC1hLXNlY3JldC1rZXk= \
    python manage.py collectstatic --noinput \
    && mkdir -p var \
    && chown -R app:app var

USER app

EXPOSE 8000

# The access log leaves out the tokens some URLs carry (check-in links, calendar feeds).
CMD ["gunicorn", "portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "30", \
     "--access-logfile", "-", \
     "--logger-class", "portal.gunicorn_logging.RedactingLogger"]
