"""The no-show rate assumed when nothing better is known: no model, no history, a new department."""

from __future__ import annotations

# A new department's base rate, every booking's score while no model can be loaded, and the
# prior a patient without history starts from: one figure, so they never drift apart.
BASE_NO_SHOW_RATE = 0.2
