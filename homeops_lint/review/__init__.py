"""Review a change (``homeops-lint diff``): the same engine run on two versions of the repository,
and what differs between the two results: findings, what Flux applies, LoadBalancer addresses and
the bootstrap boundary.

* ``trees``: the two versions, read from git objects (never checked out), and the engine runs on
  them with shared parses;
* ``changes``: the comparison, a plain data model;
* ``render``: markdown (a PR comment), JSON and text.
"""
