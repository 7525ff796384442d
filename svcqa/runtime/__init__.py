"""Process-level settings and hooks that every layer may use: the allocator tuning of the command
line (``allocator``) and the test-only pause points (``testhooks``). Imports nothing of svcqa."""
