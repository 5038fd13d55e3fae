"""Checks, one module (or package) per rule family. Each module defines ``check(ctx)`` and reads
only the shared repo index through ``ctx``; its rules are described as data in
``rules/catalog/<family>.yaml``. A module may set ``FAMILIES`` when it implements more than one
family, and ``FIXERS``/``TEXT_FIXERS`` for its fixers (``homeops_lint/fix.py`` collects them)."""
