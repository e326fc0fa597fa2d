# A target's first entry kept a stored label in the language of whoever entered it
# ("首次录入"); a change with no earlier value and no reason now reads "first entry" in the
# reader's language, so those stored labels are emptied.

from django.db import migrations, models

FIRST_ENTRY_LABELS = ["首次录入", "first entry"]


def forwards(apps, schema_editor):
    TargetChange = apps.get_model("allocations", "TargetChange")
    TargetChange.objects.filter(old_amount__isnull=True, reason__in=FIRST_ENTRY_LABELS).update(
        reason=""
    )


class Migration(migrations.Migration):
    dependencies = [("allocations", "0007_import_job")]

    operations = [
        migrations.AlterField(
            model_name="targetchange",
            name="reason",
            field=models.CharField(blank=True, max_length=300, verbose_name="reason"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
