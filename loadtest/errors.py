"""The harness's errors. Every one carries a sentence that says what to do next; the command
line reports them in one place (cli.main) with exit status 2."""

from __future__ import annotations


class HarnessError(Exception):
    """Something the harness could not do."""


class InfraError(HarnessError):
    """A server or a service could not be started, reached or stopped."""


class GeneratorError(InfraError):
    """The load generator failed or is missing."""


class ManifestError(HarnessError, ValueError):
    """A services/<name>/service.toml is missing or malformed."""


class UsageError(HarnessError, ValueError):
    """A command-line value the harness cannot use (an unknown scenario, a bad duration)."""
