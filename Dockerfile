# The one image of Recovery: docker-compose.yml runs it as the web app (gunicorn), the
# one-shot migration, the Celery worker and the Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so that this layer is rebuilt only when the lock file changes.
# --require-hashes: every package, dependencies included, must match the hash locked in
# requirements.txt (uv pip compile --generate-hashes), or the build fails.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt

# The code belongs to root and is read-only for the app's user; only var/ (Celery beat's
# schedule) is writable.
RUN useradd --system --create-home --uid 10001 --user-group recovery
COPY . .

# Static files are collected into the image: hashed, compressed, served by WhiteNoise.
# The settings refuse to start without SECRET_KEY when DEBUG is off, so this RUN line alone
# gets a dummy one; it is not kept in the image (the running services get the real one).
RUN SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown -R recovery:recovery /app/var

USER recovery
EXPOSE 8000

# docker-compose.yml sets the command of each service; this default serves the app.
CMD ["gunicorn", "recovery.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", \
     "--workers", "2", "--threads", "4", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-", \
     "--no-control-socket"]
