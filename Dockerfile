# ALDIS production image: the web (gunicorn + whitenoise), worker and beat processes share it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# DejaVu: the compensation statements' PDF prints Latvian letters with it.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --uid 10001 aldis
WORKDIR /app

COPY pyproject.toml constraints.txt ./
COPY aldis ./aldis
COPY households ./households
COPY eligibility ./eligibility
COPY traders ./traders
COPY compensation ./compensation
COPY audit ./audit
COPY fixtures ./fixtures
COPY locale ./locale
COPY manage.py ./
RUN pip install -c constraints.txt . \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only DJANGO_STATIC_ROOT=/app/static \
       python manage.py collectstatic --no-input

ENV DJANGO_STATIC_ROOT=/app/static \
    ALDIS_VAR_DIR=/tmp/aldis
USER aldis
EXPOSE 8000
CMD ["gunicorn", "aldis.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
