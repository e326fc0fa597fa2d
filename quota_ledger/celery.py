import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_ledger.settings")

app = Celery("quota_ledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="quota_ledger.ping")
def ping() -> str:
    """Round trip through the broker; touches no database, so any worker can answer."""
    return "pong"
