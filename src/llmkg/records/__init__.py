"""Reading the records: YAML with the line of every key (:mod:`.read`, :mod:`.fastyaml`), the
schema of each kind of record (:mod:`.schema`), value parsers (:mod:`.values`) and the
curated vocabularies (:mod:`.vocabularies`)."""
