"""The hall API: take a ticket, call the next one, read the display board."""
