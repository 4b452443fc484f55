"""The scheduler at work: queue versions, reading the live state, applying plans, triggers."""
