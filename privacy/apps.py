from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("个人信息保护")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Wiring: the retention kinds of the tables below this app (``cases``,
        ``citizens``, ``sharing``, django-axes), and the audit chains' record of removed
        ranges."""
        from cases.audit import chain_gap_source_register

        from .retention import register
        from .services.chained import chain_gaps_recorded
        from .services.kinds import (
            batch_reads_expire,
            data_access_log_expire,
            material_files_expire,
            sign_in_codes_expire,
            staff_sign_in_expire,
            track_failures_expire,
        )

        chain_gap_source_register(chain_gaps_recorded)
        register(
            kind="material_files",
            setting_name="RETENTION_MATERIAL_FILES_DAYS",
            apply=material_files_expire,
            label=_("上传的材料文件"),
        )
        register(
            kind="data_access_log",
            setting_name="RETENTION_DATA_ACCESS_LOG_DAYS",
            apply=data_access_log_expire,
            label=_("数据查询记录"),
        )
        register(
            kind="batch_reads",
            setting_name="RETENTION_BATCH_READS_DAYS",
            apply=batch_reads_expire,
            label=_("批量查询记录"),
        )
        register(
            kind="sign_in_codes",
            setting_name="RETENTION_SIGN_IN_CODES_DAYS",
            apply=sign_in_codes_expire,
            label=_("短信验证码"),
        )
        register(
            kind="track_failures",
            setting_name="RETENTION_TRACK_FAILURES_DAYS",
            apply=track_failures_expire,
            label=_("办件查询失败计数"),
        )
        register(
            kind="staff_sign_in",
            setting_name="RETENTION_STAFF_SIGN_IN_DAYS",
            apply=staff_sign_in_expire,
            label=_("工作人员登录记录"),
        )
