"""``django.contrib.admin`` with the project's admin site (accounts.admin_site). Its own
module: app configs are imported before any model may be."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.StaffAdminSite"
