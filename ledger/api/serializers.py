from rest_framework import serializers

from ..models import Account, Entry, Transaction


class AccountSerializer(serializers.ModelSerializer):
    entity_code = serializers.CharField(source="entity.code", default=None)
    available = serializers.DecimalField(max_digits=18, decimal_places=3)

    class Meta:
        model = Account
        fields = [
            "id",
            "entity_code",
            "system_kind",
            "pollutant",
            "balance",
            "held",
            "available",
            "is_active",
        ]


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ["account", "pollutant", "amount", "balance_after"]


class TransactionSerializer(serializers.ModelSerializer):
    entries = EntrySerializer(many=True)
    posted_by = serializers.CharField(source="posted_by.username")
    approved_by = serializers.CharField(source="approved_by.username", default=None)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "kind",
            "effective_date",
            "posted_at",
            "reference_text",
            "memo",
            "idempotency_key",
            "posted_by",
            "approved_by",
            "reverses",
            "entries",
        ]
