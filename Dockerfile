# Front-end libraries from package-lock.json (the pages' own copy; never a CDN).
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

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
# .dockerignore keeps .venv, .git, databases, .env, media and test artefacts out.
COPY . .
COPY --from=assets /assets/node_modules ./node_modules
RUN bin/vendor-assets && python manage.py compilemessages --ignore .venv \
    && QUOTA_LEDGER_MODE=production SECRET_KEY=build-only-not-used-at-run-time ALLOWED_HOSTS=build \
       python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/media && chown app /app/media
USER app
EXPOSE 8000
# Exec form, so gunicorn is PID 1 and receives the stop signal; settings in gunicorn.conf.py.
CMD ["gunicorn", "quota_ledger.wsgi:application"]
