"""The harness's errors, and the exit status of every command. Every error carries a sentence
that says what to do next; the command line reports them in one place (cli.main) and exits with
the class's `exit_code`, so a script can tell a bad command line from a broken machine."""

from __future__ import annotations

OK = 0  # the command did what it was asked and found nothing wrong
FINDING = 1  # it ran, and its result is a failure it reports (a regression, a failed fault, a failed gate)
USAGE = 2  # the command line cannot be used (argparse's own errors exit 2 as well)
ENVIRONMENT = 3  # the machine, a server, a service or a load tool failed; nothing to conclude
INTERRUPTED = 130  # Ctrl-C

# (status, meaning): printed by `loadtest --help` and copied in loadtest/README.md.
EXIT_CODES = (
    (OK, "done; nothing to report"),
    (FINDING, ("a finding the command reports as its result: a service failed its contract gate "
              "or did not start, a fault failed, a write-up's check failed, a regression "
              "(compare --fail-on-regression), a service's own tests failed (check), a server not "
              "running (infra status)")),
    (USAGE, ("usage: a bad flag or value, an unknown service, scenario, fault or write-up, a "
            "ratio naming a service not measured, a run directory that does not exist")),
    (ENVIRONMENT, ("environment: a server, a service, a load tool or a file the harness needs "
                  "failed or is missing (a service run by `up` exited)")),
    (INTERRUPTED, "interrupted (Ctrl-C); what was measured is kept"),
)


class HarnessError(Exception):
    """Something the harness could not do."""

    exit_code = ENVIRONMENT


class InfraError(HarnessError):
    """A server or a service could not be started, reached or stopped."""


class GeneratorError(InfraError):
    """The load generator failed or is missing."""


class ManifestError(HarnessError, ValueError):
    """A services/<name>/service.toml is missing or malformed (an unknown service, mostly)."""

    exit_code = USAGE


class UsageError(HarnessError, ValueError):
    """A command-line value the harness cannot use (an unknown scenario, a bad duration)."""

    exit_code = USAGE


def exit_code(error: HarnessError) -> int:
    return getattr(error, "exit_code", ENVIRONMENT)
