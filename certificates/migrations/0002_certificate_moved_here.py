# The Certificate model moves from the cases app to this one (issue 21). Nothing
# changes in the database here: the model takes over the table ``cases_certificate`` as
# it is, and this app's OFD document points to it; the cases app then lets go of the
# model (cases 0014), and 0003 renames the table to this app's own name.

import certificates.models
import django.db.models.deletion
import django.utils.timezone
import django_fsm
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0013_case_centre'),
        ('certificates', '0001_initial'),
        ('departments', '0007_item_description_eligibility'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Certificate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(max_length=60, unique=True, verbose_name='证照编号')),
                        ('licence_id', models.CharField(blank=True, help_text='GB/T 36904 标识。', max_length=120, null=True, unique=True, verbose_name='电子证照标识')),
                        ('holder_kind', models.CharField(choices=[('person', '自然人'), ('organisation', '法人及其他组织')], max_length=20, verbose_name='持证主体类别')),
                        ('status', django_fsm.FSMField(choices=[('valid', '有效'), ('revoked', '已注销'), ('expired', '已过期'), ('superseded', '已被新版本替代')], default='valid', max_length=20, protected=True, verbose_name='状态')),
                        ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='颁发时间')),
                        ('valid_from', models.DateField(verbose_name='有效期起')),
                        ('valid_until', models.DateField(blank=True, null=True, verbose_name='有效期至')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='注销时间')),
                        ('revoke_reason', models.CharField(blank=True, max_length=300, verbose_name='注销原因')),
                        ('pdf', models.FileField(blank=True, upload_to='certificates/', verbose_name='PDF')),
                        ('pdf_sha256', models.CharField(blank=True, max_length=64, verbose_name='PDF摘要')),
                        ('pdf_signed_at', models.DateTimeField(blank=True, null=True, verbose_name='签章时间')),
                        ('seal_fingerprint', models.CharField(blank=True, help_text='签名所用印章证书的 SHA-256，用于核验上传的文件是否由颁发部门签章。', max_length=64, verbose_name='电子印章证书指纹')),
                        ('verification_token', models.CharField(default=certificates.models.new_verification_token, max_length=64, unique=True, verbose_name='核验码')),
                        ('data', models.JSONField(blank=True, default=dict, verbose_name='证照信息')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('approval', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='certificate', to='cases.approval', verbose_name='审批')),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='cases.case', verbose_name='办件')),
                        ('certificate_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='departments.certificatetype', verbose_name='证照类型')),
                        ('holder', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='cases.applicant', verbose_name='持证主体')),
                        ('issuing_department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='departments.department', verbose_name='颁发部门')),
                        ('supersedes', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='superseded_by', to='certificates.certificate', verbose_name='替代的旧版本')),
                    ],
                    options={
                        'verbose_name': '电子证照',
                        'verbose_name_plural': '电子证照',
                        'ordering': ['-issued_at'],
                        'db_table': 'cases_certificate',
                        'indexes': [models.Index(fields=['holder', 'certificate_type', 'status'], name='certificate_holder_type')],
                        'constraints': [
                            models.CheckConstraint(condition=models.Q(('valid_until__isnull', True), ('valid_until__gte', models.F('valid_from')), _connector='OR'), name='certificate_valid_range'),
                            models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='certificate_version_positive'),
                        ],
                    },
                    bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
                ),
                migrations.AlterField(
                    model_name='ofddocument',
                    name='certificate',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='ofd_document', to='certificates.certificate', verbose_name='电子证照'),
                ),
            ],
        ),
    ]
