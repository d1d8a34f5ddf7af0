"""`loadtest chaos`: inject faults into a service's dependencies (and into the service itself)
while a bounded background load runs, measure what the service answered, and check that
nothing was lost. See docs/reliability.md for the table this produces."""
