"""cgroup v2: the root's cgroup.subtree_control is left as found (tests/guest runs the real
thing in a Debian 13 guest; this checks the bookkeeping on a fake root)."""

from pathlib import Path

import pytest

from loadtest.runtime import isolation


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    writes: list[tuple[str, str]] = []

    def write(path: Path, value):
        writes.append((str(path.relative_to(tmp_path)), str(value)))
        path.write_text(f"{value}\n")

    monkeypatch.setattr(isolation, "_write", write)
    monkeypatch.setattr(isolation, "_V2_ENABLED_AT_ROOT", set())
    (tmp_path / "cgroup.subtree_control").write_text("memory io\n")
    return tmp_path, writes


def test_controllers_the_root_did_not_hand_down_are_turned_off_again(fake_root):
    root, writes = fake_root
    isolation._v2_enable(root, root / "webstack-bench")
    isolation._v2_enable(root, root / "webstack-bench")  # a second service beside the first
    assert writes[0] == ("cgroup.subtree_control", "+cpu +cpuset +memory")
    assert isolation._V2_ENABLED_AT_ROOT == {"cpu", "cpuset"}
    isolation._v2_release(root)
    assert writes[-1] == ("cgroup.subtree_control", "-cpu -cpuset")  # memory was on before
    assert isolation._V2_ENABLED_AT_ROOT == set()


def test_nothing_is_turned_off_when_the_root_had_them_all(fake_root):
    root, writes = fake_root
    (root / "cgroup.subtree_control").write_text("cpuset cpu io memory\n")
    isolation._v2_enable(root, root / "webstack-bench")
    isolation._v2_release(root)
    assert [w for w in writes if w[1].startswith("-")] == []
