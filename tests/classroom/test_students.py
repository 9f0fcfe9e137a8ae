"""The class roll: what a browser may name, and who may open a student's folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.classroom.students import Roll, StudentNameError, student_name


@pytest.mark.parametrize("typed, name", [("ana", "ana"), ("  Ana-K ", "ana-k"), ("b_2", "b_2"), ("7", "7")])
def test_a_name_is_trimmed_and_lowercased(typed, name):
    assert student_name(typed) == name


@pytest.mark.parametrize("typed", ["", " ", "..", ".ana", "-ana", "_x", "a/b", "a\\b", "ana\x00", "café",
                                   "x" * 33, "a b", "~root", "$HOME"])
def test_a_name_that_is_not_one_plain_folder_name_is_refused_in_one_line(typed):
    with pytest.raises(StudentNameError, match="cannot be a name here: use 1 to 32 letters a-z"):
        student_name(typed)


@given(st.text(max_size=40))
def test_any_accepted_name_is_one_folder_directly_under_the_roll(typed):
    root = Path("/srv/class/students")
    try:
        name = student_name(typed)
    except StudentNameError:
        return
    folder = Roll(root).folder(name)
    assert folder.parent == root and os.path.normpath(folder) == str(folder) and not name.startswith(".")


def test_the_first_to_use_a_name_gets_its_key_and_nobody_else_opens_it(tmp_path):
    roll = Roll(tmp_path / "students")
    key = roll.enrol("ana")
    assert key is not None and roll.admits("ana", key)
    assert roll.enrol("ana") is None  # the name is taken
    assert not roll.admits("ana", key[:-1] + ("A" if key[-1] != "A" else "B"))
    assert not roll.admits("bo", key)  # not enrolled
    assert not roll.admits("ana", "../" + key) and not roll.admits("../ana", key)
    assert stat.S_IMODE((tmp_path / "students" / "ana" / "key").stat().st_mode) == 0o600
