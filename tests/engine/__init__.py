"""
Fast tests of the HA-free engine against a plain-Python fake client.

The emulator (tests/sandbox) stays the contract test of the adapter (client.py) and
of the integration; these tests drive `Engine` directly with a fake clock, so a
simulated day of cycles runs in milliseconds.
"""
