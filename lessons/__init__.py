"""minimod's guided lessons: one folder per lesson (lesson.md, steps.py, exercise.py, check.py)."""
