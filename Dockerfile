# docex: the API image of the production shape (docker-compose.yml).
# Configuration comes from DOCEX_* environment variables; see README.md, "Configuration".
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && rm -rf /app/src

# No root inside the container; the working directory holds nothing the app writes.
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin docex
USER docex

ENV DOCEX_ENVIRONMENT=production \
    DOCEX_HOST=0.0.0.0 \
    DOCEX_PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# The schema is migrated before the workers start: by the compose `migrate` service,
# or by running `docex db upgrade` in this image.
CMD ["docex", "serve", "--workers", "4"]
