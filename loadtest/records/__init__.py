"""What a measurement is once taken: one typed Level (level.py) and the run's
results.json (results.py). Below the runtime, whose handle reports a service's CPU
and memory in these types."""
