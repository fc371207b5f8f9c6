# The Certificate model has moved to the certificates app (certificates 0002), which
# took over its table as it is: here this app's foreign keys point to it there and the
# model leaves this app's state. Nothing changes in the database.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0013_case_centre'),
        ('certificates', '0002_certificate_moved_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='caseevent',
                    name='certificate',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='certificates.certificate', verbose_name='证照'),
                ),
                migrations.AlterField(
                    model_name='casematerial',
                    name='certificate',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='certificates.certificate', verbose_name='复用证照'),
                ),
                migrations.DeleteModel(
                    name='Certificate',
                ),
            ],
        ),
    ]
