"""The graph: records mapped to RDF (:mod:`.mapping`), the default graph's rule
(:mod:`.resolved`) and the store, written aside and swapped in (:mod:`.store`)."""
