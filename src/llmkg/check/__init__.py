"""SHACL validation: the shapes compiled to SPARQL and run on the Oxigraph store.

pySHACL stays the reference (``llmkg validate --engine pyshacl``) and the engine for every
shape this module does not compile. The results are pySHACL's, result for result: the same
focus node, result path, value, constraint component, severity, message and source shape,
per source graph (``graph:curated`` plus one ``graph:<source>``, as
:func:`llmkg.check.validate.run_shacl` runs pySHACL), so that :mod:`llmkg.check.validate` turns both into
the same :class:`~llmkg.records.read.Problem` list. ``tests/test_fast_validation.py`` compares the
two engines on the shipped data and on generated data with every kind of violation.

How a shape is compiled
-----------------------
*Focus nodes* (targets) become one SPARQL group pattern binding ``?this``: ``sh:targetClass``
(``rdf:type/rdfs:subClassOf*`` when the data has ``rdfs:subClassOf`` triples, as inference is
off), ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class
targets, and ``sh:target [ a sh:SPARQLTarget ; sh:select ... ]`` embedded as a sub-select.
A property shape reached through ``sh:property`` gets the focus nodes of its parent.
*Paths*: IRI, inverse, sequence, alternative, zero-or-more, one-or-more, zero-or-one (SPARQL
property paths; values are deduplicated as pySHACL's sets are).

*Constraints*, by where they are decided:

* in SPARQL, returning only the offending rows: ``sh:minCount``, ``sh:maxCount``
  (``COUNT(DISTINCT)``), ``sh:class`` (``FILTER NOT EXISTS``), ``sh:nodeKind``, ``sh:in`` and
  ``sh:hasValue`` (``sameTerm``), ``sh:minLength``/``sh:maxLength`` (``STRLEN(STR())``);
* in Python, on the *distinct values* of the path (computed once for the whole store when the
  path's last step is an IRI or an inverse IRI, else per source graph), with pySHACL's own
  semantics: ``sh:pattern`` (+ ``sh:flags``; Python ``re``, not SPARQL REGEX), and through
  pySHACL's own constraint components ``sh:datatype`` (ill-typed literals do not match),
  ``sh:minInclusive``/``maxInclusive``/``minExclusive``/``maxExclusive`` (incomparable types
  fail, as in pySHACL), ``sh:languageIn``, and ``sh:not``/``sh:and``/``sh:or``/``sh:xone``/
  ``sh:node`` whose member shapes use only such value-only constraints. The values that fail
  are then joined back to their focus nodes in one SPARQL query per source graph;
* ``sh:sparql`` (SELECT) constraints run once per source graph with ``$this`` unbound and
  are joined with the focus nodes (``$PATH`` and ``$currentShape`` substituted).

How a shape runs: when it has few focus nodes (at most :data:`SMALL_FOCUS` IRIs: the
instances of a small class, what a SPARQL target selects), they are listed first and their
values looked up one by one; otherwise the path's values are scanned and joined with the
focus nodes by hash. The counts of ``sh:minCount``/``sh:maxCount`` (and the value filters
of the same path) are taken per focus node after that join, so that only the focus nodes'
values are grouped, not every value of the path in the graph.

Anything else (``sh:closed``, ``sh:equals`` and the other property pairs, qualified value
shapes, ``sh:uniqueLang``, logical constraints over data-dependent shapes, SPARQL target
types, JavaScript, SHACL-AF expressions, custom constraint components) makes the whole
top-level shape fall back to pySHACL, which then runs on the source graphs with only those
shapes targeted; each fallback is logged on the ``llmkg.check`` logger (DEBUG) with its
reason, and listed in :attr:`FastValidator.fallbacks`.

Modules: :mod:`.terms` (terms, paths, the rdflib lock), :mod:`.analysis` (what a shape's
SPARQL touches and means), :mod:`.model` (units and results), :mod:`.compiler` (the shapes
to units), :mod:`.checks` (what a unit runs), :mod:`.run` (one validation run).

Known differences with pySHACL that cannot be observed through llmkg's mapping: SPARQL (targets
and ``sh:sparql``) is evaluated by Oxigraph, not rdflib (the shapes' queries are written to mean
the same in both, and the tests compare them); the store keeps typed literals of the XSD
types in canonical form (``"01"^^xsd:integer`` is stored as ``"1"``), so both engines are run
on the store's content.
"""

from .analysis import Analyses
from .compiler import FastValidator
from .model import Result, Unit
from .run import SMALL_FOCUS
from .terms import RDFLIB_LOCK, to_oxigraph, to_rdflib

__all__ = ["Analyses", "FastValidator", "Result", "Unit", "SMALL_FOCUS", "RDFLIB_LOCK", "to_oxigraph", "to_rdflib"]
