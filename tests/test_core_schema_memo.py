"""CoreSchemas localises each shared definition once per process: every kind's schema is the one
localising everything afresh for that kind gives."""
from __future__ import annotations

import json

import pytest

from homeops_lint.schemas.store import CoreSchemas, _localise, kubernetes_versions


def _fresh(schemas: CoreSchemas, top: dict) -> dict:
    defs = schemas._defs()
    needed: dict = {}
    refs: list[str] = []
    body = _localise(top, refs)
    while refs:
        name = refs.pop()
        if name not in needed and name in defs:
            needed[name] = _localise(defs[name], refs)
    body.pop("$id", None)
    body["$defs"] = needed
    return body


@pytest.mark.skipif(not kubernetes_versions(), reason="kubernetes-validate's schemas are not installed")
def test_every_core_kind_gets_the_schema_a_fresh_localisation_gives() -> None:
    schemas = CoreSchemas(kubernetes_versions()[-1])
    assert schemas.folder is not None
    compared = 0
    for path in sorted(schemas.folder.glob("*.json")):
        if path.name.startswith("_"):
            continue
        top = json.loads(path.read_text())
        for gvk in top.get("x-kubernetes-group-version-kind") or []:
            memoised = schemas.schema_for(gvk.get("group", ""), gvk["version"], gvk["kind"])
            if memoised is None:
                continue
            assert json.dumps(memoised) == json.dumps(_fresh(schemas, top)), path.name  # same order too
            compared += 1
    assert compared > 100
