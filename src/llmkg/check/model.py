"""What the compiled shapes are made of (:class:`Unit`: a shape's focus nodes, path and
checks) and what they find (:class:`Result`, with pySHACL's fields)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef

@dataclass
class Unit:
    """One shape as evaluated: its focus nodes (a SPARQL group binding ?this) and checks."""

    shape: object                 # rdflib node of the shape
    focus: str                    # group pattern binding ?this (distinct)
    path: object | None           # rdflib path node (None for a node shape)
    path_sparql: str | None
    implied: bool                 # every ?this with a value on the path is a focus node
    severity: str
    severity_node: object
    messages: list
    checks: list = field(default_factory=list)
    prologue: str = ""
    touches: list | None = None   # None: not local (evaluated on every source graph)
    selective: bool = False       # focus nodes worth listing once per run (SPARQL or many targets)
    sparql_targets: list = field(default_factory=list)   # RdflibSemantics of its SPARQL targets
    core_focus: str | None = None  # the focus of its other targets
    focus_parts: list | None = None  # its targets, with RESTRICT where a VALUES narrows each

    def focus_restricted(self, values: str) -> str:
        """The focus nodes among ``values`` (a VALUES clause), the VALUES inside each target
        so that Oxigraph starts from those few nodes."""
        if self.focus_parts is None:
            return "{ " + values + " " + self.focus + " }"
        return ("{ SELECT DISTINCT ?this WHERE { "
                + " UNION ".join(p.replace("RESTRICT", values) for p in self.focus_parts) + " } }")


@dataclass
class Result:
    focus: object       # rdflib terms, as validate._results yields them
    path: object        # rdflib node (IRI, blank node of a complex path) or None
    value: object
    component: URIRef
    severity: str
    message: str
    shape: object

    def as_dict(self) -> dict:
        return {"focus": self.focus, "path": str(self.path) if isinstance(self.path, URIRef) else None,
                "value": self.value, "component": self.component, "severity": self.severity,
                "message": self.message, "shape": self.shape}
