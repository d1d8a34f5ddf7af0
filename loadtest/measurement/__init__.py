"""From a command line to measured levels: the plan and its expected duration (plan.py),
the headline comparisons (headline.py) and the host's noise (noise.py), the seeded
order of visits (schedule.py), the one lifecycle of measured services (bench.py), one
level measured (measure.py), the generators' own checks (calibrate.py), and
instructions per request under cachegrind (instructions.py)."""
