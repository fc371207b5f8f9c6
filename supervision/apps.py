from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("电子监察")

    def ready(self) -> None:
        """Wiring: a bad rating opens a rectification, in the rating's transaction."""
        from citizens.services.rating import bad_rating_handler_register

        from .services.rectification import rectification_open_for_rating

        bad_rating_handler_register(rectification_open_for_rating)
