# The moved certificate table takes this app's name (``cases_certificate`` →
# ``certificates_certificate``), and its content type follows it, so the permissions,
# group grants and admin log entries attached to it stay attached.

from django.db import migrations


def _move_content_type(apps, schema_editor, *, source, target):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label=target, model='certificate').exists():
        types.filter(app_label=source, model='certificate').update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source='cases', target='certificates')


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, source='certificates', target='cases')


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0014_certificate_moved_out'),
        ('certificates', '0002_certificate_moved_here'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterModelTable(name='certificate', table=None),
        migrations.RunPython(forwards, backwards),
    ]
