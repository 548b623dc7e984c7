# Production image: gunicorn with uvicorn workers serves the ASGI app; the same image runs the
# Celery worker and beat (see docker-compose.yml). Translations are compiled and static files
# collected at build time, so containers start without writing to the code directory.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_DEBUG=0 \
    FORWARDED_ALLOW_IPS=""

# gettext: compilemessages (msgfmt) for the nb and nn catalogues.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, from pyproject only, so code changes do not reinstall them.
# The "s3" extra (django-storages, boto3) lets the same image keep media in S3-compatible
# object storage (DJANGO_MEDIA_STORAGE=s3).
COPY pyproject.toml README.md ./
RUN pip install ".[s3]"

COPY . .

# Build-time settings only: nothing here is used at run time, where the secret comes from the
# environment and the app refuses to start without it.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0 \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --no-input -v0 \
    && mkdir -p /app/var/media /app/var/mail /app/var/beat \
    && chown -R app:app /app/var/media /app/var/mail /app/var/beat

USER app

EXPOSE 8000

# WEB_CONCURRENCY sets the number of worker processes (gunicorn reads it); 2 per core is usual.
# FORWARDED_ALLOW_IPS lists the reverse proxies whose X-Forwarded-For/-Proto gunicorn, its
# uvicorn workers and the app's rate limits believe. Set empty above (believe no one): unset,
# gunicorn and uvicorn would believe every connection from 127.0.0.1.
# The config module holds only the hooks of shared metrics (PROMETHEUS_MULTIPROC_DIR).
# --keep-alive 75: idle connections from the proxy stay open longer than nginx keeps them
# (60 s), so nginx never sends a request on one gunicorn is closing.
CMD ["gunicorn", "dialogkonferanse.asgi:application", \
     "--config", "python:dialogkonferanse.gunicorn_conf", \
     "--worker-class", "uvicorn_worker.UvicornWorker", \
     "--bind", "0.0.0.0:8000", \
     "--graceful-timeout", "30", \
     "--keep-alive", "75", \
     "--access-logfile", "-"]
