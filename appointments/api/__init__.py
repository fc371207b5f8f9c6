"""The appointments API: a queue's slots, booking for a person, cancelling."""
