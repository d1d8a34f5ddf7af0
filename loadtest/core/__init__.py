"""The foundation every layer uses: paths and settings, errors and exit codes, what a
driver's error text looks like, the help layout, how figures are written, estimates with
their intervals, the progress bar and the one periodic sampler. Nothing here imports the
rest of the harness."""
