"""Floods standard output while being imported.
EXPECT: fails all "printed more than"
"""
while True:
    print("x" * 65536)
