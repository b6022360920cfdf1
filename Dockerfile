# Sustain's production image: one image for web (gunicorn), worker and beat.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY assets ./assets
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000 \
    MEDIA_ROOT=/srv/sustain/media
WORKDIR /app
RUN useradd --create-home --uid 1000 sustain
# pg_dump and pg_restore for manage.py backup/restore (bookworm's 15, as compose's db);
# WeasyPrint draws certificate PDFs with Pango, and the fonts give its text glyphs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# Exactly the locked, hashed packages; then the project itself without resolving again.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps -e .
COPY --from=assets /app/assets/dist ./assets/dist
# collectstatic needs settings but no real secrets or database.
RUN SECRET_KEY=build-only-collectstatic-placeholder-key-not-used-at-runtime-000000 \
    ALLOWED_HOSTS=build.invalid CSRF_TRUSTED_ORIGINS=https://build.invalid \
    SITE_URL=https://build.invalid \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://localhost:6379/0 \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1wbGFjZWhvbGRlci1rZXktMDAwMDA= \
    python manage.py collectstatic --no-input -v0
# Uploads and beat's schedule live in volumes the app user owns (see docker-compose.yml).
RUN mkdir -p /srv/sustain/media /srv/sustain/beat \
    && chown -R sustain:sustain /srv/sustain
VOLUME ["/srv/sustain/media"]
USER sustain
EXPOSE 8000
# /health/ over plain HTTP from inside: exempt from the HTTPS redirect, Host allowed.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-m", "config.healthcheck"]
CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:${PORT} --workers 5 --timeout 60 --access-logfile -"]
