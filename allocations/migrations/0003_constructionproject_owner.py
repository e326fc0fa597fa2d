# A construction project belongs to a district / committee or a municipal enterprise: the
# field is renamed in place, so every existing project keeps its district as its owner.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('allocations', '0002_constructionproject_replacementratio_newemission_and_more'),
    ]

    operations = [
        migrations.RenameField(
            model_name='constructionproject',
            old_name='district',
            new_name='owner',
        ),
    ]
