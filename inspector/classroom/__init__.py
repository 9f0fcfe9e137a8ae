"""The classroom (`minimod serve`): the inspector or the lessons served to browsers, one app per tab.

students.py keeps each student's folder and key; memory.py measures a session's processes; server.py
is textual-serve's Server with what a class needs (a landing page, a student per session, limits).
"""
