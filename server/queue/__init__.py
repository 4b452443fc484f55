"""Pure queue rules: the ticket state machine, token format, queue order and doctors' clocks."""
