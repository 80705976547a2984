"""Plants a .pth file in site-packages that would run in every later Python process.
EXPECT: fails all "PermissionError"
"""
import site, os
for d in site.getsitepackages():
    open(os.path.join(d, "zz_grade_pwn.pth"), "w").write("import os; os.environ['PWNED'] = '1'\n")
