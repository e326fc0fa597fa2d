from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import get_token_model

from ledger.models import User

DEMO_CLIENT = "reporting_client"


class Command(BaseCommand):
    help = "Print a fresh API token for the demo reporting client (development only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "demo_api_token is refused in production mode: create tokens for reporting "
                "systems in the admin (Tokens)."
            )
        user = User.objects.filter(username=DEMO_CLIENT).first()
        if user is None:
            raise CommandError(f"No user {DEMO_CLIENT!r}: run `manage.py load_demo` first.")
        # Only the hash of a token is stored, so a token cannot be shown again: each start
        # replaces the demo client's tokens with a new one.
        with transaction.atomic():
            get_token_model().objects.filter(user=user).delete()
            _token, secret = get_token_model().objects.create(user=user)
        self.stdout.write(
            f"API token for {DEMO_CLIENT} (read-only):\n"
            f"  curl -H 'Authorization: Token {secret}' http://127.0.0.1:8000/api/v1/accounts/\n"
            "  API documentation: http://127.0.0.1:8000/api/docs/"
        )
