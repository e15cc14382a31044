"""One tray per data folder; a second launch hands over."""

from __future__ import annotations

from pathlib import Path

from ccm_timer.ui.single_instance import SingleInstance, server_name


def test_second_instance_hands_over_to_the_first(tmp_path: Path, qtbot) -> None:
    first = SingleInstance(tmp_path)
    assert first.acquire()
    first.listen()
    try:
        second = SingleInstance(tmp_path)
        assert not second.acquire()
        with qtbot.waitSignal(first.message, timeout=3000) as got:
            assert second.hand_over("activate")
        assert got.args == ["activate"]
    finally:
        first.release()
    third = SingleInstance(tmp_path)
    assert third.acquire()  # released: the next launch runs
    third.release()


def test_different_data_folders_do_not_collide(tmp_path: Path) -> None:
    a, b = SingleInstance(tmp_path / "a"), SingleInstance(tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert a.name != b.name == server_name(tmp_path / "b")
    assert a.acquire() and b.acquire()
    a.release()
    b.release()


def test_hand_over_with_nobody_listening_fails_in_bounded_time(tmp_path: Path,
                                                                monkeypatch) -> None:
    import ccm_timer.ui.single_instance as module

    monkeypatch.setattr(module, "HANDOVER_SECONDS", 0.3)
    assert not SingleInstance(tmp_path).hand_over("activate")
