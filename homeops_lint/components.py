"""Components of the bootstrap phase: the catalog (``rules/components.yaml`` plus the policy's
``architecture.components``), which documents are a component, and where the bootstrap phase
defines each one (helmfile releases, ``helm install`` lines, Talos inline/extra manifests,
kustomize ``helmCharts``, manifests under a bootstrap folder) — domain.md §8.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .model import DocClass, Document, FileKind, KeyPath, SourceFile

WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
_HELM_CLI_RE = re.compile(
    r"helm\s+(?:upgrade\s+(?:--install|-i)|install)\s+(?P<args>[^\n;&|]*)", re.IGNORECASE)


@dataclass(frozen=True)
class ChartMatcher:
    name: str
    repo: Optional[str] = None  # glob over the repository URL or source name


@dataclass
class Component:
    name: str
    summary: str = ""
    charts: list[ChartMatcher] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    objects: list[dict[str, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    doc_classes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    except_files: list[str] = field(default_factory=list)

    def chart_names(self) -> set[str]:
        return {c.name for c in self.charts}


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, (str, int))] if isinstance(value, list) else []


def component_from(name: str, data: Any) -> Component:
    data = data if isinstance(data, dict) else {}
    charts = []
    for entry in data.get("charts") or []:
        if isinstance(entry, str):
            charts.append(ChartMatcher(entry))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            repo = entry.get("repo")
            charts.append(ChartMatcher(entry["name"], repo if isinstance(repo, str) else None))
    objects = [{k: str(v) for k, v in o.items() if isinstance(v, str)}
               for o in data.get("objects") or [] if isinstance(o, dict) and isinstance(o.get("kind"), str)]
    return Component(
        name=name, summary=str(data.get("summary") or ""), charts=charts, images=_strings(data.get("images")),
        objects=objects, kinds=_strings(data.get("kinds")), doc_classes=_strings(data.get("doc_classes")),
        files=_strings(data.get("files")), except_files=_strings(data.get("except_files")),
    )


def load_components(architecture: dict[str, Any]) -> dict[str, Component]:
    """The shipped catalog with the policy's ``architecture.components`` merged over it."""
    from . import yamlload
    from .resources import data_dir

    raw: dict[str, Any] = {}
    path = data_dir("rules") / "components.yaml"
    if path.is_file():
        data = yamlload.load_one(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("components"), dict):
            raw = {str(k): dict(v) if isinstance(v, dict) else {} for k, v in data["components"].items()}
    extra = architecture.get("components")
    if isinstance(extra, dict):
        for name, value in extra.items():
            if isinstance(value, dict):
                raw[str(name)] = {**raw.get(str(name), {}), **value}
    return {name: component_from(name, value) for name, value in raw.items()}


@dataclass(frozen=True)
class BootstrapEntry:
    name: str
    mode: str  # forbid | adopt
    index: int  # position in architecture.bootstrap_only (to report on the policy)


def bootstrap_entries(architecture: dict[str, Any]) -> list[BootstrapEntry]:
    entries = architecture.get("bootstrap_only")
    out: list[BootstrapEntry] = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, str):
            out.append(BootstrapEntry(entry, "forbid", i))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            mode = entry.get("mode") if entry.get("mode") in ("forbid", "adopt") else "forbid"
            out.append(BootstrapEntry(entry["name"], str(mode), i))
    return out


# --- image and chart helpers ------------------------------------------------------------------
def image_repository(image: str) -> str:
    """``ghcr.io/org/name:tag@sha256:...`` -> ``ghcr.io/org/name``."""
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)
    if ":" in last[-1]:
        image = image[: len(image) - len(last[-1])] + last[-1].split(":", 1)[0]
    return image


def image_matches(image: str, pattern: str) -> bool:
    repo = image_repository(image).lower()
    pattern = pattern.lower()
    return repo == pattern or repo.endswith("/" + pattern) or fnmatch.fnmatchcase(repo, pattern)


def chart_basename(chart: str) -> str:
    """``oci://ghcr.io/x/charts/cilium`` / ``cilium/cilium`` / ``./charts/cilium`` -> ``cilium``."""
    chart = chart.strip().rstrip("/")
    chart = image_repository(chart) if chart.startswith("oci://") else chart
    return chart.rsplit("/", 1)[-1]


def chart_matches(component: Component, chart: str, repo_hint: Optional[str]) -> bool:
    base = chart_basename(chart)
    for matcher in component.charts:
        if matcher.name != base:
            continue
        if matcher.repo is None or repo_hint is None:
            return True  # without a known repository the chart name decides
        if fnmatch.fnmatchcase(repo_hint.lower(), matcher.repo.lower()) or fnmatch.fnmatchcase(
                chart.lower(), matcher.repo.lower()):
            return True
    return False


def _containers(doc: Document) -> Iterable[tuple[KeyPath, str]]:
    spec = doc.get("spec", "template", "spec")
    if not isinstance(spec, dict):
        return
    for section in ("containers", "initContainers"):
        items = spec.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("image"), str):
                yield ("spec", "template", "spec", section, i, "image"), item["image"]


# --- matching ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    component: str
    key: KeyPath  # where to report
    what: str  # "HelmRelease of the cilium chart", "image 1password/connect-api"
    chart: str = ""  # chart basename when the match is a chart


class SourceLookup:
    """Repository URLs of Flux sources (HelmRepository, OCIRepository), to name a chart's repo."""

    def __init__(self, docs: Iterable[tuple[Document, Optional[str]]]) -> None:
        self.urls: dict[tuple[str, str, str], str] = {}
        for doc, namespace in docs:
            url = doc.get("spec", "url")
            if doc.kind in ("HelmRepository", "OCIRepository", "GitRepository") and isinstance(url, str):
                self.urls[(doc.kind, namespace or "", doc.name)] = url
                self.urls.setdefault((doc.kind, "*", doc.name), url)

    def url(self, kind: str, namespace: Optional[str], name: str) -> Optional[str]:
        return self.urls.get((kind, namespace or "", name)) or self.urls.get((kind, "*", name))


def helmrelease_chart(doc: Document, namespace: Optional[str], sources: SourceLookup
                      ) -> Optional[tuple[str, Optional[str], KeyPath]]:
    """(chart, repository hint, key) of a Flux HelmRelease."""
    chart = doc.get("spec", "chart", "spec", "chart")
    if isinstance(chart, str):
        ref = doc.get("spec", "chart", "spec", "sourceRef")
        hint = None
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            ref_ns = ref.get("namespace") if isinstance(ref.get("namespace"), str) else namespace
            hint = sources.url(str(ref.get("kind") or "HelmRepository"), ref_ns, ref["name"]) or ref["name"]
        return chart, hint, ("spec", "chart", "spec", "chart")
    ref = doc.get("spec", "chartRef")
    if isinstance(ref, dict) and isinstance(ref.get("name"), str):
        kind = str(ref.get("kind") or "OCIRepository")
        ref_ns = ref.get("namespace") if isinstance(ref.get("namespace"), str) else namespace
        url = sources.url(kind, ref_ns, ref["name"])
        return (url or ref["name"]), url, ("spec", "chartRef", "name")
    return None


def match_document(doc: Document, namespace: Optional[str], components: dict[str, Component],
                   sources: SourceLookup) -> list[Match]:
    """Every component ``doc`` is (at most one match per component)."""
    out: list[Match] = []
    for comp in components.values():
        if any(fnmatch.fnmatchcase(doc.path, g) or fnmatch.fnmatchcase("/" + doc.path, g)
               for g in comp.except_files):
            continue
        found = _match_one(doc, namespace, comp, sources)
        if found is not None:
            out.append(found)
    return out


def _match_one(doc: Document, namespace: Optional[str], comp: Component, sources: SourceLookup) -> Optional[Match]:
    if doc.doc_class.value in comp.doc_classes and doc.doc_class in (DocClass.TALOS, DocClass.TALHELPER):
        return Match(comp.name, (), f"{doc.doc_class.value} config")
    if comp.files and any(fnmatch.fnmatchcase(doc.path, g) or fnmatch.fnmatchcase("/" + doc.path, g)
                          for g in comp.files):
        return Match(comp.name, (), f"{comp.name} file")
    if doc.doc_class == DocClass.KUSTOMIZE:
        charts = doc.get("helmCharts")
        for i, chart in enumerate(charts if isinstance(charts, list) else []):
            if isinstance(chart, dict) and isinstance(chart.get("name"), str):
                repo = chart.get("repo") if isinstance(chart.get("repo"), str) else None
                if chart_matches(comp, chart["name"], repo):
                    return Match(comp.name, ("helmCharts", i, "name"), f"kustomize helmCharts entry of the "
                                 f"{chart['name']} chart", chart_basename(chart["name"]))
        return None
    if doc.doc_class != DocClass.K8S:
        return None
    if doc.kind in comp.kinds:
        return Match(comp.name, ("kind",), doc.kind)
    if doc.kind == "HelmRelease" and doc.group.startswith("helm.toolkit.fluxcd.io"):
        found = helmrelease_chart(doc, namespace, sources)
        if found and chart_matches(comp, found[0], found[1]):
            return Match(comp.name, found[2], f"HelmRelease of the {chart_basename(found[0])} chart",
                         chart_basename(found[0]))
    if doc.kind == "HelmChart":
        chart = doc.get("spec", "chart")
        repo = doc.get("spec", "repo")
        if isinstance(chart, str) and chart_matches(comp, chart, repo if isinstance(repo, str) else None):
            return Match(comp.name, ("spec", "chart"), f"HelmChart of the {chart_basename(chart)} chart",
                         chart_basename(chart))
    for obj in comp.objects:
        if obj.get("kind") == doc.kind and fnmatch.fnmatchcase(doc.name, obj.get("name", "*")) \
                and fnmatch.fnmatchcase(namespace or "", obj.get("namespace", "*")):
            return Match(comp.name, ("metadata", "name"), f"{doc.kind} {doc.name}")
    if doc.kind in WORKLOAD_KINDS and comp.images:
        for key, image in _containers(doc):
            if any(image_matches(image, p) for p in comp.images):
                return Match(comp.name, key, f"{doc.kind} {doc.name} running {image_repository(image)}")
    return None


# --- bootstrap definitions --------------------------------------------------------------------
@dataclass(frozen=True)
class Definition:
    """Where the bootstrap phase installs a component."""

    component: str
    path: str
    line: int
    how: str  # "helmfile release", "helm install", "Talos inlineManifests", "kustomize helmCharts", ...
    release: Optional[str] = None  # Helm release name; None when it is not a Helm release
    namespace: Optional[str] = None
    chart: Optional[str] = None  # chart basename
    helm: bool = True  # installed as a Helm release (Flux's helm-controller can adopt it)

    def describe(self) -> str:
        parts = [f"{self.how} in {self.path}:{self.line}"]
        if self.release or self.namespace:
            parts.append(f"release {self.namespace or '?'}/{self.release or '?'}")
        if self.chart:
            parts.append(f"chart {self.chart}")
        return ", ".join(parts)


def bootstrap_definitions(files: list[SourceFile], components: dict[str, Component],
                          is_applied: Any, bootstrap_dirs: Iterable[str] = ("bootstrap",)) -> list[Definition]:
    """Every place outside Flux that installs a catalog component."""
    out: list[Definition] = []
    dirs = set(bootstrap_dirs)
    for source in files:
        for doc in source.documents:
            if doc.doc_class == DocClass.OTHER and isinstance(doc.get("releases"), list):
                out.extend(_helmfile(doc, components))
            elif doc.doc_class in (DocClass.TALOS, DocClass.TALHELPER):
                out.extend(_talos_manifests(doc, components))
                if doc.index == 0 and not is_applied(doc):
                    how = "talhelper config" if doc.doc_class == DocClass.TALHELPER else "Talos machine config"
                    out.extend(Definition(c.name, doc.path, doc.line, how, helm=False)
                               for c in components.values() if doc.doc_class.value in c.doc_classes)
            elif doc.doc_class == DocClass.KUSTOMIZE and not is_applied(doc):
                charts = doc.get("helmCharts")
                for i, chart in enumerate(charts if isinstance(charts, list) else []):
                    if not isinstance(chart, dict) or not isinstance(chart.get("name"), str):
                        continue
                    for comp in components.values():
                        repo = chart.get("repo") if isinstance(chart.get("repo"), str) else None
                        if chart_matches(comp, chart["name"], repo):
                            out.append(Definition(comp.name, doc.path, doc.pos("helmCharts", i).line,
                                                  "kustomize helmCharts", _str(chart.get("releaseName")) or
                                                  chart["name"], _str(chart.get("namespace")),
                                                  chart_basename(chart["name"]), helm=False))
            elif doc.doc_class == DocClass.K8S and not is_applied(doc) \
                    and dirs.intersection(doc.path.split("/")[:-1]):
                for found in match_document(doc, doc.namespace, components, SourceLookup(())):
                    out.append(Definition(found.component, doc.path, doc.pos(*found.key).line,
                                          f"bootstrap manifest ({doc.kind})", None, doc.namespace,
                                          found.chart or None, helm=False))
        if source.kind in (FileKind.TEXT, FileKind.TEMPLATE, FileKind.YAML) and "helm" in source.text \
                and not source.path.endswith((".md", ".txt", ".rst")):
            out.extend(_helm_cli(source, components))
    return out


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _helmfile(doc: Document, components: dict[str, Component]) -> list[Definition]:
    repos: dict[str, str] = {}
    for repo in doc.get("repositories") or []:
        if isinstance(repo, dict) and isinstance(repo.get("name"), str) and isinstance(repo.get("url"), str):
            repos[repo["name"]] = repo["url"]
    out = []
    releases = doc.get("releases")
    for i, rel in enumerate(releases if isinstance(releases, list) else []):
        if not isinstance(rel, dict) or not isinstance(rel.get("chart"), str):
            continue
        chart = rel["chart"]
        alias = chart.split("/", 1)[0] if "/" in chart and "://" not in chart else None
        hint = repos.get(alias or "", chart if "://" in chart else alias)
        for comp in components.values():
            if chart_matches(comp, chart, hint):
                out.append(Definition(comp.name, doc.path, doc.pos("releases", i).line, "helmfile release",
                                      _str(rel.get("name")), _str(rel.get("namespace")), chart_basename(chart)))
    return out


def _talos_manifests(doc: Document, components: dict[str, Component]) -> list[Definition]:
    from .model import iter_nodes

    out = []
    for path, value, _parent in iter_nodes(doc.data):
        if not path or path[-1] not in ("inlineManifests", "extraManifests") or not isinstance(value, list):
            continue
        for i, item in enumerate(value):
            text = item.get("contents") if isinstance(item, dict) else item
            if not isinstance(text, str):
                continue
            for comp in components.values():
                if _text_mentions(comp, text, url=path[-1] == "extraManifests"):
                    namespace = None
                    found = re.search(r"^\s*namespace:\s*([\w.-]+)", text, re.MULTILINE)
                    if found:
                        namespace = found.group(1)
                    out.append(Definition(comp.name, doc.path, doc.pos(*path, i).line,
                                          f"Talos {path[-1]}", None, namespace, None, helm=False))
    return out


def _text_mentions(comp: Component, text: str, url: bool) -> bool:
    if url:
        last = text.rsplit("/", 1)[-1].lower()
        return any(c.name in last for c in comp.charts) or comp.name in last
    lowered = text.lower()
    if any(f"helm.sh/chart: {c.name}-" in lowered for c in comp.charts):
        return True
    for pattern in comp.images:
        if re.search(r"image:\s*['\"]?[\w.:/-]*" + re.escape(pattern.lower()) + r"[:@'\"\s]", lowered):
            return True
    for obj in comp.objects:
        if re.search(rf"kind:\s*{re.escape(obj.get('kind', ''))}\b[\s\S]{{0,200}}?name:\s*{re.escape(obj.get('name', ''))}\b",
                     text):
            return True
    return False


def _helm_cli(source: SourceFile, components: dict[str, Component]) -> list[Definition]:
    out = []
    for found in _HELM_CLI_RE.finditer(source.text):
        args = found.group("args").split()
        namespace = None
        positional = []
        skip = False
        for j, arg in enumerate(args):
            if skip:
                skip = False
                continue
            if arg in ("-n", "--namespace") and j + 1 < len(args):
                namespace, skip = args[j + 1], True
            elif arg.startswith("--namespace="):
                namespace = arg.split("=", 1)[1]
            elif arg.startswith("-"):
                skip = arg in ("--version", "-f", "--values", "--repo", "--set", "--timeout")
            else:
                positional.append(arg)
        if len(positional) < 2:
            continue
        release, chart = positional[0], positional[1]
        line = source.text.count("\n", 0, found.start()) + 1
        for comp in components.values():
            if chart_matches(comp, chart, None) and "{{" not in release:
                out.append(Definition(comp.name, source.path, line, "helm install", release, namespace,
                                      chart_basename(chart)))
    return out
