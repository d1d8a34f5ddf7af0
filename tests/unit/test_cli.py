"""The command line speaks to users: every option of every command says what it does."""

import argparse

from loadtest import cli


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_option_of_every_command_has_help():
    missing = [f"{name} {action.option_strings or action.dest}"
               for name, parser in _subcommands(cli.build_parser()).items()
               for action in parser._actions
               if not isinstance(action, argparse._HelpAction) and not action.help]
    assert not missing, missing


def test_list_and_dry_run_exist(capsys):
    assert cli.run(["list"]) == 0
    out = capsys.readouterr().out
    assert "scenarios:" in out and "devices-post" in out and "faults:" in out
    assert "fastapi_tuned~uvicorn" in out and "write-ups:" in out and "go-vs-fastapi" in out
    assert cli.run(["sweep", "go_stdlib", "--dry-run", "--seed", "1"]) == 0
    assert "expected:" in capsys.readouterr().out
    assert cli.run(["sweep", "fastapi_tuned", "fastapi_tuned~all", "--dry-run", "--seed", "1"]) == 0
    assert "fastapi_tuned~no-gc-freeze" in capsys.readouterr().out


def test_version_names_the_package_and_the_commit(capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_:
        cli.run(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("loadtest 0.") and "commit " in out  # tests run in a checkout


def test_exit_codes_are_one_table_printed_in_the_help():
    from loadtest.core import errors

    assert errors.exit_code(errors.UsageError("x")) == errors.ManifestError.exit_code == 2
    assert errors.exit_code(errors.InfraError("x")) == errors.exit_code(errors.GeneratorError("x")) == 3
    epilog = cli.build_parser().epilog
    assert all(f"  {code:<4} " in epilog for code, _ in errors.EXIT_CODES)
