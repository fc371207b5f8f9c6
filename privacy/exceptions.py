class RetentionError(Exception):
    """A retention run cannot start (a period set wrong) or a chunk could not be applied."""
