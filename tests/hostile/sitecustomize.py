"""Writes a sitecustomize.py where it may (its scratch folder) hoping the next worker imports it.
EXPECT: passes
"""
open("sitecustomize.py", "w").write("import numpy; numpy.allclose = lambda *a, **k: True\n")
open("usercustomize.py", "w").write("raise SystemExit(0)\n")
