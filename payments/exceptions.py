class PaymentError(Exception):
    """A payment step refused, with a message the citizen or clerk can read."""


class WaiverReasonRequiredError(PaymentError):
    pass


class NotificationInvalidError(PaymentError):
    """A notification whose signature or shape is wrong: rejected, nothing changed."""


class ProviderUnavailableError(PaymentError):
    """The payment gateway could not be reached or answered nonsense: try again later."""
