"""Writes of appointments, one module per step: the slots a day offers (``slots``, read
only, shared by the steps), booking and cancelling (``booking``), the kiosk's check-in
(``check_in``) and the no-show sweep (``no_shows``)."""
