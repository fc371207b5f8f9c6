"""The hall's refusals: each message is what the citizen or clerk reads."""


class TicketError(Exception):
    """A ticket cannot be taken, called or moved as asked; ``str(error)`` says why."""


class OutOfScopeError(TicketError):
    """The window or ticket belongs to another centre than the clerk's: the pages answer
    404, as for a window that does not exist."""
