"""Yiri's management commands skip Django's system checks (0.75 s of CPU each, more than
the command itself: ``yiri/lib/commands.py``), and the checks still guard the servers."""

from pathlib import Path

from django.core.management import get_commands, load_command_class

from yiri.lib.commands import YiriCommand

REPO = Path(__file__).resolve().parents[2]


def test_every_command_of_yiri_is_a_yiri_command_without_checks():
    ours = {name: app for name, app in get_commands().items() if app.startswith("yiri.")}
    assert {"node", "sync", "backup", "keys", "matching"} <= set(ours)
    for name, app in ours.items():
        command = load_command_class(app, name)
        assert isinstance(command, YiriCommand), name
        assert not command.requires_system_checks, name


def test_the_production_start_still_runs_the_deployment_checks():
    serve = (REPO / "scripts" / "serve.sh").read_text()
    assert "manage.py check --deploy" in serve
