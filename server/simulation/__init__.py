"""The clinic-day simulator: the production code, driven on a virtual clock, measured.

Modules:

* `params`: what the data lacks (punctuality, consultation lengths, walk-ins, emergencies,
  doctor lateness), with documented defaults (`Parameters`, `DEFAULTS`).
* `randomness`: common random numbers, one stream per (seed, replication, thing).
* `scenario`: the pure scenario: `build_scenario(records, days=…, seed=…, replication=…)` from
  appointment rows (Vitória CSV or synthetic), `synthetic_scenario(seed, days=1, day=…)`; see
  its docstring for the mapping rule and the fields.

`live.py` (the live demo day) belongs to the demo and plays a scenario through a running server.
"""
