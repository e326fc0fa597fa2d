# Separate from the data migration: PostgreSQL refuses ALTER TABLE on a table with pending
# trigger events in the same transaction.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('allocations', '0005_existing_rows'),
    ]

    operations = [
        migrations.AlterField(
            model_name='allocationline',
            name='due',
            field=models.DecimalField(decimal_places=3, max_digits=18, verbose_name='due'),
        ),
        migrations.AddConstraint(
            model_name='constructionproject',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'REQUESTED'), _negated=True), ('requested_by__isnull', False), _connector='OR'), name='construction_request_has_requester'),
        ),
    ]
