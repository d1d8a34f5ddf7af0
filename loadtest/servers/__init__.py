"""What the harness knows of the services and of the servers beside them: each service's
manifest (service.toml) and variants, processes, the machine, the server binaries and
the servers themselves (infra.py), and the harness's own clients of the databases and
of the mock."""
