FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY quota_ledger ./quota_ledger
COPY ledger ./ledger
COPY reductions ./reductions
COPY allocations ./allocations
RUN pip install --no-cache-dir -e .
COPY . .
RUN python manage.py compilemessages --ignore .venv \
    && QUOTA_LEDGER_MODE=production SECRET_KEY=build-only ALLOWED_HOSTS=build \
       python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/media && chown app /app/media
USER app
EXPOSE 8000
CMD ["gunicorn", "quota_ledger.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
