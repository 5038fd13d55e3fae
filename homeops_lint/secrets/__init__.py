"""Secret detection for the ``secret-`` rules (``homeops_lint/checks/secret.py`` reports them).

- ``values``: what a key and a value mean (a credential, a reference, a name, a placeholder).
- ``embedded``: key/value pairs inside text (JSON, INI, shell, env files, URLs with credentials).
- ``textscan``: high-confidence detectors over raw text (PEM keys, base64 PEM, known token formats
  through detect-secrets behind one prefilter regex, 1Password Connect credentials files).
- ``sops``: ``.sops.yaml`` creation rules and which leaves SOPS encrypts.
- ``scan``: the whole pass over the repo index, returning value-free candidates and timings.

Nothing here ever returns a secret value inside a message, nor a hash of one: candidates carry
the value only so that reporters can mask it, and their fingerprint names the rule, file and key
path.
"""
