"""The timing commands build only cli/timing.py's parser (the keyboard-shortcut path), so
that set must be exactly what timing.py registers, and nothing else may claim those names."""

import argparse

from ccm_timer.cli import main, timing


def _registered(module) -> set[str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    module.register(sub, argparse.ArgumentParser(add_help=False))
    return set(sub.choices)


def test_the_shortcut_set_is_what_timing_registers():
    assert main._TIMING == _registered(timing)


def test_the_short_parser_parses_as_the_whole_one():
    for argv in (["start", "--patient", "T1001", "--category", "phone-call"],
                 ["--data-dir", "/tmp/x", "status", "--json"], ["stop", "--note", "n"]):
        short = vars(main.build_parser(argv).parse_args(argv))
        whole = vars(main.build_parser().parse_args(argv))
        assert {k: v for k, v in short.items() if k != "handler"} == {
            k: v for k, v in whole.items() if k != "handler"}


def test_other_commands_get_the_whole_parser():
    assert "export" in main.build_parser(["export", "--month", "2026-11"])._subparsers \
        ._group_actions[0].choices
